import { describe, expect, it } from "vitest";
import { createMetrics } from "../../src/metrics/index.ts";

describe("the node's metrics", () => {
  it("name counters and only counters …_total, and every family tempel_…, process metrics included", async () => {
    const families = await createMetrics({ processMetrics: true }).registry.getMetricsAsJSON();
    expect(families.length).toBeGreaterThan(50);
    const misnamed = families
      .filter(
        (f) => !f.name.startsWith("tempel_") || (String(f.type) === "counter") !== f.name.endsWith("_total"),
      )
      .map((f) => `${f.name} (${f.type})`);
    expect(misnamed).toEqual([]);
  });

  it("serve prom-client's active handle, request and resource totals as gauges named …_all", async () => {
    const { registry } = createMetrics({ processMetrics: true });
    const timer = setInterval(() => {}, 60_000);
    try {
      const handles = await registry.getSingleMetric("tempel_nodejs_active_handles_all")?.get();
      expect(handles?.type).toBe("gauge");
      expect(handles?.values[0]?.value).toBeGreaterThan(0);
      for (const name of ["tempel_nodejs_active_requests_all", "tempel_nodejs_active_resources_all"])
        expect((await registry.getSingleMetric(name)?.get())?.values).toHaveLength(1);
    } finally {
      clearInterval(timer);
    }
  });
});

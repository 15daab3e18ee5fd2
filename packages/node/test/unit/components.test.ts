import { describe, expect, it } from "vitest";
import { Components, type Startable } from "../../src/components/index.ts";
import { silentLogger } from "../../src/logger/index.ts";

/** A component that writes what happens to it into `events`. */
function recording(name: string, events: string[], failStop = false): Startable {
  return {
    start: () => void events.push(`start ${name}`),
    beforeStop: () => void events.push(`beforeStop ${name}`),
    stop: async () => {
      events.push(`stop ${name}`);
      if (failStop) throw new Error(`${name} failed to stop`);
    },
  };
}

describe("Components", () => {
  it("stops newest first, each once, after every beforeStop, however often stopAll is called", async () => {
    const events: string[] = [];
    const components = new Components(silentLogger);
    await components.start("a", recording("a", events));
    components.started("b", { stop: () => void events.push("stop b") });
    await components.start("c", recording("c", events));
    await Promise.all([components.stopAll(), components.stopAll()]);
    await components.stopAll();
    expect(events).toEqual([
      "start a",
      "start c",
      "beforeStop c",
      "beforeStop a",
      "stop c",
      "stop b",
      "stop a",
    ]);
  });

  it("stops the older components when a newer one fails to stop, then reports the failure", async () => {
    const events: string[] = [];
    const components = new Components(silentLogger);
    await components.start("a", recording("a", events));
    await components.start("b", recording("b", events, true));
    await expect(components.stopAll()).rejects.toThrow("b failed to stop");
    expect(events.filter((event) => event.startsWith("stop"))).toEqual(["stop b", "stop a"]);
  });

  it("does not stop a component whose start failed", async () => {
    const events: string[] = [];
    const components = new Components(silentLogger);
    await components.start("a", recording("a", events));
    const broken = { ...recording("b", events), start: () => Promise.reject(new Error("no port")) };
    await expect(components.start("b", broken)).rejects.toThrow("no port");
    await components.stopAll();
    expect(events.filter((event) => event.startsWith("stop"))).toEqual(["stop a"]);
  });
});

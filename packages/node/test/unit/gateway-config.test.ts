import { describe, expect, it } from "vitest";
import { defaultConfig, type NodeConfig } from "../../src/config/config.ts";
import { ConfigError, loadConfig } from "../../src/config/index.ts";
import { startGateway } from "../../src/gateway-node.ts";
import { silentLogger } from "../../src/logger/logger.ts";

function gatewayConfig(gateway: Partial<NodeConfig["gateway"]>): NodeConfig {
  const config = defaultConfig();
  return {
    ...config,
    role: "gateway",
    api: { ...config.api, port: 0 },
    gateway: { ...config.gateway, upstreamLoginId: "tier", upstreamKey: "secret", ...gateway },
  };
}

describe("the gateway role's settings", () => {
  it.each<[string, Partial<NodeConfig["gateway"]>, RegExp]>([
    ["no upstream", { upstream: [] }, /needs its upstream: give --upstream/],
    [
      "an upstream that is not http(s)",
      { upstream: ["ftp://core:3131"] },
      /ftp:\/\/core:3131 is not an http\(s\) URL/,
    ],
    [
      "no login at the upstream",
      { upstream: ["http://core:3131"], upstreamKey: "" },
      /upstreamLoginId and gateway.upstreamKey/,
    ],
  ])(
    "refuses %s with a ConfigError naming the setting, before serving anything",
    async (_, gateway, message) => {
      const started = startGateway(gatewayConfig(gateway), silentLogger);
      await expect(started).rejects.toBeInstanceOf(ConfigError);
      await expect(started).rejects.toThrow(message);
    },
  );
});

describe("the gateway role's round alignment settings", () => {
  const load = (flags: Record<string, string>) =>
    loadConfig({ env: {}, flags: { "data-dir": "/d", ...flags }, cwd: "/" }).gateway;

  it("takes a round lead and a round length that does not divide 1000 from flags", () => {
    expect(load({ "gateway-round-lead-ms": "120", "gateway-round-ms": "300" })).toMatchObject({
      roundLeadMs: 120,
      roundMs: 300,
    });
  });

  it.each(["1000", "-1", "50.5"])("refuses a round lead of %s ms with a ConfigError naming it", (lead) => {
    expect(() => load({ "gateway-round-lead-ms": lead })).toThrow(ConfigError);
    expect(() => load({ "gateway-round-lead-ms": lead })).toThrow(/gateway-round-lead-ms|roundLeadMs/);
  });
});

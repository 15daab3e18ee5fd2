import { describe, expect, it } from "vitest";
import { defaultConfig, type NodeConfig } from "../../src/config/config.ts";
import { ConfigError } from "../../src/config/index.ts";
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

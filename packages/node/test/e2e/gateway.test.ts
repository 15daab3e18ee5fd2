import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TempelClient } from "@tempel/client";
import { setDefaultHasher } from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeConfig } from "../../src/config/config.ts";
import { startGateway } from "../../src/gateway/start-gateway.ts";
import type { Upstream } from "../../src/gateway/upstream.ts";
import { silentLogger } from "../../src/logger/logger.ts";
import { type RunningNode, startNode } from "../../src/node.ts";
import { initTestNode, randomImprint } from "./node-fixtures.ts";

/**
 * One core node, an aggregator tier whose upstream is the core, and a gateway tier whose upstream is
 * the aggregator: signatures through them must verify like a core member's, and a tier that lies
 * must not get a signature past the SDK for a hash its client did not send.
 */
let dir: string;
let core: RunningNode;
let coreConfig: NodeConfig;
let genesis: unknown;
let coreAgency: { loginId: string; key: string };
const running: RunningNode[] = [];
const CLIENT = { loginId: "gw-client", key: "gw-client-secret" };
const TIER_LOGIN = { loginId: "tier-below", key: "tier-below-secret" };

function tierConfig(upstream: string, login: { loginId: string; key: string }): NodeConfig {
  return {
    ...coreConfig,
    role: "gateway",
    api: { ...coreConfig.api, port: 0 },
    agencies: [CLIENT, TIER_LOGIN],
    gateway: {
      ...coreConfig.gateway,
      upstream: [upstream],
      upstreamLoginId: login.loginId,
      upstreamKey: login.key,
      roundMs: 50,
      upstreamTimeoutMs: 3000,
    },
  };
}

async function tier(upstream: string, login: { loginId: string; key: string }, replace?: Upstream) {
  const node = await startGateway(tierConfig(upstream, login), silentLogger, replace);
  running.push(node);
  return node;
}

const url = (node: { port: number }) => `http://127.0.0.1:${node.port}`;

function client(endpoint: string): TempelClient {
  return new TempelClient({ endpoints: [endpoint], agency: CLIENT, trust: { genesis }, retries: 0 });
}

beforeAll(async () => {
  setDefaultHasher(nodeHasher);
  dir = mkdtempSync(join(tmpdir(), "tempel-gateway-"));
  const { init, config } = await initTestNode(dir);
  // Two tiers' trees stack their levels on the client's: the core takes roots from higher up.
  coreConfig = { ...config, rounds: { ...config.rounds, maxLevel: 64 } };
  coreAgency = init.agency;
  genesis = JSON.parse(readFileSync(config.genesisFile, "utf8"));
  core = await startNode(coreConfig, silentLogger);
});

afterAll(async () => {
  for (const node of running) await node.stop();
  await core?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("gateway tiers", () => {
  it("signs through a gateway and through an aggregator tier: the signatures verify with the SDK like a core member's, quorum certificate included", async () => {
    const aggregator = await tier(url(core), coreAgency);
    const gateway = await tier(url(aggregator), TIER_LOGIN);
    const direct = await tier(url(core), coreAgency);
    for (const through of [direct, gateway]) {
      const sdk = client(url(through));
      const imprint = randomImprint();
      const [one, ...many] = await Promise.all([
        sdk.sign({ imprint }),
        ...Array.from({ length: 5 }, () => sdk.sign({ imprint: randomImprint() })),
      ]);
      const verified = await sdk.verify(one!, { imprint }, { policy: "key" });
      expect(verified.result).toBe("OK");
      expect(many).toHaveLength(5);
      // The client's own chain comes first and names it and the tier it came through.
      const own = one!.ksi.aggregationChains[0]!;
      const metadata = own.links.find((link) => link.sibling.kind === "metadata")?.sibling;
      expect(metadata?.kind === "metadata" && metadata.metadata.clientId).toBe(CLIENT.loginId);
      expect(metadata?.kind === "metadata" && metadata.metadata.machineId).toMatch(/^gateway:/);
    }
    // One chain more per tier: the gateway's, the aggregator's, then the core's own.
    const coreSigned = await new TempelClient({ endpoints: [url(core)], agency: coreAgency }).sign({
      imprint: randomImprint(),
    });
    const viaGateway = await client(url(gateway)).sign({ imprint: randomImprint() });
    expect(viaGateway.ksi.aggregationChains.length).toBe(coreSigned.ksi.aggregationChains.length + 2);
  });

  it("signs a client's own tree root at its level through a gateway (first link holds the level)", async () => {
    const gateway = await tier(url(core), coreAgency);
    const sdk = client(url(gateway));
    const signatures = await sdk.signMany(
      Array.from({ length: 9 }, (_, i) => `document ${i}`),
      { batchSize: 9 },
    );
    for (const [i, signature] of signatures.entries()) {
      expect((await sdk.verify(signature, `document ${i}`, { policy: "key" })).result).toBe("OK");
    }
  });
});

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProtocolError, ServiceError, TempelClient } from "@tempel/client";
import {
  type AggregationHashChain,
  type AggregationResponsePayload,
  AggregatorStatus,
  decodeAggregationRequestPdu,
  decodeAggregationResponsePdu,
  encodeAggregationRequestPdu,
  encodeAggregationResponsePdu,
  type Imprint,
  type KsiSignature,
} from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeConfig } from "../../src/config/config.ts";
import { ksiUpstream, type Upstream } from "../../src/gateway/upstream.ts";
import { startGateway } from "../../src/gateway-node.ts";
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

function tierConfig(upstream: string | string[], login: { loginId: string; key: string }): NodeConfig {
  return {
    ...coreConfig,
    role: "gateway",
    api: { ...coreConfig.api, port: 0 },
    agencies: [CLIENT, TIER_LOGIN],
    gateway: {
      ...coreConfig.gateway,
      upstream: typeof upstream === "string" ? [upstream] : upstream,
      upstreamLoginId: login.loginId,
      upstreamKey: login.key,
      roundMs: 50,
      upstreamTimeoutMs: 3000,
    },
  };
}

async function tier(
  upstream: string | string[],
  login: { loginId: string; key: string },
  replace?: Upstream,
  gateway: Partial<NodeConfig["gateway"]> = {},
) {
  const config = tierConfig(upstream, login);
  const node = await startGateway(
    { ...config, gateway: { ...config.gateway, ...gateway } },
    silentLogger,
    replace,
  );
  running.push(node);
  return node;
}

const url = (node: { port: number }) => `http://127.0.0.1:${node.port}`;

function client(endpoint: string): TempelClient {
  return new TempelClient({ endpoints: [endpoint], agency: CLIENT, trust: { genesis }, retries: 0 });
}

beforeAll(async () => {
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

describe("tier rounds aligned to the core's second", () => {
  /** Sleep until `ms` past the start of a wall-clock second. */
  const untilMsIntoSecond = (ms: number) =>
    new Promise((resolve) => setTimeout(resolve, (ms - (Date.now() % 1000) + 1000) % 1000 || 1000));

  it("signs a hash sent to a gateway before the second's last rounds in that core second, and one sent after the aggregator's last round in the next", async () => {
    // Whole-second aggregator rounds closing 50 ms before the core's; gateway rounds 50 ms before that.
    const aggregator = await tier(url(core), coreAgency, undefined, { roundMs: 1000, roundLeadMs: 50 });
    const gateway = await tier(url(aggregator), TIER_LOGIN, undefined, { roundMs: 200, roundLeadMs: 100 });
    const sdk = client(url(gateway));
    const timeOf = async () =>
      (await sdk.sign({ imprint: randomImprint() })).ksi.aggregationChains.map((c) => c.aggregationTime);

    await untilMsIntoSecond(100);
    const early = Math.floor(Date.now() / 1000);
    const earlyTimes = timeOf();
    // After the aggregator's round for this second closed (…0.950): the next second's round.
    await untilMsIntoSecond(970);
    const late = Math.floor(Date.now() / 1000);
    const [earlyChains, lateChains] = await Promise.all([earlyTimes, timeOf()]);

    // Every chain, the gateway's, the aggregator's and the core's, carries the core's second.
    expect(earlyChains).toEqual(Array(earlyChains.length).fill(early));
    expect(lateChains).toEqual(Array(lateChains.length).fill(late + 1));
  });
});

type Lie = (payload: AggregationResponsePayload, request: { hash: Imprint }) => AggregationResponsePayload;

/**
 * A gateway that lies: it passes its client's PDU to a real gateway (after `rewriteHash`, if given)
 * and alters the answer with `lie`, then authenticates it with the client's key as its gateway can.
 */
async function lyingGateway(
  behind: string,
  lie: Lie,
  rewriteHash?: (hash: Imprint) => Imprint,
): Promise<string> {
  const key = new TextEncoder().encode(CLIENT.key);
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const { pdu } = decodeAggregationRequestPdu(new Uint8Array(Buffer.concat(chunks)));
    const hash = pdu.requests[0]!.requestHash;
    const forwarded = {
      ...pdu,
      requests: pdu.requests.map((r) => ({
        ...r,
        requestHash: rewriteHash?.(r.requestHash) ?? r.requestHash,
      })),
    };
    const upstream = await fetch(`${behind}/ksi/aggregator`, {
      method: "POST",
      headers: { "content-type": "application/ksi-request" },
      body: encodeAggregationRequestPdu(forwarded, key).slice(),
    });
    const answer = decodeAggregationResponsePdu(new Uint8Array(await upstream.arrayBuffer())).pdu;
    const body = encodeAggregationResponsePdu(
      { ...answer, header: answer.header!, responses: answer.responses.map((p) => lie(p, { hash })) },
      key,
    );
    response.writeHead(200, { "content-type": "application/ksi-response" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const servers: Server[] = [];
afterAll(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

/** `chain` re-made from its fields (its decoded bytes would be encoded as they were). */
function plain(chain: AggregationHashChain): AggregationHashChain {
  const { source: _bytes, ...fields } = chain;
  return { ...fields, links: chain.links.map(({ source: _link, ...link }) => link) };
}

function withChains(
  payload: AggregationResponsePayload,
  change: (chains: AggregationHashChain[]) => AggregationHashChain[],
): AggregationResponsePayload {
  return { ...payload, aggregationChains: change(payload.aggregationChains.map(plain)) };
}

describe("a lying gateway cannot get a signature past the SDK for a hash its client did not send", () => {
  let gateway: string;
  beforeAll(async () => {
    gateway = url(await tier(url(core), coreAgency));
  });

  async function refused(lie: Lie, rewriteHash?: (hash: Imprint) => Imprint): Promise<unknown> {
    const sdk = client(await lyingGateway(gateway, lie, rewriteHash));
    return sdk.sign({ imprint: randomImprint() }).then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  it("passes an honest answer through the same proxy (the attacks below are the only change)", async () => {
    expect(await refused((payload) => payload)).toBeUndefined();
  });

  it("refuses an answer whose gateway chain was altered (a sibling hash changed)", async () => {
    const error = await refused((payload) =>
      withChains(payload, ([own, ...rest]) => {
        const links = own!.links.map((link) =>
          link.sibling.kind === "imprint"
            ? { ...link, sibling: { kind: "imprint" as const, imprint: randomImprint() } }
            : link,
        );
        // A tree of one leaf has only its metadata link: then the link's level is altered instead.
        const altered = links.some((l, i) => l !== own!.links[i])
          ? links
          : links.map((l) => ({ ...l, levelCorrection: l.levelCorrection + 1 }));
        return [{ ...own!, links: altered }, ...rest];
      }),
    );
    expect(error).toBeInstanceOf(ProtocolError);
  });

  it("refuses an answer whose chains say another time (all of them moved a second back)", async () => {
    const error = await refused((payload) =>
      withChains(payload, (chains) => chains.map((c) => ({ ...c, aggregationTime: c.aggregationTime - 1 }))),
    );
    expect(error).toBeInstanceOf(ProtocolError);
  });

  it("refuses an old answer replayed for a new request", async () => {
    let old: AggregationResponsePayload | undefined;
    const replay: Lie = (payload) => {
      old ??= payload;
      return { ...old, requestId: payload.requestId };
    };
    const sdk = client(await lyingGateway(gateway, replay));
    await sdk.sign({ imprint: randomImprint() });
    await expect(sdk.sign({ imprint: randomImprint() })).rejects.toBeInstanceOf(ProtocolError);
  });

  it("refuses a signature of another hash than the one sent", async () => {
    const error = await refused(
      (payload) => payload,
      () => randomImprint(),
    );
    expect(error).toBeInstanceOf(ProtocolError);
  });

  it("refuses signatures a tier composed with an upstream answer for another round (a lying tier's upstream replays)", async () => {
    const honest = ksiUpstream({
      upstream: [url(core)],
      upstreamLoginId: coreAgency.loginId,
      upstreamKey: coreAgency.key,
      upstreamTimeoutMs: 3000,
      hedgeAfterMs: 1000,
    });
    let first: KsiSignature | undefined;
    const replaying: Upstream = {
      sign: async (root, level, signal) => {
        const signature = await honest.sign(root, level, signal);
        first ??= signature;
        return first;
      },
    };
    const liar = await tier(url(core), coreAgency, replaying);
    const sdk = client(url(liar));
    await sdk.sign({ imprint: randomImprint() });
    await expect(sdk.sign({ imprint: randomImprint() })).rejects.toBeInstanceOf(ProtocolError);
  });
});

/** A server that takes requests and never answers them: an upstream that hangs. */
async function silentServer(): Promise<string> {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A loopback URL nothing listens on. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe("upstream failover and backpressure", () => {
  it("fails over from an upstream that is down, and hedges past one that hangs", async () => {
    const down = await tier([await deadUrl(), url(core)], coreAgency);
    const hanging = await tier([await silentServer(), url(core)], coreAgency, undefined, {
      hedgeAfterMs: 200,
    });
    for (const gateway of [down, hanging]) {
      const imprint = randomImprint();
      const signature = await client(url(gateway)).sign({ imprint });
      expect((await client(url(gateway)).verify(signature, { imprint }, { policy: "key" })).result).toBe(
        "OK",
      );
    }
  });

  it("refuses hashes past maxPending at once (KSI 0x0106) and answers the held ones 0x0301 when the upstream hangs, with the gateway's metrics saying so", async () => {
    const gateway = await tier(await silentServer(), coreAgency, undefined, {
      maxPending: 1,
      upstreamTimeoutMs: 600,
    });
    const outcomes = await Promise.all(
      [0, 1].map(() =>
        client(url(gateway))
          .sign({ imprint: randomImprint() })
          .then(
            () => undefined,
            (error: unknown) => error,
          ),
      ),
    );
    // Whichever came first is held until the round's deadline; the other is refused at once.
    const statuses = outcomes.map((error) => (error instanceof ServiceError ? error.ksiStatus : error));
    expect(statuses.sort()).toEqual([AggregatorStatus.TOO_MANY_REQUESTS, AggregatorStatus.UPSTREAM_TIMEOUT]);
    const metrics = await (await fetch(`${url(gateway)}/metrics`)).text();
    expect(metrics).toMatch(/tempel_gateway_rounds_total\{outcome="upstream_timeout"\} 1/);
    expect(metrics).toMatch(/tempel_gateway_pending_hashes 0/);
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AggregationTree,
  AggregatorStatus,
  assembleSignature,
  bytesEqual,
  checkCalendarConsistency,
  composeChains,
  decodeCalendarChain,
  decodeSignature,
  decodeTlv,
  encodeSignature,
  fromHex,
  HashAlgorithm,
  type Imprint,
  internalPolicy,
  type KsiSignature,
  shiftChainStart,
  signatureFromAggregationResponse,
  verifySignature,
} from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { libksiRoot } from "../../../proto/test/unit/helpers/libksi-reading.ts";
import { silentLogger } from "../../src/logger/logger.ts";
import { type RunningNode, startNode } from "../../src/node.ts";
import { agencyOf, initTestNode, inParallel, randomImprint, sleep, TestClient } from "./node-fixtures.ts";

let dir: string;
let node: RunningNode;
let client: TestClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tempel-sign-"));
  const { init, config } = await initTestNode(dir);
  node = await startNode(config, silentLogger);
  client = new TestClient(node.port, init.agency);
});

afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Sign `total` hashes in `waves` waves of requests of `perRequest` (at most 128 in flight: a wave fits one round); each wave
 * starts once the previous one is answered, so every wave lands in a later round.
 */
async function signInWaves(
  total: number,
  waves: number,
  perRequest: number,
  sign: (imprints: Imprint[]) => Promise<KsiSignature[]>,
): Promise<{ imprints: Imprint[]; signatures: KsiSignature[] }> {
  const imprints = Array.from({ length: total }, randomImprint);
  const perWave = Math.ceil(total / waves);
  const signatures: KsiSignature[] = [];
  for (let wave = 0; wave < waves; wave++) {
    const requests: Imprint[][] = [];
    const end = Math.min(total, (wave + 1) * perWave);
    for (let at = wave * perWave; at < end; at += perRequest)
      requests.push(imprints.slice(at, Math.min(at + perRequest, end)));
    signatures.push(...(await inParallel(requests, 128, sign)).flat());
  }
  return { imprints, signatures };
}

async function expectAllVerify(imprints: Imprint[], signatures: KsiSignature[]): Promise<Set<number>> {
  expect(signatures).toHaveLength(imprints.length);
  const seconds = new Set<number>();
  for (let i = 0; i < signatures.length; i++) {
    const signature = signatures[i]!;
    expect(bytesEqual(signature.aggregationChains[0]!.inputHash, imprints[i]!)).toBe(true);
    expect(agencyOf(signature)).toBe(client.loginId);
    const { internal, calendar } = await client.verify(signature);
    expect(internal, `signature ${i}`).toMatchObject({ result: "OK" });
    expect(calendar, `signature ${i}`).toMatchObject({ result: "OK" });
    seconds.add(signature.aggregationChains[0]!.aggregationTime);
  }
  return seconds;
}

/** One raw aggregation PDU for `hash` at `level`, sent as a KSI client sends it. */
function rawAggregate(hash: Imprint, level: number) {
  return client.aggregate({
    header: { loginId: client.loginId },
    requests: [{ requestId: BigInt(Date.now()), requestHash: hash, requestLevel: level }],
  });
}

describe("a one-member node", () => {
  it("signs 5,000 hashes through KSI aggregation PDUs over several rounds; all verify and name the agency", async () => {
    const { imprints, signatures } = await signInWaves(5_000, 3, 16, (batch) => client.signPdu(batch));
    const seconds = await expectAllVerify(imprints, signatures);
    expect(seconds.size).toBeGreaterThanOrEqual(3);
  });

  it("signs 5,000 hashes through the JSON API over several rounds; all verify and name the agency", async () => {
    const { imprints, signatures } = await signInWaves(5_000, 3, 250, (batch) => client.signJson(batch));
    const seconds = await expectAllVerify(imprints, signatures);
    expect(seconds.size).toBeGreaterThanOrEqual(3);
  });

  it("signs a hash with a client level so that it verifies only from that level", async () => {
    const [signature] = await client.signPdu([randomImprint()], 5);
    expect(await verifySignature(signature!, { inputLevel: 5 }, internalPolicy)).toMatchObject({
      result: "OK",
    });
    expect(await verifySignature(signature!, { inputLevel: 6 }, internalPolicy)).toMatchObject({
      result: "FAIL",
    });
  });

  it.each([
    [2, false],
    [6, true],
    [1024, false],
  ])(
    "signs a client's local root of %i leaves (metadata: %s) sent at its level; libksi's reading of the answer verifies, and so does every leaf's signature built on it",
    async (leaves, withMetadata) => {
      const local = new AggregationTree(
        Array.from({ length: leaves }, () => ({
          imprint: randomImprint(),
          ...(withMetadata && { metadata: { clientId: "block-signer" } }),
        })),
        { algorithm: HashAlgorithm.SHA2_256 },
      );
      const level = local.rootLevel;
      expect(level).toBeGreaterThan(0);
      const pdu = await rawAggregate(local.root, level);
      const payload = pdu.responses[0]!;
      expect(payload.status).toBe(AggregatorStatus.OK);
      const reached = libksiRoot(payload.aggregationChains, level);
      expect(reached !== undefined && bytesEqual(reached, payload.calendarChain!.inputHash)).toBe(true);
      const root = signatureFromAggregationResponse(payload, level);
      expect(
        await verifySignature(root, { documentHash: local.root, inputLevel: level }, internalPolicy),
      ).toMatchObject({ result: "OK" });
      expect((await client.verify(root)).calendar).toMatchObject({ result: "OK" });
      // As a block signer does: each leaf's own chain, then the root's chains from the root's level on.
      const [lowest, ...higher] = root.aggregationChains;
      const above = [shiftChainStart(lowest!, level), ...higher];
      for (const leaf of [0, leaves - 1]) {
        const [own] = composeChains([local.segment(leaf)], lowest!.aggregationTime, lowest!.chainIndex);
        const signature = assembleSignature({ ...root, aggregationChains: [own!, ...above] });
        const documentHash = local.leafImprint(leaf);
        expect(
          await verifySignature(signature, { documentHash }, internalPolicy),
          `leaf ${leaf}`,
        ).toMatchObject({
          result: "OK",
        });
        expect((await client.verify(signature)).calendar, `leaf ${leaf}`).toMatchObject({ result: "OK" });
      }
    },
  );

  it("signs a request at the advertised max level and refuses one above it with 0x0104", async () => {
    const root = randomImprint();
    const atMax = (await rawAggregate(root, 20)).responses[0]!;
    expect(atMax.status).toBe(AggregatorStatus.OK);
    expect(
      await verifySignature(
        signatureFromAggregationResponse(atMax, 20),
        { documentHash: root, inputLevel: 20 },
        internalPolicy,
      ),
    ).toMatchObject({ result: "OK" });
    const above = (await rawAggregate(root, 21)).responses[0]!;
    expect(above).toMatchObject({ status: AggregatorStatus.REQUEST_TOO_LARGE, aggregationChains: [] });
  });

  it("answers a configuration request with the aggregator's settings", async () => {
    const config = await client.aggregatorConfig();
    expect(config).toMatchObject({
      maxLevel: 20,
      aggregationAlgorithm: 1,
      aggregationPeriod: 1000,
      maxRequests: 16,
    });
  });

  it("exports its metrics with the tempel_ prefix and units, and reports health and readiness", async () => {
    await client.signPdu([randomImprint()]);
    const text = await (await fetch(`${client.base}/metrics`)).text();
    for (const name of [
      'tempel_http_requests_total{endpoint="ksi_aggregator",status="200"}',
      "tempel_round_hashes_count",
      "tempel_round_build_duration_seconds_count",
      "tempel_round_commit_duration_seconds_count",
      "tempel_request_signature_latency_seconds_count",
      "tempel_pending_requests",
      "tempel_calendar_height",
      "tempel_leveldb_write_duration_seconds_count",
      'tempel_rounds_total{outcome="certified"}',
      'tempel_consensus_role{role="leader"} 1',
      "tempel_consensus_term 1",
      "tempel_ready 1",
      "tempel_quorum_members_reachable 1",
      "tempel_quorum_members_needed 1",
    ]) {
      expect(text).toContain(name);
    }
    expect(await (await fetch(`${client.base}/healthz`)).json()).toEqual({ status: "ok" });
    expect(await (await fetch(`${client.base}/readyz`)).json()).toEqual({
      status: "ready",
      quorum: { members: 1, needed: 1, reachable: [node.nodeId] },
    });
    const status = (await (await fetch(`${client.base}/v1/status`)).json()) as {
      agreement: { role: string };
    };
    expect(status.agreement.role).toBe("leader");
  });

  it("extends a signature through the JSON API to a later certified root, and it still verifies", async () => {
    const [original] = await client.signJson([randomImprint()]);
    const signedAt = original!.aggregationChains[0]!.aggregationTime;
    await sleep(2_500);
    const head = (await (await fetch(`${client.base}/v1/calendar/head`)).json()) as {
      time: number;
      certified: { time: number; root: string; certificate: string };
    };
    expect(head.certified.time).toBeGreaterThan(signedAt);
    const response = await client.postJson("/v1/extend?view=json", { signature: encodeBase64(original!) });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { signature: string; json: { calendarChain: unknown } };
    const extended = decodeSignature(new Uint8Array(Buffer.from(body.signature, "base64")));
    expect(extended.calendarChain!.publicationTime).toBeGreaterThanOrEqual(head.certified.time);
    expect(extended.quorumCertificate!.publishedData.publicationTime).toBe(
      extended.calendarChain!.publicationTime,
    );
    expect(body.json.calendarChain).toBeDefined();
    const { internal, calendar } = await client.verify(extended);
    expect(internal).toMatchObject({ result: "OK" });
    expect(calendar).toMatchObject({ result: "OK" });

    const back = await client.postJson("/v1/extend", {
      signature: encodeBase64(original!),
      publicationTime: signedAt,
    });
    const same = decodeSignature(
      new Uint8Array(Buffer.from(((await back.json()) as { signature: string }).signature, "base64")),
    );
    expect(same.calendarAuthRecord!.publishedData.publishedHash).toEqual(
      original!.calendarAuthRecord!.publishedData.publishedHash,
    );
  });

  it("proves that an earlier certified root and a later one belong to one calendar", async () => {
    const head = async () =>
      (
        (await (await fetch(`${client.base}/v1/calendar/head`)).json()) as {
          certified: { time: number; root: string };
        }
      ).certified;
    const older = await head();
    await sleep(1500);
    const newer = await head();
    const response = await fetch(
      `${client.base}/v1/calendar/consistency?from=${older.time}&to=${newer.time}`,
    );
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { proof: string };
    const proof = decodeCalendarChain(decodeTlv(new Uint8Array(Buffer.from(answer.proof, "base64"))));
    const published = (certified: { time: number; root: string }) => ({
      publicationTime: certified.time,
      publishedHash: fromHex(certified.root)!,
    });
    expect(checkCalendarConsistency(proof, published(older), published(newer))).toBe("consistent");
  });

  it("answers 404 for the publications file: its genesis names no publications authority", async () => {
    const response = await fetch(`${client.base}/v1/publications`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("NO_PUBLICATIONS");
  });

  it("answers CORS preflights on /ksi and /v1, and lets pages of any origin read every answer", async () => {
    const origin = "https://verify.example.org";
    const preflight = await fetch(`${client.base}/v1/sign`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(Object.fromEntries(preflight.headers)).toMatchObject({
      "access-control-allow-origin": origin,
      "access-control-allow-methods": "GET, POST",
      "access-control-allow-headers": "content-type, x-tempel-login-id, x-tempel-hmac",
      "access-control-max-age": "600",
    });
    expect((await fetch(`${client.base}/ksi/aggregator`, { method: "OPTIONS" })).status).toBe(204);
    expect((await fetch(`${client.base}/metrics`, { method: "OPTIONS" })).status).toBe(405);

    const head = await fetch(`${client.base}/v1/calendar/head`);
    expect(head.headers.get("access-control-allow-origin")).toBe("*");
    expect(head.headers.get("access-control-expose-headers")).toBe("retry-after, etag");
    const refused = await fetch(`${client.base}/v1/sign`, { method: "POST", headers: { origin } });
    expect(refused.status).toBe(415);
    expect(refused.headers.get("access-control-allow-origin")).toBe(origin);
  });

  it("refuses to extend a signature that is not from this calendar", async () => {
    const [signature] = await client.signJson([randomImprint()]);
    const chains = signature!.aggregationChains;
    const { source: _decodedFrom, ...first } = chains[0]!;
    const forged = {
      ...signature!,
      aggregationChains: [{ ...first, inputHash: randomImprint() }, ...chains.slice(1)],
    };
    const response = await client.postJson("/v1/extend", { signature: encodeBase64(forged) });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      "SIGNATURE_NOT_VERIFIED",
    );
  });
});

function encodeBase64(signature: KsiSignature): string {
  const { source: _decodedFrom, ...parts } = signature;
  return Buffer.from(encodeSignature(parts)).toString("base64");
}

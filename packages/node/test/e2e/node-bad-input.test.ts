import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AggregatorStatus,
  decodeAggregationResponsePdu,
  decodeExtendResponsePdu,
  ExtenderStatus,
  encodeAggregationRequestPdu,
  encodeExtendRequestPdu,
  encodeSignature,
  HashAlgorithm,
  makeImprint,
  PduStatus,
} from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeConfig } from "../../src/config/config.ts";
import type { InitResult } from "../../src/genesis/index.ts";
import { silentLogger } from "../../src/logger/logger.ts";
import { type RunningNode, startNode } from "../../src/node.ts";
import { hex, initTestNode, randomImprint, TestClient } from "./node-fixtures.ts";

let dir: string;
let init: InitResult;
let config: NodeConfig;
let node: RunningNode;
let client: TestClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tempel-bad-"));
  ({ init, config } = await initTestNode(join(dir, "a")));
  node = await startNode(config, silentLogger);
  client = new TestClient(node.port, init.agency);
  // A signed round makes the calendar non-empty for the extender cases.
  await client.signPdu([randomImprint()]);
});

afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const KSI = { "content-type": "application/ksi-request" };

async function aggregatorAnswer(body: Uint8Array) {
  const response = await client.post("/ksi/aggregator", body, KSI);
  expect(response.status).toBe(200);
  return decodeAggregationResponsePdu(new Uint8Array(await response.arrayBuffer()));
}

async function payloadStatus(requestHash: Uint8Array, requestLevel?: number) {
  const body = encodeAggregationRequestPdu(
    {
      header: { loginId: client.loginId },
      requests: [{ requestId: 1n, requestHash, ...(requestLevel !== undefined && { requestLevel }) }],
    },
    client.key,
  );
  const { pdu, hmac } = await aggregatorAnswer(body);
  expect(hmac?.check(client.key)).toBe(true);
  return pdu.responses[0]!;
}

async function extenderStatus(aggregationTime: number, publicationTime?: number): Promise<number> {
  const request = {
    requestId: 7n,
    aggregationTime,
    ...(publicationTime !== undefined && { publicationTime }),
  };
  const body = encodeExtendRequestPdu(
    { header: { loginId: client.loginId }, requests: [request] },
    client.key,
  );
  const response = await client.post("/ksi/extender", body, KSI);
  return decodeExtendResponsePdu(new Uint8Array(await response.arrayBuffer())).pdu.responses[0]!.status;
}

async function jsonError(response: Response): Promise<{ status: number; code: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.message.length).toBeGreaterThan(0);
  return { status: response.status, code: body.error.code };
}

const validPdu = () =>
  encodeAggregationRequestPdu(
    { header: { loginId: client.loginId }, requests: [{ requestId: 1n, requestHash: randomImprint() }] },
    client.key,
  );

describe("bad KSI aggregation PDUs", () => {
  it("answers a truncated PDU with 'invalid request'", async () => {
    const { pdu, hmac } = await aggregatorAnswer(validPdu().subarray(0, 40));
    expect(pdu.error?.status).toBe(PduStatus.INVALID_REQUEST);
    expect(hmac).toBeUndefined();
  });

  it("answers garbage bytes with 'invalid request'", async () => {
    expect((await aggregatorAnswer(randomBytes(200))).pdu.error?.status).toBe(PduStatus.INVALID_REQUEST);
  });

  it("refuses an oversized body with HTTP 413 before reading it", async () => {
    const response = await client.post("/ksi/aggregator", new Uint8Array(70_000), KSI);
    expect(await jsonError(response)).toEqual({ status: 413, code: "BODY_TOO_LARGE" });
  });

  it("answers an unknown login id byte for byte as a wrong HMAC, with 'authentication failure', at the aggregator and the extender", async () => {
    const aggregation = { requests: [{ requestId: 1n, requestHash: randomImprint() }] };
    const extension = { requests: [{ requestId: 1n, aggregationTime: init.genesis.genesisTime }] };
    const answer = async (path: string, body: Uint8Array) => {
      const response = await client.post(path, body, KSI);
      expect(response.status).toBe(200);
      return Buffer.from(await response.arrayBuffer());
    };
    for (const [path, encode] of [
      [
        "/ksi/aggregator",
        (loginId: string, key: Uint8Array) =>
          encodeAggregationRequestPdu({ header: { loginId }, ...aggregation }, key),
      ],
      [
        "/ksi/extender",
        (loginId: string, key: Uint8Array) =>
          encodeExtendRequestPdu({ header: { loginId }, ...extension }, key),
      ],
    ] as const) {
      const wrongKey = await answer(path, encode(client.loginId, randomBytes(16)));
      const unknown = await answer(path, encode("nobody", client.key));
      expect(unknown).toEqual(wrongKey);
      const decoded =
        path === "/ksi/aggregator"
          ? decodeAggregationResponsePdu(wrongKey)
          : decodeExtendResponsePdu(wrongKey);
      expect(decoded.pdu.error?.status).toBe(PduStatus.AUTHENTICATION_FAILURE);
      expect(decoded.hmac).toBeUndefined();
    }
  });

  it("answers unsupported and deprecated hash algorithms with 'invalid payload' naming the algorithm", async () => {
    const sm3 = await payloadStatus(makeImprint(HashAlgorithm.SM3, randomBytes(32)));
    expect(sm3).toMatchObject({
      status: AggregatorStatus.INVALID_PAYLOAD,
      errorMessage: expect.stringContaining("SM3"),
    });
    const sha1 = await payloadStatus(makeImprint(HashAlgorithm.SHA1, randomBytes(20)));
    expect(sha1).toMatchObject({
      status: AggregatorStatus.INVALID_PAYLOAD,
      errorMessage: expect.stringContaining("deprecated"),
    });
  });

  it("answers a digest of the wrong length with 'invalid payload'", async () => {
    const body = encodeAggregationRequestPdu(
      {
        header: { loginId: client.loginId },
        requests: [{ requestId: 1n, requestHash: makeImprint(1, randomBytes(31)) }],
      },
      client.key,
    );
    expect((await aggregatorAnswer(body)).pdu.error?.status).toBe(AggregatorStatus.INVALID_PAYLOAD);
  });

  it("answers a request level above the maximum with 'request too large'", async () => {
    expect((await payloadStatus(randomImprint(), 21)).status).toBe(AggregatorStatus.REQUEST_TOO_LARGE);
  });

  it("refuses other content types and methods", async () => {
    expect(
      await jsonError(await client.post("/ksi/aggregator", validPdu(), { "content-type": "text/plain" })),
    ).toEqual({
      status: 415,
      code: "UNSUPPORTED_MEDIA_TYPE",
    });
    expect(await jsonError(await fetch(`${client.base}/ksi/aggregator`))).toEqual({
      status: 405,
      code: "METHOD_NOT_ALLOWED",
    });
  });
});

describe("bad KSI extension requests", () => {
  const now = () => Math.floor(Date.now() / 1000);

  it("answers times in the future, before genesis, not yet in the calendar and backwards with their statuses", async () => {
    const genesis = init.genesis.genesisTime;
    expect(await extenderStatus(genesis, now() + 100)).toBe(ExtenderStatus.TIME_IN_FUTURE);
    expect(await extenderStatus(now() + 100)).toBe(ExtenderStatus.TIME_IN_FUTURE);
    expect(await extenderStatus(genesis - 10)).toBe(ExtenderStatus.TIME_TOO_OLD);
    expect(await extenderStatus(genesis, now())).toBe(ExtenderStatus.TIME_TOO_NEW);
    expect(await extenderStatus(genesis + 1, genesis)).toBe(ExtenderStatus.INVALID_TIME_RANGE);
  });
});

describe("bad JSON requests", () => {
  const sign = (json: unknown, headers?: Record<string, string>) =>
    client.postJson("/v1/sign", json, headers);

  it("refuses malformed, oversized and unexpected bodies", async () => {
    expect(await jsonError(await sign("{not json"))).toEqual({ status: 400, code: "BAD_JSON" });
    expect(await jsonError(await sign([1, 2]))).toEqual({ status: 400, code: "BAD_JSON" });
    expect(await jsonError(await sign({ hashes: [hex(randomImprint())], extra: 1 }))).toEqual({
      status: 400,
      code: "UNKNOWN_FIELD",
    });
    expect(await jsonError(await sign({ hashes: [] }))).toEqual({ status: 400, code: "BAD_HASHES" });
    const tooMany = Array.from({ length: 10_001 }, () => hex(randomImprint()));
    expect(await jsonError(await sign({ hashes: tooMany }))).toEqual({ status: 400, code: "BAD_HASHES" });
    const huge = JSON.stringify({ hashes: ["00".repeat(3_000_000)] });
    expect(await jsonError(await sign(huge))).toEqual({ status: 413, code: "BODY_TOO_LARGE" });
  });

  it("refuses missing credentials, and answers an unknown login id exactly as a wrong HMAC", async () => {
    const body = { hashes: [hex(randomImprint())] };
    expect(await jsonError(await sign(body, {}))).toEqual({ status: 401, code: "UNAUTHENTICATED" });
    const unknown = await sign(body, { "x-tempel-login-id": "nobody", "x-tempel-hmac": "00".repeat(32) });
    const wrong = await sign(body, { "x-tempel-login-id": client.loginId, "x-tempel-hmac": "00".repeat(32) });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const [unknownBody, wrongBody] = [await unknown.text(), await wrong.text()];
    expect(unknownBody).toBe(wrongBody);
    expect(JSON.parse(wrongBody).error.code).toBe("AUTHENTICATION_FAILED");
  });

  it("refuses /v1/extend without the agency's HMAC, as the KSI extender does", async () => {
    const [signature] = await client.signJson([randomImprint()]);
    const body = { signature: Buffer.from(encodeSignature(signature!)).toString("base64") };
    const extend = (headers?: Record<string, string>) => client.postJson("/v1/extend", body, headers);
    expect(await jsonError(await extend({}))).toEqual({ status: 401, code: "UNAUTHENTICATED" });
    const unknown = { "x-tempel-login-id": "nobody", "x-tempel-hmac": "00".repeat(32) };
    expect(await jsonError(await extend(unknown))).toEqual({ status: 401, code: "AUTHENTICATION_FAILED" });
    expect((await extend()).status).toBe(200);
  });

  it("refuses bad imprints, each with its own code", async () => {
    const one = async (imprint: string) => jsonError(await sign({ hashes: [imprint] }));
    expect(await one("zz")).toEqual({ status: 400, code: "BAD_IMPRINT" });
    expect(await one(hex(makeImprint(HashAlgorithm.SHA1, randomBytes(20))))).toEqual({
      status: 400,
      code: "HASH_DEPRECATED",
    });
    expect(await one(`03${"00".repeat(28)}`)).toEqual({ status: 400, code: "HASH_UNKNOWN_ALGORITHM" });
    expect(await one(hex(makeImprint(HashAlgorithm.SM3, randomBytes(32))))).toEqual({
      status: 400,
      code: "HASH_NOT_IMPLEMENTED",
    });
    expect(await one(`01${"00".repeat(31)}`)).toEqual({ status: 400, code: "IMPRINT_LENGTH" });
    const level = await jsonError(await sign({ hashes: [{ imprint: hex(randomImprint()), level: 99 }] }));
    expect(level).toEqual({ status: 400, code: "LEVEL_RANGE" });
  });

  it("refuses a signature that does not parse and chains outside the calendar", async () => {
    expect(await jsonError(await client.postJson("/v1/extend", { signature: "AAAA" }))).toEqual({
      status: 400,
      code: "BAD_SIGNATURE",
    });
    const genesis = init.genesis.genesisTime;
    const chain = (query: string) => fetch(`${client.base}/v1/calendar/chain?${query}`);
    expect(await jsonError(await chain(`from=${genesis - 5}`))).toEqual({
      status: 400,
      code: "TIME_TOO_OLD",
    });
    expect(await jsonError(await chain(`from=${genesis}&to=99999999999`))).toEqual({
      status: 400,
      code: "TIME_IN_FUTURE",
    });
    expect(await jsonError(await chain("from=abc"))).toEqual({ status: 400, code: "BAD_TIME" });
    expect(await jsonError(await fetch(`${client.base}/v1/nothing`))).toEqual({
      status: 404,
      code: "NOT_FOUND",
    });
  });

  it("keeps serving afterwards, and counts the refusals by reason", async () => {
    const [signature] = await client.signJson([randomImprint()]);
    expect((await client.verify(signature!)).calendar).toMatchObject({ result: "OK" });
    const metrics = await (await fetch(`${client.base}/metrics`)).text();
    for (const reason of ["unauthenticated", "bad_imprint", "too_large", "bad_request"]) {
      expect(metrics).toMatch(new RegExp(`tempel_rejected_requests_total\\{reason="${reason}"\\} [1-9]`));
    }
  });
});

describe("overload and quotas", () => {
  it("answers above the pending bound at once with 503 / 'too many requests', and over quota with 429 / 'over quota'", async () => {
    const { init: otherInit, config: other } = await initTestNode(join(dir, "b"));
    other.rounds.maxPending = 50;
    other.agencies = [{ ...otherInit.agency, quotaPerSecond: 40 }];
    const small = await startNode(other, silentLogger);
    try {
      const c = new TestClient(small.port, otherInit.agency);
      const batch = (n: number) => ({ hashes: Array.from({ length: n }, () => hex(randomImprint())) });
      const over = await c.postJson("/v1/sign", batch(60));
      expect(await jsonError(over)).toEqual({ status: 503, code: "OVERLOAD" });
      expect(over.headers.get("retry-after")).toBe("1");
      // Quota: 40 per second; after 25, another 20 in the same second are over quota.
      await waitForSecondStart();
      const first = c.postJson("/v1/sign", batch(25));
      const quota = await c.postJson("/v1/sign", batch(20));
      expect(await jsonError(quota)).toEqual({ status: 429, code: "QUOTA" });
      expect((await first).status).toBe(200);
      await waitForSecondStart();
      const pduFirst = c.signPdu(Array.from({ length: 16 }, randomImprint));
      const body = encodeAggregationRequestPdu(
        {
          header: { loginId: c.loginId },
          requests: Array.from({ length: 16 }, (_, i) => ({
            requestId: BigInt(i + 1),
            requestHash: randomImprint(),
          })),
        },
        c.key,
      );
      const second = c.signPdu(Array.from({ length: 16 }, randomImprint));
      const third = decodeAggregationResponsePdu(
        new Uint8Array(await (await c.post("/ksi/aggregator", body, KSI)).arrayBuffer()),
      );
      expect(third.pdu.responses.every((r) => r.status === AggregatorStatus.OVER_QUOTA)).toBe(true);
      await Promise.all([pduFirst, second]);
    } finally {
      await small.stop();
    }
  });
});

/** Quota windows are calendar seconds: start a quota check early in one so it cannot straddle two. */
async function waitForSecondStart(): Promise<void> {
  const into = Date.now() % 1000;
  if (into > 100) await new Promise((resolve) => setTimeout(resolve, 1000 - into + 10));
}

import { createHmac } from "node:crypto";
import type { IncomingMessage } from "node:http";
import {
  AggregationTree,
  composeChains,
  decodeSignature,
  encodeSignature,
  HashAlgorithm,
  makeImprint,
  signatureToJson,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { describe, expect, it } from "vitest";
import { AgencyRegistry } from "../../src/aggregation/agency.ts";
import { RoundAnswer, SignedRound } from "../../src/aggregation/round-answer.ts";
import type { HashRequest } from "../../src/aggregation/rounds.ts";
import { HttpError } from "../../src/api/http-error.ts";
import { HMAC_HEADER, JsonApi, LOGIN_ID_HEADER } from "../../src/api/json-api.ts";
import { SerializedJson } from "../../src/api/respond.ts";
import type { NodeCalendar } from "../../src/store/index.ts";

const NOW = 1_763_780_000_000;
// A client id outside ASCII: the decoded view must come out as UTF-8.
const agencies = new AgencyRegistry([{ loginId: "agência-1", key: "secret-of-agência-1" }], 1_000);
const agency = agencies.get("agência-1")!;

function treeOf(hashes: readonly HashRequest[]): AggregationTree {
  return new AggregationTree(
    hashes.map((h) => ({ imprint: h.imprint, level: h.level, metadata: agency.metadata })),
    { algorithm: HashAlgorithm.SHA2_256 },
  );
}

/** Signatures as the rounds would hand them out: one tree over the request's hashes, a round of its own. */
function sign(hashes: readonly HashRequest[]): RoundAnswer {
  const tree = treeOf(hashes);
  const top = { algorithm: tree.algorithm, inputHash: tree.root, inputLevel: tree.rootLevel, links: [] };
  return new RoundAnswer(new SignedRound(NOW / 1000, tree, top, {}), 0, hashes.length);
}

const api = new JsonApi(
  { maxSignBatch: 100, maxLevel: 20 },
  {
    agencies,
    rounds: { submit: async (_agency, hashes) => sign(hashes) },
    calendar: {} as NodeCalendar,
    signer: {} as never,
    hasher: nodeHasher,
    status: () => ({}),
    now: () => NOW,
  },
);

function signRequest(body: Uint8Array): IncomingMessage {
  const mac = createHmac("sha256", agency.key).update(body).digest("hex");
  return { headers: { [LOGIN_ID_HEADER]: agency.loginId, [HMAC_HEADER]: mac } } as unknown as IncomingMessage;
}

async function answer(imprints: readonly string[], view: boolean): Promise<Record<string, unknown>> {
  const body = new TextEncoder().encode(JSON.stringify({ hashes: imprints }));
  const response = await api.sign(signRequest(body), body, view);
  expect(response).toBeInstanceOf(SerializedJson);
  return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(response.bytes));
}

const hashes: HashRequest[] = Array.from({ length: 5 }, (_, i) => ({
  imprint: makeImprint(HashAlgorithm.SHA2_256, new Uint8Array(32).fill(i)),
  level: 0,
}));
const imprints = hashes.map((h) => Buffer.from(h.imprint).toString("hex"));

describe("JsonApi.sign", () => {
  it("answers with the base64 of each signature, in request order, as one JSON body", async () => {
    const json = await answer(imprints, false);
    const tree = treeOf(hashes);
    const expected = hashes.map((_, i) => ({
      aggregationChains: composeChains([tree.segment(i)], NOW / 1000),
    }));
    expect(json).toEqual({
      aggregationTime: NOW / 1000,
      signatures: expected.map((s) => Buffer.from(encodeSignature(s)).toString("base64")),
    });
  });

  it("adds the decoded view on request, its non-ASCII client id intact", async () => {
    const json = await answer(imprints.slice(0, 2), true);
    const signatures = (json.signatures as string[]).map((text) =>
      decodeSignature(Buffer.from(text, "base64")),
    );
    expect(json.json).toEqual(JSON.parse(JSON.stringify(signatures.map(signatureToJson))));
    expect(JSON.stringify(json.json)).toContain("agência-1");
  });

  it("reads each hash's imprint, object items and upper-case hex included, in request order", async () => {
    const items = [imprints[0]!, { imprint: imprints[1]!.toUpperCase(), level: 2 }, imprints[2]!];
    const body = new TextEncoder().encode(JSON.stringify({ hashes: items }));
    const submitted: HashRequest[][] = [];
    const recording = new JsonApi(
      { maxSignBatch: 100, maxLevel: 20 },
      {
        agencies,
        rounds: {
          submit: async (_agency, given) => {
            submitted.push([...given]);
            return sign(given);
          },
        },
        calendar: {} as NodeCalendar,
        signer: {} as never,
        hasher: nodeHasher,
        status: () => ({}),
        now: () => NOW,
      },
    );
    await recording.sign(signRequest(body), body, false);
    expect(submitted[0]!.map((h) => [Buffer.from(h.imprint).toString("hex"), h.level])).toEqual([
      [imprints[0], 0],
      [imprints[1], 2],
      [imprints[2], 0],
    ]);
  });

  it("refuses an imprint that is not hex, also where a character's low byte is a hex digit", async () => {
    for (const bad of [
      `${imprints[0]!.slice(0, -2)}0g`,
      `\u0130${imprints[0]!.slice(1)}`,
      `${imprints[0]}0`,
    ]) {
      const body = new TextEncoder().encode(JSON.stringify({ hashes: [imprints[1], bad] }));
      await expect(api.sign(signRequest(body), body, false)).rejects.toMatchObject({
        code: "BAD_IMPRINT",
      });
    }
  });

  it("refuses a level that is not a whole number in 0..maxLevel, null included, with LEVEL_RANGE", async () => {
    for (const level of [null, "2", 1.5, -1, 21, 256]) {
      const body = new TextEncoder().encode(JSON.stringify({ hashes: [{ imprint: imprints[0], level }] }));
      await expect(api.sign(signRequest(body), body, false), `level ${level}`).rejects.toMatchObject({
        status: 400,
        code: "LEVEL_RANGE",
      });
    }
  });

  it("returns a finished signature for a hash at a level: its first link holds the level", async () => {
    const body = new TextEncoder().encode(JSON.stringify({ hashes: [{ imprint: imprints[0], level: 20 }] }));
    const json = JSON.parse(new TextDecoder().decode((await api.sign(signRequest(body), body, false)).bytes));
    const signature = decodeSignature(Buffer.from(json.signatures[0], "base64"));
    expect(signature.aggregationChains[0]!.links[0]!.levelCorrection).toBe(20);
  });
});

describe("JsonApi authentication", () => {
  // The largest body the API reads: an HMAC over it is work enough to time.
  const body = new Uint8Array(4 * 1024 * 1024).fill(0x20);
  const headers = (loginId: string) =>
    ({
      headers: { [LOGIN_ID_HEADER]: loginId, [HMAC_HEADER]: "00".repeat(32) },
    }) as unknown as IncomingMessage;
  const refusal = async (loginId: string) => {
    const error = await api.sign(headers(loginId), body, false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    return error as HttpError;
  };
  const cost = async (loginId: string) => {
    let least = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 5; run++) {
      const start = process.cpuUsage();
      for (let i = 0; i < 4; i++) await refusal(loginId);
      const used = process.cpuUsage(start);
      least = Math.min(least, used.user + used.system);
    }
    return least;
  };

  it("answers an unknown login id as a wrong HMAC: same status, code and message", async () => {
    const [unknown, wrong] = [await refusal("nobody"), await refusal(agency.loginId)];
    expect({ ...unknown, message: unknown.message }).toEqual({ ...wrong, message: wrong.message });
    expect(wrong).toMatchObject({ status: 401, code: "AUTHENTICATION_FAILED" });
  });

  it("refuses an unknown login id after as much work as a wrong HMAC", async () => {
    const [unknown, wrong] = [await cost("nobody"), await cost(agency.loginId)];
    // An HMAC over 4 MiB is some 10 ms: without it the unknown login was answered at once.
    expect(unknown).toBeGreaterThan(wrong / 2);
    expect(unknown).toBeLessThan(wrong * 2);
  });
});

import {
  type AggregationResponsePayload,
  AggregatorStatus,
  bytesEqual,
  Calendar,
  decodeAggregationResponsePdu,
  encodeAggregationRequestPdu,
  HashAlgorithm,
  type Imprint,
  internalPolicy,
  MemoryCalendarStore,
  makeImprint,
  signatureFromAggregationResponse,
  verifySignature,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { describe, expect, it } from "vitest";
import { libksiRoot } from "../../../proto/test/unit/helpers/libksi-reading.ts";
import { AgencyRegistry } from "../../src/aggregation/agency.ts";
import { BlockBuilder } from "../../src/aggregation/block-tree.ts";
import { RoundAnswer, SignedRound } from "../../src/aggregation/round-answer.ts";
import type { HashRequest } from "../../src/aggregation/rounds.ts";
import { KsiEndpoints } from "../../src/api/ksi-endpoints.ts";
import { topTree } from "../../src/consensus/index.ts";
import { silentLogger } from "../../src/logger/logger.ts";
import { createMetrics } from "../../src/metrics/metrics.ts";

const T0 = 1_763_780_000;
const MAX_LEVEL = 20;
const ALGORITHM = HashAlgorithm.SHA2_256;
const agencies = new AgencyRegistry(
  [{ loginId: "agency-1", key: "agency-1-key-of-32-bytes-length!" }],
  1_000,
);
const agency = agencies.get("agency-1")!;

/**
 * One round per submit, put together as the node's rounds do it: the hashes in a local tree with the
 * agency's metadata, that tree's root beside another member's in the top tree, and the top root in
 * the calendar.
 */
async function openRounds() {
  const calendar = await Calendar.open(new MemoryCalendarStore(), { genesisTime: T0 });
  let time = T0;
  return async (hashes: readonly HashRequest[]): Promise<RoundAnswer> => {
    const builder = new BlockBuilder({ algorithm: ALGORITHM });
    builder.add(hashes.map((h) => ({ imprint: h.imprint, level: h.level, metadata: agency.metadata })));
    const tree = builder.finish();
    const other = makeImprint(ALGORITHM, new Uint8Array(32).fill(0xee));
    const top = topTree(
      [
        { time, nodeId: "member-a", root: tree.root, level: tree.rootLevel },
        { time, nodeId: "member-b", root: other, level: 2 },
      ],
      ALGORITHM,
    );
    await calendar.append(time, top.root);
    const calendarChain = await calendar.chain(time, time);
    const round = new SignedRound(time, tree, top.segment(0), { calendarChain });
    time++;
    return new RoundAnswer(round, 0, hashes.length);
  };
}

async function endpoints(): Promise<KsiEndpoints> {
  const sign = await openRounds();
  return new KsiEndpoints(
    { maxPduBytes: 65_536, maxPduPayloads: 16, maxLevel: MAX_LEVEL },
    {
      agencies,
      rounds: { submit: (_agency, hashes) => sign(hashes) },
      calendar: { genesisTime: T0, head: T0, chain: () => Promise.reject(new Error("not asked")) },
      algorithm: ALGORITHM,
      hasher: nodeHasher,
      metrics: createMetrics({ processMetrics: false }).api,
      logger: silentLogger,
      now: () => T0 * 1000,
    },
  );
}

const imprint = (seed: number): Imprint => makeImprint(ALGORITHM, new Uint8Array(32).fill(seed));

/** One PDU with a payload per (hash, level), its answer checked for the agency's HMAC. */
async function aggregate(node: KsiEndpoints, levels: readonly number[]) {
  const requests = levels.map((level, i) => ({
    requestId: BigInt(i + 1),
    requestHash: imprint(i + 1),
    ...(level > 0 && { requestLevel: level }),
  }));
  const body = encodeAggregationRequestPdu(
    { header: { loginId: agency.loginId }, requests, configRequest: true },
    agency.key,
  );
  const { pdu, hmac } = decodeAggregationResponsePdu(await node.aggregate(body));
  expect(hmac?.check(agency.key)).toBe(true);
  return { requests, pdu };
}

/** Whether libksi, reading `payload` as its answer to a request at `level`, reaches the calendar's input. */
function reachesCalendar(payload: AggregationResponsePayload, level: number): boolean {
  const root = libksiRoot(payload.aggregationChains, level);
  return root !== undefined && bytesEqual(root, payload.calendarChain!.inputHash);
}

describe("the KSI aggregator's answer to a request at a level", () => {
  it.each([0, 1, 5, MAX_LEVEL])(
    "starts the first chain at request level %i, so that libksi's reading reaches the calendar",
    async (level) => {
      const { requests, pdu } = await aggregate(await endpoints(), [level]);
      const payload = pdu.responses[0]!;
      expect(payload).toMatchObject({ requestId: 1n, status: AggregatorStatus.OK });
      // The agency's metadata link comes first; its correction is 0 from the request's level.
      expect(payload.aggregationChains[0]!.links[0]).toMatchObject({ levelCorrection: 0 });
      expect(reachesCalendar(payload, level)).toBe(true);
      const signature = signatureFromAggregationResponse(payload, level);
      const documentHash = requests[0]!.requestHash;
      expect(
        await verifySignature(signature, { documentHash, inputLevel: level }, internalPolicy),
      ).toMatchObject({
        result: "OK",
      });
      expect(
        await verifySignature(signature, { documentHash, inputLevel: level + 1 }, internalPolicy),
      ).toMatchObject({ result: "FAIL", code: "GEN-03" });
    },
  );

  it("gives each payload of one PDU the correction for its own level", async () => {
    const levels = [0, 1, 5, MAX_LEVEL, 3];
    const { requests, pdu } = await aggregate(await endpoints(), levels);
    for (const [i, level] of levels.entries()) {
      const payload = pdu.responses[i]!;
      expect(reachesCalendar(payload, level), `level ${level}`).toBe(true);
      const signature = signatureFromAggregationResponse(payload, level);
      const verdict = await verifySignature(
        signature,
        { documentHash: requests[i]!.requestHash, inputLevel: level },
        internalPolicy,
      );
      expect(verdict, `level ${level}`).toMatchObject({ result: "OK" });
    }
  });

  it("refuses a request above the advertised max level with 0x0104 and signs the PDU's others", async () => {
    const { pdu } = await aggregate(await endpoints(), [MAX_LEVEL + 1, 2, 255]);
    expect(pdu.config?.maxLevel).toBe(MAX_LEVEL);
    expect(pdu.responses[0]).toMatchObject({
      status: AggregatorStatus.REQUEST_TOO_LARGE,
      aggregationChains: [],
    });
    expect(pdu.responses[0]!.errorMessage).toContain(`0..${MAX_LEVEL}`);
    expect(pdu.responses[2]).toMatchObject({ status: AggregatorStatus.REQUEST_TOO_LARGE });
    expect(pdu.responses[1]).toMatchObject({ status: AggregatorStatus.OK });
    expect(reachesCalendar(pdu.responses[1]!, 2)).toBe(true);
  });
});

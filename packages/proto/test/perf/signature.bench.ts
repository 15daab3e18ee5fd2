/**
 * CPU cost per signature of answering one round, the way a node answers it: compose each leaf's
 * aggregation chains from the round's tree, then serialize the signature (KSI TLV, and base64 as the
 * JSON API sends it; one by one and in batches) or a one-payload aggregation response PDU (as the
 * KSI endpoint sends it; its HMAC with proto's default noble hasher and with node:crypto injected). The
 * calendar chain, calendar authentication record and quorum certificate are shared by the round, as
 * in a node. Costs are per CPU second of this process, so other load on a shared machine does not
 * count against them; each case runs three times and the fastest counts.
 *
 * Run: npx node packages/proto/test/perf/signature.bench.ts [leaves]
 */
import { loadavg } from "node:os";
import { AggregationTree, composeChains } from "../../src/aggregation/index.ts";
import { HashAlgorithm } from "../../src/hash/algorithms.ts";
import { type Hasher, nobleHasher } from "../../src/hash/hasher.ts";
import { makeImprint } from "../../src/hash/imprint.ts";
import { aggregationResponsePayloadFor, encodeAggregationResponsePdu } from "../../src/pdu/aggregation.ts";
import { encodeCalendarAuthRecord } from "../../src/signature/calendar-auth-record.ts";
import { encodeCalendarChain } from "../../src/signature/calendar-chain.ts";
import { encodeSignature, encodeSignatures } from "../../src/signature/codec.ts";
import { encodeQuorumCertificate } from "../../src/signature/quorum-certificate.ts";
import type {
  CalendarAuthRecord,
  CalendarHashChain,
  KsiSignature,
  QuorumCertificate,
} from "../../src/signature/types.ts";
import { opensslSha256 } from "./openssl-hasher.ts";

const REPEATS = 3;
const leafCount = Number(process.argv[2] ?? 100_000);
const aggregationTime = 1_763_780_000;
const key = new TextEncoder().encode("benchmark key");

function random(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

const sha256 = () => makeImprint(HashAlgorithm.SHA2_256, random(32));

const tree = new AggregationTree(
  Array.from({ length: leafCount }, () => ({ imprint: sha256(), metadata: { clientId: "agency-1" } })),
  { algorithm: HashAlgorithm.SHA2_256 },
);
const publishedData = { publicationTime: aggregationTime, publishedHash: sha256() };
// A calendar 56 years long has about 31 links per chain.
const calendarChain: CalendarHashChain = {
  publicationTime: aggregationTime,
  aggregationTime,
  aggregationTimePresent: false,
  inputHash: sha256(),
  links: Array.from({ length: 31 }, (_, i) => ({
    direction: i % 3 === 0 ? "left" : "right",
    sibling: sha256(),
  })),
};
const calendarAuthRecord: CalendarAuthRecord = {
  publishedData,
  signatureData: {
    signatureType: "1.2.840.113549.1.1.11",
    signatureValue: random(256),
    certificateId: random(4),
  },
};
const quorumCertificate: QuorumCertificate = {
  publishedData,
  shares: [{ memberId: "12D3KooWbenchmark", signature: random(64) }],
};
// A node encodes these once per round: every signature of the round copies their bytes.
const shared = {
  calendarChain: { ...calendarChain, source: encodeCalendarChain(calendarChain) },
  calendarAuthRecord: { ...calendarAuthRecord, source: encodeCalendarAuthRecord(calendarAuthRecord) },
  quorumCertificate: { ...quorumCertificate, source: encodeQuorumCertificate(quorumCertificate) },
} satisfies Partial<KsiSignature>;

function signatureOf(leaf: number): KsiSignature {
  return { aggregationChains: composeChains([tree.segment(leaf)], aggregationTime), ...shared };
}

function cpuSeconds(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function fastest(run: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < REPEATS; i++) best = Math.min(best, cpuSeconds(run));
  return best;
}

let bytes = 0;
const cases: Record<string, () => void> = {
  "compose chains": () => {
    for (let i = 0; i < leafCount; i++) bytes += signatureOf(i).aggregationChains.length;
  },
  "compose + encode signature": () => {
    for (let i = 0; i < leafCount; i++) bytes += encodeSignature(signatureOf(i)).length;
  },
  "compose + encode + base64": () => {
    for (let i = 0; i < leafCount; i++)
      bytes += Buffer.from(encodeSignature(signatureOf(i))).toString("base64").length;
  },
  "compose + encode batches of 1000": () => {
    for (let start = 0; start < leafCount; start += 1000) {
      const batch = Array.from({ length: Math.min(1000, leafCount - start) }, (_, i) =>
        signatureOf(start + i),
      );
      for (const encoded of encodeSignatures(batch)) bytes += encoded.length;
    }
  },
  "compose + aggregation response PDU (noble HMAC)": () => responsePdus(nobleHasher),
  "compose + aggregation response PDU (node:crypto HMAC)": () => responsePdus(opensslSha256),
};

function responsePdus(hasher: Hasher): void {
  for (let i = 0; i < leafCount; i++) {
    const payload = aggregationResponsePayloadFor(BigInt(i), signatureOf(i));
    bytes += encodeAggregationResponsePdu(
      { header: { loginId: "agency-1" }, responses: [payload] },
      key,
      undefined,
      undefined,
      hasher,
    ).length;
  }
}

const results: Record<string, number> = {};
console.log(`${leafCount} signatures per case; load average ${loadavg()[0]!.toFixed(2)}`);
for (const [name, run] of Object.entries(cases)) {
  const microseconds = (fastest(run) / leafCount) * 1e6;
  results[name] = Number(microseconds.toFixed(2));
  console.log(`${name.padEnd(56)} ${microseconds.toFixed(2).padStart(8)} µs CPU per signature`);
}
if (bytes === 0) throw new Error("nothing was encoded");
console.log(JSON.stringify({ benchmark: "signature", leafCount, loadAverage: loadavg()[0], results }));

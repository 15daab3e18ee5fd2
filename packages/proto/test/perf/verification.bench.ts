/**
 * CPU cost per signature of checking what a 3-node Tempel cluster hands out, without a cluster: one
 * node's round of `leaves` hashes from one agency (metadata link), the top tree over the three nodes'
 * roots, the calendar chain from the real calendar tree (genesis a few years back, extended to a
 * later root as an extended signature is), an Ed25519-shaped calendar auth record and a quorum
 * certificate of two shares. Every signature of the round is encoded, then the cases run over all
 * of them: decode, and the KSI internal policy against each document hash with node:crypto injected
 * (what the node and the CLI use) and with proto's default @noble/hashes; verification reuses the
 * work signatures of a batch share (their calendar and top chains, their upper links), and the last
 * case shows what a signature costs without any of that. Costs are per CPU second
 * of this process, so other load on a shared machine does not count against them; each case runs
 * three times and the fastest counts. Target (issues 2 and 4): 20k internal verifications per second.
 *
 * Run: npx node packages/proto/test/perf/verification.bench.ts [leaves]
 */
import { loadavg } from "node:os";
import { AggregationTree, composeChains } from "../../src/aggregation/index.ts";
import { Calendar, MemoryCalendarStore } from "../../src/calendar/index.ts";
import { HashAlgorithm } from "../../src/hash/algorithms.ts";
import { type Hasher, nobleHasher } from "../../src/hash/hasher.ts";
import { type Imprint, makeImprint } from "../../src/hash/imprint.ts";
import { decodeSignature, encodeSignatures } from "../../src/signature/codec.ts";
import type { KsiSignature } from "../../src/signature/types.ts";
import { internalPolicy, verifySignature } from "../../src/verification/index.ts";
import { opensslSha256 } from "./openssl-hasher.ts";

const REPEATS = 3;
const leafCount = Number(process.argv[2] ?? 10_000);
const genesisTime = 1_700_000_000;
const aggregationTime = 1_763_780_001;
const publicationTime = aggregationTime + 86_400 * 30;

function random(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

const sha256 = (): Imprint => makeImprint(HashAlgorithm.SHA2_256, random(32));
const treeOptions = { algorithm: HashAlgorithm.SHA2_256, hasher: opensslSha256 };

const documents = Array.from({ length: leafCount }, sha256);
const agency = { clientId: "agency-1", machineId: "tempel-node-1" };
const local = new AggregationTree(
  documents.map((imprint) => ({ imprint, metadata: agency })),
  treeOptions,
);
const top = new AggregationTree(
  [
    { imprint: local.root, level: local.rootLevel },
    { imprint: sha256(), level: local.rootLevel - 1 },
    { imprint: sha256(), level: local.rootLevel + 1 },
  ],
  treeOptions,
);

const calendar = await Calendar.open(new MemoryCalendarStore(), { genesisTime, hasher: opensslSha256 });
await calendar.append(aggregationTime, top.root);
await calendar.append(publicationTime, sha256());
const calendarChain = await calendar.chain(aggregationTime, publicationTime);
const publishedData = { publicationTime, publishedHash: await calendar.rootAt(publicationTime) };
const shared = {
  calendarChain,
  calendarAuthRecord: {
    publishedData,
    signatureData: { signatureType: "1.3.101.112", signatureValue: random(64), certificateId: random(8) },
  },
  quorumCertificate: {
    publishedData,
    shares: [1, 2].map((n) => ({
      memberId: `12D3KooWTempelBenchmarkMember${n}xxxxxxxxxxxxxxxxxxxxxxx`,
      signature: random(64),
    })),
  },
} satisfies Partial<KsiSignature>;

const encoded = encodeSignatures(
  documents.map((_, leaf) => ({
    aggregationChains: composeChains([local.segment(leaf), top.segment(0)], aggregationTime),
    ...shared,
  })),
).map((bytes) => bytes.slice());

function cpuSeconds(run: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  return run().then(() => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1e6;
  });
}

async function fastest(run: () => Promise<void>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < REPEATS; i++) best = Math.min(best, await cpuSeconds(run));
  return best;
}

let decoded: KsiSignature[] = [];

async function verifyAll(hasherFor: () => Hasher): Promise<void> {
  for (let i = 0; i < leafCount; i++) {
    const result = await verifySignature(
      decoded[i]!,
      { documentHash: documents[i]!, hasher: hasherFor() },
      internalPolicy,
    );
    if (result.result !== "OK") throw new Error(`signature ${i}: ${result.code} ${result.message}`);
  }
}

const cases: Record<string, () => Promise<void>> = {
  decode: async () => {
    decoded = encoded.map((bytes) => decodeSignature(bytes));
  },
  "internal policy (node:crypto)": () => verifyAll(() => opensslSha256),
  "decode + internal policy (node:crypto)": async () => {
    decoded = encoded.map((bytes) => decodeSignature(bytes));
    await verifyAll(() => opensslSha256);
  },
  "internal policy (noble)": () => verifyAll(() => nobleHasher),
  // A hasher of its own per signature shares no memoized work: what one signature alone costs.
  "internal policy (node:crypto), each alone": () =>
    verifyAll(() => (algorithm, data) => opensslSha256(algorithm, data)),
};

const first = decodeSignature(encoded[0]!);
const shape = {
  bytes: encoded[0]!.length,
  aggregationLinks: first.aggregationChains.map((chain) => chain.links.length),
  calendarLinks: first.calendarChain!.links.length,
};
console.log(
  `${leafCount} signatures per case, ${shape.bytes} bytes each, aggregation links ${shape.aggregationLinks.join(" + ")}, ` +
    `calendar links ${shape.calendarLinks}; load average ${loadavg()[0]!.toFixed(2)}`,
);
const results: Record<string, number> = {};
for (const [name, run] of Object.entries(cases)) {
  const microseconds = ((await fastest(run)) / leafCount) * 1e6;
  results[name] = Number(microseconds.toFixed(2));
  console.log(
    `${name.padEnd(40)} ${microseconds.toFixed(2).padStart(8)} µs CPU per signature ` +
      `(${Math.round(1e6 / microseconds)}/s)`,
  );
}
console.log(
  JSON.stringify({ benchmark: "verification", leafCount, ...shape, loadAverage: loadavg()[0], results }),
);

/**
 * Verification cost of the SDK: decode and verify 10,000 signatures a real tempel-node made (through
 * TempelClient.signMany, as an agency would get them) with the KSI internal policy against their
 * document hashes, once with proto's default hasher (@noble/hashes, as in a browser) and once with
 * node:crypto (as the CLI sets it). Times are wall clock and CPU seconds of this process (the machine
 * may be shared); each case runs three times and the fastest counts. Target: 10k in under 1 s.
 * Prints figures, then one JSON line {"benchmark": "client-verify", ...}.
 *
 * Run: npx node packages/client/test/perf/verify.bench.ts [signatures]
 */
import { type Hasher, nobleHasher } from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { Signature, TempelClient } from "../../src/index.ts";
import { startTempelNode, waitForCertifiedHead } from "../e2e/tempel-node.ts";

const TARGET_SECONDS_PER_10K = 1;
const REPEATS = 3;
const count = Number(process.argv[2] ?? 10_000);

interface Timing {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
}

async function timed(work: () => Promise<void>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { wallSeconds: (performance.now() - start) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

async function fastest(work: () => Promise<void>): Promise<Timing> {
  let best: Timing | undefined;
  for (let i = 0; i < REPEATS; i++) {
    const timing = await timed(work);
    if (best === undefined || timing.cpuSeconds < best.cpuSeconds) best = timing;
  }
  return best!;
}

const node = await startTempelNode();
try {
  await waitForCertifiedHead(node.url);
  const client = new TempelClient({ endpoints: [node.url], agency: node.agency });
  const documents = Array.from({ length: count }, (_, i) => `benchmark document ${i}`);
  const encoded = (await client.signMany(documents)).map((signature) => signature.encode());
  const bytes = encoded.reduce((sum, e) => sum + e.length, 0) / count;

  let decoded: Signature[] = [];
  const decode = await fastest(async () => {
    decoded = encoded.map((e) => Signature.decode(e));
  });
  const verifyAll = (hasher: Hasher) => async () => {
    const verifier = new TempelClient({ endpoints: [node.url], hasher });
    for (let i = 0; i < count; i++) {
      const result = await verifier.verify(decoded[i]!, documents[i], { policy: "internal" });
      if (result.result !== "OK") throw new Error(`signature ${i}: ${result.code} ${result.message}`);
    }
  };
  const noble = await fastest(verifyAll(nobleHasher));
  const openssl = await fastest(verifyAll(nodeHasher));

  const per10k = (t: Timing) => (t.cpuSeconds * 10_000) / count;
  const line = (name: string, t: Timing) =>
    `${name.padEnd(34)} ${t.wallSeconds.toFixed(3)} s wall, ${t.cpuSeconds.toFixed(3)} s CPU, ` +
    `${((t.cpuSeconds / count) * 1e6).toFixed(1)} µs CPU per signature`;
  console.log(`${count} signatures from a one-node cluster, ${bytes.toFixed(0)} bytes each on average`);
  console.log(line("decode", decode));
  console.log(line("verify internal (@noble/hashes)", noble));
  console.log(line("verify internal (node:crypto)", openssl));
  const best = Math.min(per10k(noble), per10k(openssl));
  console.log(
    `target: 10k in < ${TARGET_SECONDS_PER_10K} s → best ${best.toFixed(3)} CPU s per 10k: ${best < TARGET_SECONDS_PER_10K ? "met" : "NOT met"}`,
  );
  console.log(
    JSON.stringify({
      benchmark: "client-verify",
      signatures: count,
      bytesPerSignature: Math.round(bytes),
      decode,
      internalNoble: noble,
      internalNodeCrypto: openssl,
      cpuSecondsPer10k: { noble: per10k(noble), nodeCrypto: per10k(openssl) },
      targetSecondsPer10k: TARGET_SECONDS_PER_10K,
    }),
  );
} finally {
  await node.stop();
}

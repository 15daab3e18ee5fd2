/**
 * Aggregation tree throughput: build one round's tree over 10^6 leaves and extract every leaf's
 * aggregation hash chain (the AggregationHashChain objects a signature needs), with proto's default
 * hasher (@noble/hashes) and with node:crypto's one-shot `hash()` injected, compared with the
 * machine's raw SHA-256 rate from `openssl speed`. Rates are per CPU second of this process (like
 * openssl's, which divides by CPU time), so other load on a shared machine does not count against
 * them; wall-clock times are printed too. Each case runs three times and the fastest counts.
 * Target: ≥ 500k leaves per CPU second.
 *
 * Run: npx node packages/proto/test/perf/aggregation.bench.ts [leaves]
 */
import { execFileSync } from "node:child_process";
import { hash } from "node:crypto";
import { loadavg } from "node:os";
import { type AggregationLeaf, AggregationTree, composeChains } from "../../src/aggregation/index.ts";
import { HashAlgorithm } from "../../src/hash/algorithms.ts";
import { type Hasher, nobleHasher } from "../../src/hash/hasher.ts";
import { makeImprint } from "../../src/hash/imprint.ts";

const TARGET_LEAVES_PER_CPU_SECOND = 500_000;
const REPEATS = 3;
const leafCount = Number(process.argv[2] ?? 1_000_000);
const aggregationTime = 1_700_000_000;

/**
 * node:crypto the way the node's hasher uses it: the tree writes through `into`, taking the digest as a
 * "binary" (latin1) string, which costs far less than the Buffer node:crypto would allocate per node.
 */
const nodeCryptoHasher: Hasher = Object.assign(
  (algorithm: number, data: Uint8Array): Uint8Array => {
    if (algorithm !== HashAlgorithm.SHA2_256) throw new Error("the benchmark hashes SHA-256 only");
    return hash("sha256", data, "buffer");
  },
  {
    into: (algorithm: number, data: Uint8Array, out: Uint8Array, offset: number): void => {
      if (algorithm !== HashAlgorithm.SHA2_256) throw new Error("the benchmark hashes SHA-256 only");
      const digest = hash("sha256", data, "binary");
      for (let i = 0; i < digest.length; i++) out[offset + i] = digest.charCodeAt(i);
    },
  },
);

/** Random leaves; with metadata, each carries one of 50 agencies' shared records, as the node builds them. */
function makeLeaves(withMetadata: boolean): AggregationLeaf[] {
  const agencies = Array.from({ length: 50 }, (_, i) => ({ clientId: `agency-${i}` }));
  const digests = new Uint8Array(32 * leafCount);
  for (let at = 0; at < digests.length; at += 65_536)
    crypto.getRandomValues(digests.subarray(at, at + 65_536));
  return Array.from({ length: leafCount }, (_, i) => {
    const imprint = makeImprint(HashAlgorithm.SHA2_256, digests.subarray(32 * i, 32 * i + 32));
    return withMetadata ? { imprint, metadata: agencies[i % agencies.length]! } : { imprint };
  });
}

interface Run {
  /** Wall-clock seconds. */
  buildSeconds: number;
  chainsSeconds: number;
  /** CPU seconds of building, and of the whole run. */
  buildCpuSeconds: number;
  cpuSeconds: number;
  leavesPerCpuSecond: number;
  /** Hashes per CPU second while building (n − 1 inner nodes, plus one per metadata leaf). */
  buildHashesPerCpuSecond: number;
}

function cpuSeconds(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6;
}

function runOnce(leaves: readonly AggregationLeaf[], hasher: Hasher): Run {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const tree = new AggregationTree(leaves, { algorithm: HashAlgorithm.SHA2_256, hasher });
  const built = performance.now();
  const buildCpu = cpuSeconds(process.cpuUsage(cpu));
  let links = 0;
  for (let i = 0; i < tree.leafCount; i++)
    links += composeChains([tree.segment(i)], aggregationTime)[0]!.links.length;
  const done = performance.now();
  const totalCpu = cpuSeconds(process.cpuUsage(cpu));
  if (links < leaves.length) throw new Error("chains are missing links");
  const hashes = leaves.length - 1 + leaves.filter((leaf) => leaf.metadata !== undefined).length;
  return {
    buildSeconds: (built - started) / 1000,
    chainsSeconds: (done - built) / 1000,
    buildCpuSeconds: buildCpu,
    cpuSeconds: totalCpu,
    leavesPerCpuSecond: Math.round(leaves.length / totalCpu),
    buildHashesPerCpuSecond: Math.round(hashes / buildCpu),
  };
}

function fastest(leaves: readonly AggregationLeaf[], hasher: Hasher): Run {
  let best: Run | undefined;
  for (let i = 0; i < REPEATS; i++) {
    const run = runOnce(leaves, hasher);
    if (best === undefined || run.leavesPerCpuSecond > best.leavesPerCpuSecond) best = run;
  }
  return best!;
}

/** SHA-256 operations per CPU second on 64-byte inputs (`openssl speed` prints 1000s of bytes per second). */
function opensslSha256PerSecond(): number {
  const output = execFileSync("openssl", ["speed", "-evp", "sha256", "-bytes", "64", "-seconds", "3"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const match = /^sha256\s+([\d.]+)k\s*$/m.exec(output);
  if (match === null) throw new Error(`unexpected openssl speed output:\n${output}`);
  return Math.round((Number(match[1]) * 1000) / 64);
}

const loadBefore = loadavg()[0]!;
const results: Record<string, Run> = {};
for (const withMetadata of [false, true]) {
  const leaves = makeLeaves(withMetadata);
  for (const [hasherName, hasher] of [
    ["noble", nobleHasher],
    ["node:crypto", nodeCryptoHasher],
  ] as const) {
    const name = `${hasherName}${withMetadata ? " +metadata" : ""}`;
    const r = fastest(leaves, hasher);
    results[name] = r;
    console.log(
      `${name.padEnd(22)} ${leafCount} leaves: ${r.leavesPerCpuSecond.toLocaleString("en")} leaves/CPU s` +
        ` (CPU: build ${r.buildCpuSeconds.toFixed(2)} s of ${r.cpuSeconds.toFixed(2)} s;` +
        ` wall: build ${r.buildSeconds.toFixed(2)} s + chains ${r.chainsSeconds.toFixed(2)} s)`,
    );
  }
}
const openssl = opensslSha256PerSecond();
const ratios = Object.fromEntries(
  Object.entries(results).map(([name, r]) => [
    name,
    Number((r.buildHashesPerCpuSecond / openssl).toFixed(3)),
  ]),
);
console.log(`openssl speed sha256, 64-byte blocks: ${openssl.toLocaleString("en")} hashes/CPU s`);
for (const [name, ratio] of Object.entries(ratios)) {
  console.log(`build hashes per CPU second / openssl (${name}): ${ratio}`);
}
console.log(`1-minute load average: ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`);
console.log(
  JSON.stringify({
    benchmark: "aggregation-tree",
    leaves: leafCount,
    targetLeavesPerCpuSecond: TARGET_LEAVES_PER_CPU_SECOND,
    meetsTarget: Object.fromEntries(
      Object.entries(results).map(([name, r]) => [
        name,
        r.leavesPerCpuSecond >= TARGET_LEAVES_PER_CPU_SECOND,
      ]),
    ),
    results,
    opensslSha256PerSecond: openssl,
    buildHashRateToOpenssl: ratios,
    loadAverage: { before: loadBefore, after: loadavg()[0] },
  }),
);

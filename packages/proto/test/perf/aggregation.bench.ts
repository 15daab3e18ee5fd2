/**
 * Aggregation tree throughput: build one round's tree over 10^6 leaves and extract every leaf's
 * aggregation hash chain, with proto's default hasher (@noble/hashes) and with node:crypto's one-shot
 * `hash()` injected, against the machine's raw SHA-256 rate from `openssl speed`.
 * Run: npx node packages/proto/test/perf/aggregation.bench.ts [leaves]
 */
import { execFileSync } from "node:child_process";
import { hash } from "node:crypto";
import {
  type AggregationLeaf,
  AggregationTree,
  composeChains,
  type DigestInto,
  digestIntoFrom,
} from "../../src/aggregation/index.ts";
import { HashAlgorithm } from "../../src/hash/algorithms.ts";
import { nobleHasher } from "../../src/hash/hasher.ts";
import { makeImprint } from "../../src/hash/imprint.ts";

const NODE_NAMES: Record<number, string> = { [HashAlgorithm.SHA2_256]: "sha256" };
/** A "binary" (latin1) string costs far less than the new Buffer node:crypto would otherwise allocate per digest. */
const nodeDigestInto: DigestInto = (algorithm, data, out, offset) => {
  const digest = hash(NODE_NAMES[algorithm]!, data, "binary");
  for (let i = 0; i < digest.length; i++) out[offset + i] = digest.charCodeAt(i);
};

const leafCount = Number(process.argv[2] ?? 1_000_000);
const aggregationTime = 1_700_000_000;

/** Random leaves; with metadata, every leaf carries its agency's shared record, as the node builds them. */
function makeLeaves(withMetadata: boolean): AggregationLeaf[] {
  const agencies = Array.from({ length: 50 }, (_, i) => ({ clientId: `agency-${i}` }));
  const digests = new Uint8Array(32 * leafCount);
  for (let at = 0; at < digests.length; at += 65_536)
    crypto.getRandomValues(digests.subarray(at, at + 65_536));
  return Array.from({ length: leafCount }, (_, i) => {
    const imprint = makeImprint(HashAlgorithm.SHA2_256, digests.subarray(32 * i, 32 * i + 32));
    return withMetadata ? { imprint, metadata: agencies[i % agencies.length] } : { imprint };
  });
}

interface Run {
  hashes: number;
  buildSeconds: number;
  chainsSeconds: number;
  leavesPerSecond: number;
  hashesPerSecond: number;
}

function run(leaves: readonly AggregationLeaf[], digestInto: DigestInto): Run {
  const started = performance.now();
  const tree = new AggregationTree(leaves, { algorithm: HashAlgorithm.SHA2_256, digestInto });
  const built = performance.now();
  let links = 0;
  for (let i = 0; i < tree.leafCount; i++)
    links += composeChains([tree.segment(i)], aggregationTime)[0]!.links.length;
  const done = performance.now();
  if (links === 0) throw new Error("no links extracted");
  const hashes = leaves.length - 1 + leaves.filter((leaf) => leaf.metadata !== undefined).length;
  const seconds = (done - started) / 1000;
  return {
    hashes,
    buildSeconds: (built - started) / 1000,
    chainsSeconds: (done - built) / 1000,
    leavesPerSecond: Math.round(leaves.length / seconds),
    hashesPerSecond: Math.round(hashes / ((built - started) / 1000)),
  };
}

/** SHA-256 operations per second on 64-byte inputs, from `openssl speed`'s "64 bytes" column (1000s of bytes/s). */
function opensslSha256PerSecond(): number {
  const output = execFileSync("openssl", ["speed", "-evp", "sha256", "-bytes", "64", "-seconds", "3"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const match = /^sha256\s+([\d.]+)k\s*$/m.exec(output);
  if (match === null) throw new Error(`unexpected openssl speed output:\n${output}`);
  return Math.round((Number(match[1]) * 1000) / 64);
}

const results: Record<string, Run> = {};
for (const withMetadata of [false, true]) {
  const leaves = makeLeaves(withMetadata);
  for (const [name, hasher] of [
    ["noble", digestIntoFrom(nobleHasher)],
    ["node:crypto", nodeDigestInto],
  ] as const) {
    const key = `${name}${withMetadata ? " +metadata" : ""}`;
    results[key] = run(leaves, hasher);
    const r = results[key]!;
    console.log(
      `${key.padEnd(22)} ${leafCount} leaves: build ${r.buildSeconds.toFixed(2)} s + chains ${r.chainsSeconds.toFixed(2)} s` +
        ` = ${r.leavesPerSecond.toLocaleString("en")} leaves/s (${r.hashesPerSecond.toLocaleString("en")} hashes/s in build)`,
    );
  }
}
const openssl = opensslSha256PerSecond();
console.log(`openssl speed sha256 64 B: ${openssl.toLocaleString("en")} hashes/s`);
const ratios = Object.fromEntries(
  Object.entries(results).map(([key, r]) => [key, Number((r.hashesPerSecond / openssl).toFixed(3))]),
);
for (const [key, ratio] of Object.entries(ratios))
  console.log(`build hash rate / openssl (${key}): ${ratio}`);
console.log(
  JSON.stringify({
    benchmark: "aggregation-tree",
    leaves: leafCount,
    results,
    opensslSha256PerSecond: openssl,
    ratios,
  }),
);

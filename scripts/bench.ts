/**
 * `npm run bench`: the benchmark set in one run — proto aggregation (against `openssl speed`), the
 * node's own benchmarks, signing throughput of one node, of a 3-node cluster and of an RFC 3161-style
 * server under the same load generator, the client SDK against the load generator, verification cost,
 * and a 3-node cluster's latency and recovery under faults — written to bench-results/*.json and, for
 * a full run, docs/benchmarks.md.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { signManyDefaults } from "@tempel/client";
import { TempelError } from "@tempel/proto";
import type { TsaKeyType } from "../packages/node/src/tsa/certificates.ts";
import { issueNodeTsa, tsaFiles } from "../packages/node/src/tsa/index.ts";
import { FAULT_TARGETS, measureClusterFaults } from "./common/bench/cluster-faults.ts";
import { describeMachine } from "./common/bench/machine.ts";
import { runPerfScript } from "./common/bench/perf-script.ts";
import {
  type RateSearch,
  type RateStep,
  type StepLoad,
  searchSustainedRate,
} from "./common/bench/rate-steps.ts";
import {
  type BenchResults,
  type ClientRun,
  type Rfc3161Runs,
  renderMarkdown,
  type Section,
  type ServiceRun,
  SIGN_MANY_TARGET_SHARE,
} from "./common/bench/report.ts";
import { measureSignMany } from "./common/bench/sign-many.ts";
import { measureTiers } from "./common/bench/tiers.ts";
import { collectSignatures, measureVerification, type SignatureSample } from "./common/bench/verification.ts";
import {
  EXIT_OK,
  integerFlag,
  parseFlags,
  runScript,
  secondsFlag,
  stringFlag,
  UsageError,
} from "./common/cli.ts";
import type { ClusterDescription } from "./common/cluster-file.ts";
import { multiNodeUnsupported } from "./common/cluster-setup.ts";
import { fetchBaselineKey } from "./common/load/baseline-protocol.ts";
import { clusterTargets, quorumTrust } from "./common/load/cluster-targets.ts";
import { defaultConcurrency, type LoadOptions } from "./common/load/run-load.ts";
import { LocalCluster, START_TIMEOUT_MS, STOP_TIMEOUT_MS } from "./common/local-cluster.ts";
import { ManagedProcess } from "./common/managed-process.ts";
import { DEFAULT_DATA_DIR, REPO_ROOT } from "./common/paths.ts";

const SECTIONS = [
  "aggregation",
  "node-bench",
  "one-node",
  "cluster",
  "client",
  "cli-verify",
  "log",
  "verification",
  "cluster-faults",
  "baseline",
  "rfc3161",
  "tiers",
] as const;
type SectionName = (typeof SECTIONS)[number];

const BATCH = 16;
const REQUEST_TIMEOUT_MS = 30_000;
const VERIFICATION_SAMPLE = 10_000;
/**
 * The baseline's tokens cost one ECDSA verification each, twice its signing: checking every one would
 * take the baseline server's CPU away on a small machine.
 */
const BASELINE_VERIFY_FRACTION = 1 / 16;
/** RFC 3161 tokens verified in full (one signature verification each), as for the baseline. */
const RFC3161_VERIFY_FRACTION = 1 / 16;
/** Issue 7's load: JSON batches large enough that the request rate is not the limit. */
const FAULT_LOAD = {
  rate: 50_000,
  batch: 1_000,
  verifyFraction: 0.05,
  timeoutMs: REQUEST_TIMEOUT_MS,
} as const;
const QUICK_FAULT_RATE = 10_000;

const HELP = `Usage: npm run bench -- [options]

Runs the benchmark set and writes bench-results/bench-<time>.json; a full run (no --only, no
--quick) also rewrites docs/benchmarks.md. About 15 minutes in full. Run it on an otherwise idle
machine: the nodes, the load generator and the baseline share it.

Sections (in this order):
  aggregation   packages/proto/test/perf/aggregation.bench.ts (tree + chains, vs openssl speed)
  node-bench    packages/node/test/perf/node.bench.ts (hashers, batched and single-hash signing, heap)
  one-node      highest sustained signing rate of a one-node cluster (KSI PDUs of 16 hashes)
  cluster       the same for a 3-node cluster (needs tempel-node genesis)
  client        TempelClient.signMany against that cluster right after its rate search (so it runs
                the cluster search too), same batches and requests in flight, as a share of the load
                script's rate (target >= ${SIGN_MANY_TARGET_SHARE}); then packages/client/test/perf/verify.bench.ts
                (10k signatures verified with the internal policy, target < 1 s)
  cli-verify    packages/client/test/perf/cli-verify.bench.ts: files/s of one \`tempel verify\` process over
                10,000 small files and their signatures, offline (quick: 1,000), and \`tempel --help\`
                start-up (median of 10, target <= 300 ms)
  log           packages/client/test/perf/log-sign.bench.ts: lines/s of one \`tempel log sign --follow\`
                process against a one-node cluster (2,000,000 lines, quick 200,000; target >= 200,000
                lines/s, one aggregation request per block), lines/s of \`tempel log verify\` (internal
                policy; target >= 1,000,000; also with --threads, one per core) and .logsig bytes per block
  verification  cost of decoding and verifying the cluster's signatures
  cluster-faults
                a fresh 3-node cluster at ${FAULT_LOAD.rate} hashes/s offered (JSON batches of ${FAULT_LOAD.batch}, a
                share of ${FAULT_LOAD.verifyFraction} of the signatures verified in full): p99 with all nodes up
                (target <= ${FAULT_TARGETS.steadyP99Seconds} s), seconds until a round is certified after kill -9 of the
                leader (<= ${FAULT_TARGETS.recoverySeconds} s), p99 for the other nodes' clients across a follower's
                kill -9 (<= ${FAULT_TARGETS.followerCrashP99Seconds} s)
  baseline      the same rate search on scripts/rfc3161-baseline.ts (ECDSA P-256 per hash)
  rfc3161       the same rate search with RFC 3161 queries (openssl-shaped, one hash each) on one
                node with an ECDSA P-256 TSA key, one with RSA-2048, the 3-node cluster (P-256), and
                a per-request pkijs TSA (RSA-2048): tokens/s and their ratio
  tiers         a one-node core with an aggregator tier and a gateway in front (ports P+30…): p50/p99 at
                1,000 hashes/s and the rate search straight at the core, through one tier and through
                two (docs/scale.md)

Options:
  --only LIST        comma-separated sections to run (default all)
  --quick            short steps and small trees: a smoke run, not figures to keep
  --step-seconds S   length of each load step (default 10, quick 4)
  --base-port P      ports for the bench's clusters (P, P+10, P+20) and the baseline (P+100); default 3331

Exit codes: 0 done (a section that failed is reported in the results), 2 usage.
`;

async function main(argv: readonly string[]): Promise<number> {
  const values = parseFlags(
    argv,
    {
      only: { type: "string" },
      quick: { type: "boolean" },
      "step-seconds": { type: "string" },
      "base-port": { type: "string" },
    },
    HELP,
  );
  if (values === undefined) return EXIT_OK;
  const quick = values.quick === true;
  const only = stringFlag(values, "only");
  const selected = new Set<SectionName>(only === undefined ? SECTIONS : parseSections(only));
  const stepSeconds = secondsFlag(values, "step-seconds", { min: 2, max: 600 }) ?? (quick ? 4 : 10);
  const basePort = integerFlag(values, "base-port", { min: 1024, max: 60_000 }) ?? 3331;
  const search = { startRate: quick ? 1_000 : 2_000, maxRate: 1_000_000, stepSeconds };
  const machine = describeMachine();
  const command = ["npm run bench", ...(argv.length > 0 ? ["--", ...argv] : [])].join(" ");
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`bench on ${machine.cpu} (${machine.cores} cores), load average ${machine.loadAverage.toFixed(2)}`);

  const notSelected = { status: "skipped", reason: "not selected with --only" } as const;
  const measure = async <T>(
    name: SectionName,
    work: () => Promise<T>,
    heading: string = name,
  ): Promise<Section<T>> => {
    if (!selected.has(name)) return notSelected;
    say(`\n== ${heading}`);
    try {
      return { status: "measured", figures: await work() };
    } catch (error) {
      say(`${name} failed: ${(error as Error).message}`);
      return { status: "failed", reason: (error as Error).message.split("\n")[0]! };
    }
  };
  const onStep = (step: RateStep) => {
    const r = step.result;
    say(
      `  offered ${step.offeredRate}/s: answered ${Math.round(r.achievedRate)}/s, p99 ${r.latencySeconds.p99.toFixed(3)} s, ` +
        `${r.requests.failed} failed, generator ${r.generatorCpu.cores.toFixed(2)} cores → ${step.sustained ? "sustained" : "not sustained"}`,
    );
  };

  const aggregation = await measure("aggregation", () =>
    runPerfScript(
      "packages/proto/test/perf/aggregation.bench.ts",
      quick ? ["100000"] : [],
      "aggregation-tree",
    ),
  );
  const nodeBench = await measure("node-bench", () =>
    runPerfScript("packages/node/test/perf/node.bench.ts", quick ? ["--quick"] : [], "node"),
  );

  // The verification sample comes from the largest cluster this run starts.
  let sample: { signatures: SignatureSample; genesis: string; nodes: number } | undefined;
  const wantsSample = selected.has("verification");
  let sampleFailure: string | undefined;
  // signMany runs on the 3-node cluster right after the load script's search on it.
  let client: Section<ClientRun> = notSelected;
  const signManyAfter = async (description: ClusterDescription, found: RateSearch): Promise<ClientRun> => {
    const loadRate = found.sustainedRate;
    if (loadRate === undefined)
      throw new TempelError("NO_SUSTAINED_RATE", "the load script sustained no rate to compare with");
    const run = async (batch: number, concurrency: number) => {
      const figures = await measureSignMany(description, {
        batch,
        concurrency,
        hashes: loadRate * stepSeconds,
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
      say(
        `  signMany, batches of ${batch}, ${concurrency} in flight: ${Math.round(figures.rate)} hashes/s ` +
          `(load script ${loadRate}/s: ${(figures.rate / loadRate).toFixed(2)}), client ${figures.clientCores.toFixed(2)} cores`,
      );
      return figures;
    };
    const signMany = await run(BATCH, defaultConcurrency(loadRate, BATCH));
    const defaults = await run(signManyDefaults.batchSize, signManyDefaults.concurrency);
    return { loadRate, signMany, signManyDefaults: defaults };
  };
  const runCluster = async (nodes: number, port: number, service: string): Promise<ServiceRun> => {
    const dataDir = join(DEFAULT_DATA_DIR, "bench", `${nodes}-node`);
    const cluster = await LocalCluster.prepare({ dataDir, nodes, basePort: port, fresh: true });
    try {
      await cluster.start();
      await cluster.waitReady(START_TIMEOUT_MS);
      const description = cluster.description();
      const found = await searchSustainedRate(
        search,
        (rate) =>
          loadAt(rate, { protocol: "ksi", agency: description.agency }, clusterTargets(description, "ksi")),
        onStep,
      );
      if (nodes === 3)
        client = await measure("client", () => signManyAfter(description, found), "client: signMany");
      if (wantsSample && (sample === undefined || sample.nodes < nodes)) {
        // A sample that cannot be had fails the verification section, not this cluster's figures.
        try {
          const signatures = await collectSignatures(
            description.nodes[0]!.api,
            { protocol: "json", agency: description.agency },
            VERIFICATION_SAMPLE,
          );
          sample = { signatures, genesis: description.genesis, nodes };
        } catch (error) {
          sampleFailure = `signing the sample on the ${service} failed: ${(error as Error).message}`;
          say(sampleFailure);
        }
      }
      return { service, search: found };
    } finally {
      await cluster.stop();
    }
  };
  const oneNode = await measure("one-node", () => runCluster(1, basePort, "1 node"));
  const unsupported = multiNodeUnsupported();
  const threeNodes = selected.has("cluster") || selected.has("client");
  if (threeNodes && unsupported === undefined) selected.add("cluster");
  const cluster: Section<ServiceRun> =
    threeNodes && unsupported !== undefined
      ? { status: "skipped", reason: unsupported }
      : await measure("cluster", () => runCluster(3, basePort + 10, "3-node cluster"));
  if (selected.has("client") && client.status === "skipped" && cluster.status !== "measured") {
    client = { status: "skipped", reason: `no 3-node cluster ran (${cluster.status}: ${cluster.reason})` };
  }
  const clientVerify = await measure(
    "client",
    () => runPerfScript("packages/client/test/perf/verify.bench.ts", quick ? ["2000"] : [], "client-verify"),
    "client: verify.bench.ts",
  );
  const cliVerify = await measure(
    "cli-verify",
    () => runPerfScript("packages/client/test/perf/cli-verify.bench.ts", quick ? ["1000"] : [], "cli-verify"),
    "cli-verify: tempel verify of many files, tempel --help start-up",
  );
  const logSigning = await measure(
    "log",
    () => runPerfScript("packages/client/test/perf/log-sign.bench.ts", quick ? ["200000"] : [], "log-sign"),
    "log: tempel log sign --follow and tempel log verify",
  );
  const measured = sample;
  const verification =
    selected.has("verification") && measured === undefined
      ? sampleFailure !== undefined
        ? ({ status: "failed", reason: sampleFailure } as const)
        : ({
            status: "skipped",
            reason: "no cluster ran to sign a sample (select one-node or cluster too)",
          } as const)
      : await measure("verification", async () => ({
          ...(await measureVerification(measured!.signatures, quorumTrust(measured!.genesis))),
          nodes: measured!.nodes,
        }));
  const clusterFaults =
    selected.has("cluster-faults") && unsupported !== undefined
      ? ({ status: "skipped", reason: unsupported } as const)
      : await measure("cluster-faults", async () => {
          const dataDir = join(DEFAULT_DATA_DIR, "bench", "3-node-faults");
          const faultCluster = await LocalCluster.prepare({
            dataDir,
            nodes: 3,
            basePort: basePort + 20,
            fresh: true,
          });
          try {
            await faultCluster.start();
            await faultCluster.waitReady(START_TIMEOUT_MS);
            return await measureClusterFaults(
              faultCluster,
              { ...FAULT_LOAD, ...(quick && { rate: QUICK_FAULT_RATE }), phaseSeconds: quick ? 9 : 30 },
              say,
            );
          } finally {
            await faultCluster.stop();
          }
        });
  const baseline = await measure("baseline", () => runBaseline(basePort + 100, search, onStep));
  const rfc3161 = await measure("rfc3161", () =>
    runRfc3161(basePort + 30, basePort + 101, search, onStep, unsupported === undefined),
  );
  const tiers = await measure(
    "tiers",
    () =>
      measureTiers(
        basePort + 30,
        search,
        (rate, targets, agency) => loadAt(rate, { protocol: "ksi", agency }, targets),
        onStep,
        say,
      ),
    "tiers: direct to one core node, through one tier, through two",
  );
  rmSync(join(DEFAULT_DATA_DIR, "bench"), { recursive: true, force: true });

  const results: BenchResults = {
    command,
    machine,
    quick,
    aggregation,
    nodeBench,
    oneNode,
    cluster,
    baseline,
    verification,
    client,
    clientVerify,
    cliVerify,
    logSigning,
    clusterFaults,
    rfc3161,
    tiers,
  };
  const resultsDir = join(REPO_ROOT, "bench-results");
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = join(resultsDir, `bench-${machine.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(resultsFile, JSON.stringify(results, null, 2) + "\n");
  say(`\nresults: ${resultsFile}`);
  if (only === undefined && !quick) {
    writeFileSync(join(REPO_ROOT, "docs/benchmarks.md"), renderMarkdown(results));
    say("docs/benchmarks.md written");
  } else say("docs/benchmarks.md left as it is (a subset or quick run)");
  return EXIT_OK;
}

/** The same load shape for Tempel and the baseline: requests of 16 hashes, enough in flight for 2 s answers. */
function loadAt(
  rate: number,
  service: LoadOptions["service"],
  targets: LoadOptions["targets"],
  verifyFraction = 1,
): StepLoad {
  return {
    service,
    targets,
    rate,
    batch: BATCH,
    concurrency: defaultConcurrency(rate, BATCH),
    timeoutMs: REQUEST_TIMEOUT_MS,
    policy: "internal",
    verifyFraction,
  };
}

async function runBaseline(
  port: number,
  search: Parameters<typeof searchSustainedRate>[0],
  onStep: (step: RateStep) => void,
): Promise<ServiceRun> {
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(DEFAULT_DATA_DIR, "bench", "rfc3161-baseline.log");
  mkdirSync(join(DEFAULT_DATA_DIR, "bench"), { recursive: true });
  const server = new ManagedProcess("rfc3161-baseline", logFile, `${url}/healthz`);
  await server.start(
    process.execPath,
    [join(REPO_ROOT, "scripts/rfc3161-baseline.ts"), "--port", String(port)],
    START_TIMEOUT_MS,
  );
  try {
    const service = { protocol: "baseline", publicKey: await fetchBaselineKey(url) } as const;
    const found = await searchSustainedRate(
      search,
      (rate) => loadAt(rate, service, [{ name: "baseline", url: `${url}/sign` }], BASELINE_VERIFY_FRACTION),
      onStep,
    );
    return { service: "RFC 3161-style server (node:http, ECDSA P-256 per hash)", search: found };
  } finally {
    await server.stop(STOP_TIMEOUT_MS);
  }
}

/** RFC 3161 queries carry one hash each: as many requests in flight as 2 s of answers need. */
function rfc3161LoadAt(rate: number, certificatePem: string, targets: LoadOptions["targets"]): StepLoad {
  return {
    service: { protocol: "rfc3161", certificatePem },
    targets,
    rate,
    batch: 1,
    concurrency: defaultConcurrency(rate, 1),
    timeoutMs: REQUEST_TIMEOUT_MS,
    policy: "internal",
    verifyFraction: RFC3161_VERIFY_FRACTION,
  };
}

async function runRfc3161(
  port: number,
  baselinePort: number,
  search: Parameters<typeof searchSustainedRate>[0],
  onStep: (step: RateStep) => void,
  withCluster: boolean,
): Promise<Rfc3161Runs> {
  const setups: { nodes: number; keyType: TsaKeyType }[] = [
    { nodes: 1, keyType: "ec-p256" },
    { nodes: 1, keyType: "rsa-2048" },
    ...(withCluster ? [{ nodes: 3, keyType: "ec-p256" as const }] : []),
  ];
  const tempel: ServiceRun[] = [];
  for (const [i, { nodes, keyType }] of setups.entries()) {
    const dataDir = join(DEFAULT_DATA_DIR, "bench", `tsa-${nodes}-${keyType}`);
    const cluster = await LocalCluster.prepare({ dataDir, nodes, basePort: port + 10 * i, fresh: true });
    for (const node of cluster.setup.nodes) {
      issueNodeTsa(join(dataDir, "tsa-ca"), node.dir, {
        newKey: keyType,
        keyType,
        commonName: `bench ${node.name}`,
        nowSeconds: Math.floor(Date.now() / 1000),
      });
    }
    try {
      await cluster.start();
      await cluster.waitReady(START_TIMEOUT_MS);
      const description = cluster.description();
      // The checker picks each token's certificate by the serial number its signer names.
      const certificatePem = cluster.setup.nodes
        .map((node) => readFileSync(tsaFiles(node.dir).certificate, "utf8"))
        .join("");
      const targets = description.nodes.map((node, k) => ({ name: `node-${k + 1}`, url: node.tsa }));
      const found = await searchSustainedRate(
        search,
        (rate) => rfc3161LoadAt(rate, certificatePem, targets),
        onStep,
      );
      tempel.push({
        service: `${nodes === 1 ? "1 node" : `${nodes}-node cluster, every node loaded`} (${keyType})`,
        search: found,
      });
    } finally {
      await cluster.stop();
    }
  }
  const url = `http://127.0.0.1:${baselinePort}`;
  const server = new ManagedProcess(
    "rfc3161-baseline",
    join(DEFAULT_DATA_DIR, "bench", "pkijs-tsa.log"),
    `${url}/healthz`,
  );
  await server.start(
    process.execPath,
    [join(REPO_ROOT, "scripts/rfc3161-baseline.ts"), "--port", String(baselinePort)],
    START_TIMEOUT_MS,
  );
  try {
    const certificatePem = await (await fetch(`${url}/tsa-certificate`)).text();
    const found = await searchSustainedRate(
      search,
      (rate) => rfc3161LoadAt(rate, certificatePem, [{ name: "pkijs", url: `${url}/tsa` }]),
      onStep,
    );
    return { tempel, pkijs: { service: "pkijs TSA (node:http, RSA-2048 per query)", search: found } };
  } finally {
    await server.stop(STOP_TIMEOUT_MS);
  }
}

function parseSections(text: string): SectionName[] {
  const names = text.split(",").map((s) => s.trim());
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new UsageError(`--only: unknown section "${name}"; sections: ${SECTIONS.join(", ")}`);
    }
  }
  return names as SectionName[];
}

runScript("bench", () => main(process.argv.slice(2)));

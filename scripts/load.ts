/**
 * `npm run load`: open-loop load on the running local cluster (or on the RFC 3161-style baseline),
 * every answer checked and the signatures (all, or a sampled share) verified, a live progress line, a
 * summary and a JSON result file.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  EXIT_FAILURE,
  EXIT_OK,
  integerFlag,
  parseFlags,
  runScript,
  secondsFlag,
  stringFlag,
  UsageError,
} from "./common/cli.ts";
import { type ClusterDescription, readClusterFile } from "./common/cluster-file.ts";
import { BASELINE_MAX_BATCH, fetchBaselineKey } from "./common/load/baseline-protocol.ts";
import { clusterTargets, quorumTrust, tierTargets } from "./common/load/cluster-targets.ts";
import {
  defaultConcurrency,
  type LoadOptions,
  type LoadResult,
  type LoadTarget,
  MAX_CONCURRENCY,
  runLoad,
} from "./common/load/run-load.ts";
import { progressLine, summaryText, unverified } from "./common/load/summary.ts";
import { CLUSTER_FILE_NAME, DEFAULT_DATA_DIR, REPO_ROOT } from "./common/paths.ts";

const HELP = `Usage: npm run load -- [options]

Offers hashes to the running local cluster at a fixed rate whatever the answers do (open loop),
checks every answer, verifies the signatures it gets back, and prints a live progress line and a
summary: offered and achieved rate, errors by kind, latency percentiles from each request's scheduled
send time, signatures verified and checked.

Options:
  --rate R          hashes per second offered (default 1000)
  --duration D      how long to offer them: 90, 90s, 2m (default 30s)
  --batch B         hashes per request (default 16; a node takes at most 16 per KSI PDU by default)
  --concurrency C   requests in flight at most, split over the nodes (default: what the rate
                    needs if every answer took 2 s; a signature takes a round, about 1 s)
  --gateways        load the cluster's gateways (npm run cluster -- --gateways G) instead of its nodes
                    (KSI only: a gateway serves no JSON API)
  --nodes LIST      which nodes to load, by position in the cluster file: 1,3 (default all)
  --json-api        use the JSON API (/v1/sign) instead of KSI aggregation PDUs
  --policy P        internal (default) or quorum: also check the quorum certificates against the genesis
  --verify-fraction F
                    share of the signatures verified in full with the policy, evenly spread: 1 (default)
                    verifies all, 0.05 one in twenty. Every answer is still checked cheaply: a signature
                    for each hash sent, each well-formed and starting at the hash sent. Full verification
                    runs on a worker thread and cannot keep up with tens of thousands of signatures a
                    second on a small machine that also runs the cluster
  --timeout S       seconds before a request counts as timed out (default 30)
  --cluster FILE    the cluster description (default .tempel/${CLUSTER_FILE_NAME})
  --baseline URL    load the RFC 3161-style baseline server (scripts/rfc3161-baseline.ts) instead
  --out FILE        the JSON result file (default bench-results/load-<time>.json)

Exit codes: 0 done and every signature checked and verified, 1 a signature failed a check or
verification, 2 usage.
`;

async function main(argv: readonly string[]): Promise<number> {
  const values = parseFlags(
    argv,
    {
      rate: { type: "string" },
      duration: { type: "string" },
      batch: { type: "string" },
      concurrency: { type: "string" },
      nodes: { type: "string" },
      gateways: { type: "boolean" },
      "json-api": { type: "boolean" },
      policy: { type: "string" },
      "verify-fraction": { type: "string" },
      timeout: { type: "string" },
      cluster: { type: "string" },
      baseline: { type: "string" },
      out: { type: "string" },
    },
    HELP,
  );
  if (values === undefined) return EXIT_OK;
  const policy = stringFlag(values, "policy") ?? "internal";
  if (policy !== "internal" && policy !== "quorum")
    throw new UsageError(`--policy must be internal or quorum`);
  const rate = integerFlag(values, "rate", { min: 1, max: 10_000_000 }) ?? 1000;
  const batch = integerFlag(values, "batch", { min: 1, max: BASELINE_MAX_BATCH }) ?? 16;
  const common = {
    rate,
    batch,
    durationSeconds: secondsFlag(values, "duration", { min: 1, max: 24 * 3600 }) ?? 30,
    concurrency:
      integerFlag(values, "concurrency", { min: 1, max: MAX_CONCURRENCY }) ?? defaultConcurrency(rate, batch),
    timeoutMs: (secondsFlag(values, "timeout", { min: 1, max: 3600 }) ?? 30) * 1000,
    policy,
    verifyFraction: fractionFlag(stringFlag(values, "verify-fraction")) ?? 1,
  } as const;
  const baseline = stringFlag(values, "baseline");
  let options: LoadOptions;
  if (baseline !== undefined) {
    options = {
      ...common,
      service: { protocol: "baseline", publicKey: await fetchBaselineKey(baseline) },
      targets: [{ name: "baseline", url: `${baseline}/sign` }],
    };
  } else {
    const cluster = readClusterFile(
      resolve(stringFlag(values, "cluster") ?? join(DEFAULT_DATA_DIR, CLUSTER_FILE_NAME)),
    );
    const protocol = values["json-api"] === true ? "json" : "ksi";
    options = {
      ...common,
      service: { protocol, agency: cluster.agency },
      targets:
        values.gateways === true
          ? gatewayTargets(cluster, protocol)
          : clusterTargets(
              cluster,
              protocol,
              parsePositions(stringFlag(values, "nodes"), cluster.nodes.length),
            ),
      ...(policy === "quorum" && { trust: quorumTrust(cluster.genesis) }),
    };
  }

  const interactive = process.stderr.isTTY === true;
  const result = await runLoad(options, (progress) => {
    const line = progressLine(progress);
    if (interactive) process.stderr.write(`\r\x1b[2K${line}`);
    else if (Math.round(progress.elapsedSeconds) % 5 === 0) process.stderr.write(`${line}\n`);
  });
  if (interactive) process.stderr.write("\n");
  const out = resolve(stringFlag(values, "out") ?? defaultResultFile());
  writeResult(out, result, argv);
  process.stdout.write(`${summaryText(result)}\n  result    ${out}\n`);
  return unverified(result) === 0 ? EXIT_OK : EXIT_FAILURE;
}

/** The cluster's gateways' KSI aggregators; refused when it runs none or the JSON API is asked for. */
function gatewayTargets(cluster: ClusterDescription, protocol: "json" | "ksi"): LoadTarget[] {
  if (protocol === "json") throw new UsageError("--gateways loads KSI only: a gateway serves no JSON API");
  const gateways = cluster.gateways ?? [];
  if (gateways.length === 0) {
    throw new UsageError(
      "--gateways: the cluster runs no gateways; start it with npm run cluster -- --gateways G",
    );
  }
  return tierTargets(gateways);
}

/** A share in (0, 1] as a decimal (0.05, 1, .5); undefined when absent. */
function fractionFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = /^(?:[01](?:\.\d{1,6})?|\.\d{1,6})$/.test(text) ? Number(text) : Number.NaN;
  if (!(value > 0 && value <= 1)) {
    throw new UsageError(
      `--verify-fraction must be a decimal above 0 and at most 1 (e.g. 0.05), got "${text}"`,
    );
  }
  return value;
}

function parsePositions(text: string | undefined, count: number): number[] | undefined {
  if (text === undefined) return undefined;
  const positions = text.split(",").map((part) => Number(part.trim()));
  if (
    positions.some((p) => !Number.isInteger(p) || p < 1 || p > count) ||
    new Set(positions).size !== positions.length
  ) {
    throw new UsageError(`--nodes must list distinct node positions from 1 to ${count}, got "${text}"`);
  }
  return positions;
}

function defaultResultFile(): string {
  return join(REPO_ROOT, "bench-results", `load-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
}

function writeResult(file: string, result: LoadResult, argv: readonly string[]): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify({ command: ["npm run load --", ...argv].join(" "), ...result }, null, 2) + "\n",
  );
}

runScript("load", () => main(process.argv.slice(2)));

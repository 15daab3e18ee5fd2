import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClusterDescription } from "./cluster-file.ts";
import { ManagedProcess } from "./managed-process.ts";
import { REPO_ROOT } from "./paths.ts";

/** The alert rules every Prometheus scraping Tempel loads. */
export const RULES_FILE = join(REPO_ROOT, "deploy/prometheus/rules.yml");
export const PROMETHEUS_PORT = 9090;
/** Short enough for the 10-second "no certification" alert to see several samples. */
const SCRAPE_INTERVAL = "2s";
const START_TIMEOUT_MS = 60_000;

export interface ScrapeTarget {
  /** `node-1`…: a stable label for dashboards, whatever the node's address. */
  readonly node: string;
  /** host:port */
  readonly address: string;
}

/** Scrape targets of a running cluster, from its description. */
export function scrapeTargets(cluster: ClusterDescription): ScrapeTarget[] {
  return cluster.nodes.map((node, i) => ({ node: `node-${i + 1}`, address: new URL(node.metrics).host }));
}

/** A Prometheus configuration that scrapes `targets` and loads `rulesFile` (relative to the config's folder, or absolute). */
export function prometheusConfig(targets: readonly ScrapeTarget[], rulesFile: string): string {
  const lines = [
    "global:",
    `  scrape_interval: ${SCRAPE_INTERVAL}`,
    `  evaluation_interval: ${SCRAPE_INTERVAL}`,
    "rule_files:",
    `  - ${JSON.stringify(rulesFile)}`,
    "scrape_configs:",
    "  - job_name: tempel",
    "    metrics_path: /metrics",
    "    static_configs:",
    ...targets.flatMap((target) => [
      `      - targets: [${JSON.stringify(target.address)}]`,
      `        labels: { node: ${JSON.stringify(target.node)} }`,
    ]),
  ];
  return lines.join("\n") + "\n";
}

export function prometheusInstalled(): boolean {
  return spawnSync("prometheus", ["--version"], { stdio: "ignore" }).status === 0;
}

/** Debian's `prometheus` scraping the cluster, with its config and TSDB under `<data>/prometheus`. */
export async function startPrometheus(
  cluster: ClusterDescription,
  dataDir: string,
  logFile: string,
): Promise<ManagedProcess> {
  const home = join(dataDir, "prometheus");
  mkdirSync(home, { recursive: true });
  const configFile = join(home, "prometheus.yml");
  writeFileSync(
    configFile,
    `# Written by scripts/cluster.ts from ${join(dataDir, "cluster.json")}\n` +
      prometheusConfig(scrapeTargets(cluster), RULES_FILE),
  );
  const server = new ManagedProcess("prometheus", logFile, `http://127.0.0.1:${PROMETHEUS_PORT}/-/ready`);
  await server.start(
    "prometheus",
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(home, "data")}`,
      `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
    ],
    START_TIMEOUT_MS,
  );
  return server;
}

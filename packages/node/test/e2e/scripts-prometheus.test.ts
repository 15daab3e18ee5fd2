import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { WatchMetrics } from "@tempel/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClusterDescription, readClusterFile } from "../../../../scripts/common/cluster-file.ts";
import { REPO_ROOT } from "../../../../scripts/common/paths.ts";
import { PROMETHEUS_PORT, prometheusConfig } from "../../../../scripts/common/prometheus.ts";
import { freeBasePort, type ScriptRun, startScript } from "./scripts-fixtures.ts";

const DEPLOY = join(REPO_ROOT, "deploy");
const missing = ["prometheus", "promtool"].filter(
  (bin) => spawnSync(bin, ["--version"], { stdio: "ignore" }).status !== 0,
);
const prometheus = `http://127.0.0.1:${PROMETHEUS_PORT}`;

let root: string;
let run: ScriptRun;
let cluster: ClusterDescription;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "tempel-prometheus-"));
  const args = ["--nodes", "1", "--base-port", String(await freeBasePort(1)), "--data", join(root, "data")];
  run = await startScript(
    "cluster",
    missing.length === 0 ? [...args, "--prometheus"] : args,
    "Ctrl-C stops all nodes.",
  );
  cluster = readClusterFile(join(root, "data", "cluster.json"));
}, 180_000);

afterAll(async () => {
  if (run !== undefined && run.child.exitCode === null) {
    run.child.kill("SIGINT");
    await run.exited;
  }
  rmSync(root, { recursive: true, force: true });
});

/** Families a node exports (`# TYPE` lines), with the series names histograms add. */
/** What a node's /metrics and a log watcher's (tempel watch, scraped as job tempel-watch) export. */
async function exportedNames(metricsUrl: string): Promise<Set<string>> {
  const text = (await (await fetch(metricsUrl)).text()) + new WatchMetrics().render();
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name! + suffix);
  }
  return names;
}

describe("deploy/: Prometheus scrape config, alert rules, Grafana dashboard", () => {
  it("ships the scrape config cluster.ts writes for npm start's three nodes on the default ports", () => {
    const shipped = readFileSync(join(DEPLOY, "prometheus/prometheus.yml"), "utf8").replace(/^#.*\n/gm, "");
    const targets = [0, 1, 2].map((i) => ({ node: `node-${i + 1}`, address: `127.0.0.1:${3131 + i}` }));
    expect(shipped).toBe(prometheusConfig(targets, "rules.yml"));
  });

  it("names in the alert rules and the dashboard only metrics the nodes and tempel watch export", async () => {
    const exported = await exportedNames(cluster.nodes[0]!.metrics);
    for (const file of ["prometheus/rules.yml", "grafana/tempel-dashboard.json"]) {
      const used = new Set(readFileSync(join(DEPLOY, file), "utf8").match(/\btempel_[a-z0-9_]+/g));
      expect(used.size, file).toBeGreaterThan(0);
      expect(
        [...used].filter((name) => !exported.has(name)),
        file,
      ).toEqual([]);
    }
  });

  describe.skipIf(missing.length > 0)(
    `with Prometheus (needs ${missing.join(" and ") || "nothing"} on PATH)`,
    () => {
      const promtool = (...args: string[]) => spawnSync("promtool", args, { cwd: DEPLOY, encoding: "utf8" });

      it("promtool accepts the rules and the shipped config, and the rules' unit tests pass", () => {
        for (const result of [
          promtool("check", "rules", "prometheus/rules.yml"),
          promtool("check", "config", "prometheus/prometheus.yml"),
          promtool("test", "rules", "prometheus/rules.test.yml"),
        ]) {
          expect(result.status, result.stdout + result.stderr).toBe(0);
        }
      });

      it("promtool check metrics has nothing to say about a live node's /metrics", async () => {
        const text = await (await fetch(cluster.nodes[0]!.metrics)).text();
        const result = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
        expect(result.status, result.stdout + result.stderr).toBe(0);
      });

      it("npm run cluster -- --prometheus runs a Prometheus that scrapes every node, and Ctrl-C stops it", async () => {
        let targets: { labels: { node: string }; health: string }[] = [];
        for (let attempt = 0; attempt < 30; attempt++) {
          const json = (await (await fetch(`${prometheus}/api/v1/targets`)).json()) as {
            data: { activeTargets: typeof targets };
          };
          targets = json.data.activeTargets;
          if (targets.length === cluster.nodes.length && targets.every((t) => t.health === "up")) break;
          await sleep(1_000);
        }
        expect(targets.map((t) => [t.labels.node, t.health])).toEqual(
          cluster.nodes.map((_, i) => [`node-${i + 1}`, "up"]),
        );
        const rules = (await (await fetch(`${prometheus}/api/v1/rules`)).json()) as {
          data: { groups: { rules: unknown[] }[] };
        };
        expect(rules.data.groups.flatMap((g) => g.rules).length).toBeGreaterThan(0);

        run.child.kill("SIGINT");
        expect(await run.exited).toBe(0);
        await expect(fetch(`${prometheus}/-/ready`)).rejects.toThrow();
      });
    },
  );
});

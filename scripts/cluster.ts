/**
 * `npm start` / `npm run cluster`: a Tempel cluster on loopback, one OS process per node, until Ctrl-C.
 * The first run sets it up (keys, genesis, a demo agency); later runs reuse the data and the calendar.
 */
import { basename, dirname, relative, resolve } from "node:path";
import { EXIT_FAILURE, EXIT_OK, integerFlag, parseFlags, runScript, stringFlag } from "./common/cli.ts";
import { keepPublications, logDir, MAX_NODES } from "./common/cluster-setup.ts";
import { LocalCluster, START_TIMEOUT_MS } from "./common/local-cluster.ts";
import type { ManagedProcess } from "./common/managed-process.ts";
import { DEFAULT_DATA_DIR } from "./common/paths.ts";
import { PROMETHEUS_PORT, prometheusInstalled, startPrometheus } from "./common/prometheus.ts";

const HELP = `Usage: npm run cluster -- [options]     (npm start: the same with the defaults)

Runs a local Tempel cluster on 127.0.0.1, each node its own process, until Ctrl-C. The first run
creates everything (node keys and certificates, the genesis, a demo agency); later runs reuse the
data, so the calendar continues. While it runs, <data>/cluster.json describes it for the tempel CLI
and the load and chaos scripts.

Options:
  --nodes N          number of nodes (default 3; fixed once set up)
  --base-port P      node i serves HTTP on P+i-1 and libp2p on P+1000+i-1 (default 3131)
  --data DIR         data folder (default .tempel in the repository)
  --fresh            delete an existing setup in DIR first (its calendar is lost)
  --gateways G       also run G gateway tiers (tempel-node start --role gateway) on ports P+100…,
                     upstream the aggregators if any, else the core; the demo agency signs through any
  --aggregators A    also run A aggregator tiers on ports P+200…: gateways whose upstream is the core
                     and whose clients are the gateways
  --prometheus       also run Prometheus (when installed) scraping the nodes, on port ${PROMETHEUS_PORT}

Before starting, every node's HTTP and libp2p port must be free: a port another process holds
(another cluster, \`npm start\` in another checkout) is refused and named. A node counts as up only
when the node answering on its port has its own peer id.

Exit codes: 0 stopped cleanly, 1 a node failed (a port taken, a node that did not start or
stop), 2 usage.
`;

async function main(argv: readonly string[]): Promise<number> {
  const values = parseFlags(
    argv,
    {
      nodes: { type: "string" },
      "base-port": { type: "string" },
      data: { type: "string" },
      fresh: { type: "boolean" },
      prometheus: { type: "boolean" },
      gateways: { type: "string" },
      aggregators: { type: "string" },
    },
    HELP,
  );
  if (values === undefined) return EXIT_OK;
  const dataDir = resolve(stringFlag(values, "data") ?? DEFAULT_DATA_DIR);
  const nodes = integerFlag(values, "nodes", { min: 1, max: MAX_NODES });
  const basePort = integerFlag(values, "base-port", { min: 1024, max: 65_535 });
  const gateways = integerFlag(values, "gateways", { min: 0, max: MAX_NODES }) ?? 0;
  const aggregators = integerFlag(values, "aggregators", { min: 0, max: MAX_NODES }) ?? 0;
  const tiers = gateways + aggregators > 0;
  const cluster = await LocalCluster.prepare(
    {
      dataDir,
      ...(nodes !== undefined && { nodes }),
      ...(basePort !== undefined && { basePort }),
      fresh: values.fresh === true,
    },
    // Tiers stack their trees' levels on their clients': the core takes roots from that height.
    tiers ? { extraNodeArgs: ["--rounds-max-level", "64"] } : {},
  );
  let stopping: Promise<number> | undefined;
  let prometheus: ManagedProcess | undefined;
  const stop = (): Promise<number> => {
    stopping ??= (async () => {
      process.stdout.write("\nstopping the nodes…\n");
      await prometheus?.stop(5_000);
      await keepPublications(cluster.setup, cluster.publicationsUrl);
      const report = await cluster.stop();
      for (const name of report.forced)
        process.stdout.write(`  ${name} did not stop in time and was killed\n`);
      for (const name of report.failed) process.stdout.write(`  ${name} exited with an error; see its log\n`);
      process.stdout.write("stopped\n");
      return report.forced.length + report.failed.length === 0 ? EXIT_OK : EXIT_FAILURE;
    })();
    return stopping;
  };
  const stopped = new Promise<number>((resolve) => {
    const onSignal = () => {
      if (stopping !== undefined) {
        // A second Ctrl-C (or SIGTERM, as `timeout` and process managers send one of their own) while
        // stopping: wait no longer, but leave no node running behind this script (they are detached).
        process.stdout.write("killing the nodes\n");
        for (const node of cluster.nodes) node.process.killNow();
        process.exit(EXIT_FAILURE);
      }
      stop().then(resolve);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });

  process.stdout.write(`starting ${cluster.nodes.length} node(s) from ${dataDir}…\n`);
  await cluster.start();
  for (const node of cluster.nodes) {
    node.process.exited.then((exit) => {
      if (stopping === undefined) {
        process.stdout.write(
          `${node.setup.name} exited (${exit.signal ?? `code ${exit.code}`}); see ${node.process.logFile}\n`,
        );
      }
    });
  }
  try {
    await cluster.waitReady(START_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw error;
  }
  if (tiers) {
    process.stdout.write(`starting ${aggregators} aggregator(s) and ${gateways} gateway(s)…\n`);
    try {
      await cluster.startTiers({ gateways, aggregators, basePort: cluster.setup.basePort });
    } catch (error) {
      await stop();
      throw error;
    }
  }
  let prometheusLine = "";
  if (values.prometheus === true) {
    if (prometheusInstalled()) {
      prometheus = await startPrometheus(cluster.description(), dataDir, `${logDir(dataDir)}/prometheus.log`);
      prometheusLine = `Prometheus:  http://127.0.0.1:${PROMETHEUS_PORT} (alert rules: deploy/prometheus/rules.yml)\n`;
    } else {
      prometheusLine = "Prometheus:  not installed (Debian: apt-get install prometheus), not started\n";
    }
  }
  process.stdout.write(banner(cluster) + prometheusLine + "\nCtrl-C stops all nodes.\n");
  return stopped;
}

function banner(cluster: LocalCluster): string {
  const shown = (path: string) => {
    const near = relative(process.cwd(), path);
    return near === "" || near.startsWith("..") ? path : near;
  };
  const { agency, dataDir } = cluster.setup;
  const nodes = cluster.nodes.map((node) => `  ${node.setup.name}  ${node.apiUrl}  ${node.setup.id}`);
  return [
    "",
    `Tempel cluster of ${cluster.nodes.length} node(s) is up. Each node serves the KSI aggregator`,
    "(/ksi/aggregator), the extender (/ksi/extender), the JSON API (/v1/) and /metrics:",
    ...nodes,
    ...tierLines(cluster),
    `Agency:      login id "${agency.loginId}", HMAC key "${agency.key}"`,
    `Described:   ${shown(cluster.clusterFile)}    Logs: ${shown(logDir(dataDir))}/`,
    ...(cluster.publicationsUrl === null ? [] : [`Publications: ${cluster.publicationsUrl}`]),
    `Sign a file: ${signCommand(cluster)}`,
    "",
  ].join("\n");
}

/** The tiers, each with the KSI aggregator URL its clients sign through. */
function tierLines(cluster: LocalCluster): string[] {
  const { gateways = [], aggregators = [] } = cluster.description();
  const tiers = [...aggregators, ...gateways];
  if (tiers.length === 0) return [];
  return [
    "Tiers (KSI aggregator only; sign through one with --endpoint <api>):",
    ...tiers.map((tier) => `  ${tier.id}  ${tier.ksi.aggregator}`),
  ];
}

/**
 * `tempel` finds the cluster by looking for `.tempel/cluster.json` from the cwd upwards; a data folder
 * it cannot find that way is named with --config.
 */
function signCommand(cluster: LocalCluster): string {
  const { dataDir } = cluster.setup;
  const found =
    basename(dataDir) === ".tempel" && !relative(dirname(dataDir), process.cwd()).startsWith("..");
  return found ? "npx tempel sign README.md" : `npx tempel sign README.md --config ${cluster.clusterFile}`;
}

runScript("cluster", () => main(process.argv.slice(2)));

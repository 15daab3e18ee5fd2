import {
  type DetachedCmsOptions,
  FormatError,
  parseGenesisPublications,
  publicationsFileTrust,
  type QuorumTrust,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { Monitor } from "../../monitor/monitor.ts";
import { isHttpUrl } from "../../transport/http-url.ts";
import { quorumTrustFromGenesis } from "../../trust/genesis.ts";
import { integer, parseStrict } from "../args.ts";
import { EXIT_CODES_HELP, ExitCode } from "../exit-codes.ts";
import { readInput } from "../files.ts";
import type { CliIo } from "../io.ts";
import { closeServer, jsonLog, metricsUrl, serveMetrics } from "../metrics-server.ts";
import { UsageError } from "../usage-error.ts";

export const MONITOR_HELP = `Usage: tempel monitor --genesis FILE [options]

Follows every node's newest certified calendar root and the cluster's publications file, and raises
an alert within one round when they do not add up: a node whose new root does not extend the one it
showed before, two nodes whose roots are of different calendars, a root without q valid member
signatures, a publication that is not the calendar's root or that a file later changes, a file the
genesis authority did not sign. Each alert is one JSON line at level "error" on stderr with its
evidence (both roots, their certificates and the consistency proof), counted in /metrics, and POSTed
to --webhook when given. Runs until SIGINT or SIGTERM.

Options:
  --genesis FILE            the cluster's genesis: members, quorum, nodes, publications authority
  --node URL                a node's API URL, repeatable (default: every member's apiUrl in the genesis)
  --interval MS             one round: every node is checked once per round (default 1000)
  --publications-interval MS  how often the publications files are read (default 10000)
  --timeout MS              per request to a node (default 5000)
  --webhook URL             POST each alert there as JSON
  --metrics-port PORT       serve Prometheus metrics at http://HOST:PORT/metrics (default 9470, 0: any)
  --metrics-host HOST       address of the metrics server (default 127.0.0.1)
  --rounds N                stop after N rounds; exit 1 if an alert was raised
  -h, --help                show this help

It exits 0 when stopped without alerts (or by a signal), 1 when alerts were raised (with --rounds).

${EXIT_CODES_HELP}
`;

const OPTIONS = {
  genesis: { type: "string" },
  node: { type: "string", multiple: true },
  interval: { type: "string" },
  "publications-interval": { type: "string" },
  timeout: { type: "string" },
  webhook: { type: "string" },
  "metrics-port": { type: "string" },
  "metrics-host": { type: "string", default: "127.0.0.1" },
  rounds: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

const MAX_GENESIS_BYTES = 1024 * 1024;
const DEFAULT_METRICS_PORT = 9470;

function httpUrl(text: string, option: string): string {
  if (!isHttpUrl(text)) {
    throw new UsageError(`--${option} ${text} is not an http(s) URL`);
  }
  return text;
}

/** What the monitor needs from the genesis: the members' trust, their API URLs and the authority. */
interface ClusterTrust {
  readonly trust: QuorumTrust;
  readonly apiUrls: readonly string[];
  readonly publicationsTrust?: DetachedCmsOptions;
}

async function readGenesis(path: string): Promise<ClusterTrust> {
  const text = new TextDecoder().decode(await readInput(path, MAX_GENESIS_BYTES, "genesis"));
  try {
    const json = JSON.parse(text) as { members?: { apiUrl?: unknown }[]; publications?: unknown };
    const trust = quorumTrustFromGenesis(json);
    const apiUrls = (json.members ?? []).map((member, i) => {
      if (typeof member.apiUrl !== "string")
        throw new FormatError("GENESIS_INVALID", `members[${i}].apiUrl is missing`);
      return httpUrl(member.apiUrl, `genesis members[${i}].apiUrl`);
    });
    const authority =
      json.publications === undefined ? undefined : parseGenesisPublications(json.publications).authority;
    return {
      trust,
      apiUrls,
      ...(authority !== undefined && { publicationsTrust: publicationsFileTrust(authority) }),
    };
  } catch (error) {
    if (error instanceof FormatError || error instanceof SyntaxError) {
      throw new UsageError(`genesis ${path}: ${error.message}`);
    }
    throw error;
  }
}

export async function monitorCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseStrict({ args: [...args], options: OPTIONS, allowPositionals: false });
  if (values.help) {
    io.out(MONITOR_HELP);
    return ExitCode.OK;
  }
  if (values.genesis === undefined)
    throw new UsageError("give the cluster's genesis file with --genesis FILE");
  const cluster = await readGenesis(values.genesis);
  const nodes = values.node?.map((url) => httpUrl(url, "node")) ?? cluster.apiUrls;
  const log = jsonLog(io);
  const intervalMs = integer(values.interval, "interval", 100, 3_600_000);
  const publicationsIntervalMs = integer(
    values["publications-interval"],
    "publications-interval",
    100,
    86_400_000,
  );
  const timeoutMs = integer(values.timeout, "timeout", 100, 600_000);
  const rounds = integer(values.rounds, "rounds", 1, 1_000_000_000);
  const monitor = new Monitor(
    {
      nodes,
      trust: cluster.trust,
      ...(cluster.publicationsTrust !== undefined && { publicationsTrust: cluster.publicationsTrust }),
      ...(intervalMs !== undefined && { intervalMs }),
      ...(publicationsIntervalMs !== undefined && { publicationsIntervalMs }),
      ...(timeoutMs !== undefined && { timeoutMs }),
      ...(values.webhook !== undefined && { webhookUrl: httpUrl(values.webhook, "webhook") }),
    },
    { log, hasher: nodeHasher },
  );
  const port = integer(values["metrics-port"], "metrics-port", 0, 65_535) ?? DEFAULT_METRICS_PORT;
  const server = await serveMetrics(() => monitor.metrics.render(), values["metrics-host"], port);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    log("info", "monitoring", {
      nodes,
      publications: cluster.publicationsTrust !== undefined,
      metrics: metricsUrl(server, values["metrics-host"]),
    });
    await monitor.run(stop.signal, rounds);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await closeServer(server);
  }
  const alerts = monitor.metrics.totalAlerts();
  log("info", "stopped", { alerts });
  return rounds !== undefined && alerts > 0 ? ExitCode.FAIL : ExitCode.OK;
}

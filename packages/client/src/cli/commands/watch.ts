import { nodeHasher } from "@tempel/proto/node";
import { nodeWatchFiles } from "../../node/watch-files.ts";
import { isHttpUrl } from "../../transport/http-url.ts";
import { Watcher, watcherDefaults } from "../../watch/watcher.ts";
import { integer, parseStrict } from "../args.ts";
import { EXIT_CODES_HELP, ExitCode } from "../exit-codes.ts";
import { globPaths } from "../glob.ts";
import type { CliIo } from "../io.ts";
import { closeServer, jsonLog, metricsUrl, serveMetrics } from "../metrics-server.ts";
import { UsageError } from "../usage-error.ts";
import { TRUST_OPTIONS } from "./log.ts";
import { gatherChecks, verifyWithChecks } from "./verify.ts";

const DEFAULT_METRICS_PORT = 9471;

export const WATCH_HELP = `Usage: tempel watch PATH... [options]

Watches each log PATH (a file or a glob such as 'logs/*.log'; quote it) and its signature
PATH.logsig as both grow, and raises an alert within seconds when:
  - a signed line was changed, deleted or swapped with another (the alert names the line);
  - the .logsig was changed or cut (a block's signature, hashes or links);
  - lines waited longer than --deadline for a signed block (the signer stopped or cannot sign).
New blocks are verified as they are appended, against the lines appended, without reading either
file again; the bytes already verified are re-hashed every --scan-every and, where they changed,
verified again; every --full-every both files are verified whole. Each alert is one JSON line at
level "error" on stderr, counted in /metrics (tempel_watch_*), and POSTed to --webhook (retried
with backoff). Globs are expanded again at each scan, so new logs join. Runs until SIGINT or SIGTERM.

Options:
  --interval MS           look for new blocks and lines every MS (default ${watcherDefaults.intervalMs})
  --scan-every MS         re-hash the verified bytes every MS (default ${watcherDefaults.scanEveryMs})
  --full-every S          verify each log whole every S seconds (default ${watcherDefaults.fullEveryMs / 1000})
  --deadline S            alert when a line waits S seconds for a signed block (default ${watcherDefaults.deadlineMs / 1000})
  --webhook URL           POST each alert there as JSON (TEMPEL_WATCH_WEBHOOK)
  --metrics-port PORT     serve Prometheus metrics at http://HOST:PORT/metrics
                          (TEMPEL_WATCH_METRICS_PORT; default ${DEFAULT_METRICS_PORT}, 0: any)
  --metrics-host HOST     address of the metrics server (default 127.0.0.1)
  --rounds N              stop after N rounds of --interval (for scripts and tests)
  --json                  at the end, print {"alerts","logs":[{"log","verifiedLines","ok"}]}
  --policy NAME           how blocks' KSI signatures are verified, as for tempel log verify
                          (internal | publication | key | calendar | default; default: default),
                          with --pub-str, --publications-file, --trust-anchor, --cnstr, --genesis,
                          --endpoint, --config as there
  -h, --help              show this help

It exits 0 when stopped without alerts, 1 when alerts were raised, 2 when no log matched.

${EXIT_CODES_HELP}
`;

const OPTIONS = {
  ...TRUST_OPTIONS,
  interval: { type: "string" },
  "scan-every": { type: "string" },
  "full-every": { type: "string" },
  deadline: { type: "string" },
  webhook: { type: "string" },
  "metrics-port": { type: "string" },
  "metrics-host": { type: "string", default: "127.0.0.1" },
  rounds: { type: "string" },
} as const;

/** The logs the patterns name now: every match that is not itself a log signature. */
async function resolveLogs(patterns: readonly string[]): Promise<{ log: string; logsig: string }[]> {
  const found = new Set<string>();
  for (const pattern of patterns) {
    for (const path of await globPaths(pattern)) if (!path.endsWith(".logsig")) found.add(path);
  }
  return [...found].sort().map((log) => ({ log, logsig: `${log}.logsig` }));
}

export async function watchCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseStrict({ args: [...args], options: OPTIONS, allowPositionals: true });
  if (values.help) {
    io.out(WATCH_HELP);
    return ExitCode.OK;
  }
  if (positionals.length === 0) throw new UsageError("name the logs to watch (see tempel watch --help)");
  const env = process.env;
  const webhook = values.webhook ?? env.TEMPEL_WATCH_WEBHOOK;
  if (webhook !== undefined && !isHttpUrl(webhook))
    throw new UsageError(`--webhook ${webhook} is not an http(s) URL`);
  const intervalMs = integer(values.interval, "interval", 10, 3_600_000);
  const scanEveryMs = integer(values["scan-every"], "scan-every", 10, 86_400_000);
  const fullEvery = integer(values["full-every"], "full-every", 1, 31_536_000);
  const deadline = integer(values.deadline, "deadline", 1, 31_536_000);
  const rounds = integer(values.rounds, "rounds", 1, 1_000_000_000);
  const port =
    integer(values["metrics-port"] ?? env.TEMPEL_WATCH_METRICS_PORT, "metrics-port", 0, 65_535) ??
    DEFAULT_METRICS_PORT;
  if ((await resolveLogs(positionals)).length === 0) {
    throw new UsageError(
      `no log matches ${positionals.join(" ")}: name existing files or globs that match some`,
    );
  }
  const checks = await gatherChecks({ ...values, "signature-only": false });
  const log = jsonLog(io);
  const watcher = new Watcher(
    {
      logs: () => resolveLogs(positionals),
      check: (ksi, root, level) => verifyWithChecks(ksi, root, level, checks),
      ...(intervalMs !== undefined && { intervalMs }),
      ...(scanEveryMs !== undefined && { scanEveryMs }),
      ...(fullEvery !== undefined && { fullEveryMs: fullEvery * 1000 }),
      ...(deadline !== undefined && { deadlineMs: deadline * 1000 }),
      ...(webhook !== undefined && { webhookUrl: webhook }),
    },
    { files: nodeWatchFiles, log, hasher: nodeHasher },
  );
  const server = await serveMetrics(() => watcher.metrics.render(), values["metrics-host"], port);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    log("info", "watch started", { paths: positionals, metrics: metricsUrl(server, values["metrics-host"]) });
    await watcher.run(stop.signal, rounds);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await closeServer(server);
  }
  const logs = watcher.watched.map((watch) => ({
    log: watch.log,
    verifiedLines: watch.verifiedLines,
    ok: !watch.failed,
  }));
  log("info", "stopped", { alerts: watcher.alerts });
  if (values.json) io.out(`${JSON.stringify({ alerts: watcher.alerts, logs })}\n`);
  return watcher.alerts > 0 ? ExitCode.FAIL : ExitCode.OK;
}

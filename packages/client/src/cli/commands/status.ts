import type { NodeStatusReport, NotReadyReason } from "../../index.ts";
import { parseStrict } from "../args.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect } from "../connection.ts";
import { EXIT_CODES_HELP, ExitCode } from "../exit-codes.ts";
import type { CliIo } from "../io.ts";
import { type TimeJson, timeJson, timeText } from "../time-text.ts";
import { UsageError } from "../usage-error.ts";

export const STATUS_HELP = `Usage: tempel status [options]

Asks every node for its status: whether it is ready to sign and if not why (e.g. it cannot reach a
quorum of members), its role in the agreement, the leader it knows (a leader it cannot reach is
none), its calendar head and how far that head is behind the newest one in the cluster.

Options:
  --json      print one JSON object instead of text
  -h, --help  show this help

${CONNECTION_HELP}

A node that does not answer is listed as DOWN; the exit code is 3 only when none answers.

${EXIT_CODES_HELP}
`;

const OPTIONS = {
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  ...CONNECTION_OPTIONS,
} as const;

interface NodeLine {
  readonly endpoint: string;
  readonly id?: string;
  readonly ready: boolean;
  /** Why the node does not sign now, as it says. */
  readonly notReady?: NotReadyReason;
  /** Members the node reaches, itself included, when it reports them. */
  readonly reachable?: number;
  readonly role?: string;
  readonly leader?: string;
  readonly head?: TimeJson;
  /** Seconds the node's head is behind the newest head any node reported. */
  readonly lag?: number;
  readonly error?: string;
}

function nodeLines(reports: readonly NodeStatusReport[]): NodeLine[] {
  const heads = reports.flatMap((r) => (r.status === undefined ? [] : [r.status.calendar.head]));
  const newest = Math.max(...heads);
  return reports.map((report): NodeLine => {
    if (report.status === undefined)
      return { endpoint: report.endpoint, ready: false, error: report.error.message };
    const { node, agreement, calendar, cluster } = report.status;
    const reported = cluster.members.filter((m) => m.reachable !== undefined);
    return {
      endpoint: report.endpoint,
      id: node.id,
      ready: node.ready,
      ...(node.notReady !== undefined && { notReady: node.notReady }),
      ...(reported.length > 0 && { reachable: reported.filter((m) => m.reachable).length }),
      role: agreement.role,
      ...(agreement.leaderId !== undefined && { leader: agreement.leaderId }),
      head: timeJson(calendar.head),
      lag: newest - calendar.head,
    };
  });
}

function render(lines: readonly NodeLine[], reports: readonly NodeStatusReport[]): string {
  const answered = reports.find((r) => r.status !== undefined)?.status;
  const out: string[] = [];
  if (answered !== undefined) {
    const cluster = answered.cluster;
    const leaders = new Set(lines.flatMap((l) => (l.leader === undefined ? [] : [l.leader])));
    out.push(
      `cluster ${cluster.id}: ${cluster.members.length} member${cluster.members.length === 1 ? "" : "s"}, quorum ${cluster.quorum}`,
      `leader: ${leaders.size === 0 ? "none known" : [...leaders].join(" / ")}`,
    );
  }
  for (const line of lines) {
    if (line.error !== undefined) {
      out.push(`${line.endpoint}  DOWN  ${line.error}`);
      continue;
    }
    out.push(`${line.endpoint}  ${line.ready ? "ready" : "NOT READY"}  ${line.role}  ${line.id}`);
    if (line.notReady !== undefined) out.push(`    ${line.notReady.message}`);
    out.push(
      `    head ${timeText(line.head!.unix)}, ${line.lag === 0 ? "up to date" : `${line.lag} s behind`}`,
    );
  }
  return `${out.join("\n")}\n`;
}

/** `tempel status`: every node's own account, side by side. */
export async function statusCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseStrict({ args: [...args], options: OPTIONS, allowPositionals: true });
  if (values.help) {
    io.out(STATUS_HELP);
    return ExitCode.OK;
  }
  if (positionals.length > 0)
    throw new UsageError("tempel status takes no arguments besides options (see --help)");
  const client = await connect(values, {});
  const reports = await client.status();
  const lines = nodeLines(reports);
  io.out(values.json ? `${JSON.stringify({ nodes: lines })}\n` : render(lines, reports));
  if (lines.every((line) => line.error !== undefined)) {
    io.err("tempel status: no node answered; check that the cluster runs and the endpoints are right\n");
    return ExitCode.UNAVAILABLE;
  }
  return ExitCode.OK;
}

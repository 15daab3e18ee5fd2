import { encodePublicationString, toHex } from "@tempel/proto";
import { parseStrict } from "../args.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect } from "../connection.ts";
import { EXIT_CODES_HELP, ExitCode } from "../exit-codes.ts";
import type { CliIo } from "../io.ts";
import { timeJson, timeText } from "../time-text.ts";
import { UsageError } from "../usage-error.ts";

export const PUBLICATIONS_HELP = `Usage: tempel publications [--pub-str] [options]

Fetches the cluster's publications file, checks its signature against the trust anchors, and lists
its publications: the calendar roots printed for anyone to verify signatures with, oldest first.

Options:
  --pub-str   print only the newest publication code, e.g. for tempel verify --pub-str
  --json      print one JSON object instead of text
  -h, --help  show this help

${CONNECTION_HELP}

${EXIT_CODES_HELP}
`;

const OPTIONS = {
  "pub-str": { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  ...CONNECTION_OPTIONS,
} as const;

/** `tempel publications`: fetch and check the publications file, list what it publishes. */
export async function publicationsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseStrict({ args: [...args], options: OPTIONS, allowPositionals: true });
  if (values.help) {
    io.out(PUBLICATIONS_HELP);
    return ExitCode.OK;
  }
  if (positionals.length > 0) throw new UsageError("tempel publications takes no file names (see --help)");
  const client = await connect(values, { publications: true });
  const file = await client.publications();
  const publications = [...file.publications]
    .sort((a, b) => a.publishedData.publicationTime - b.publishedData.publicationTime)
    .map((record) => ({
      time: record.publishedData.publicationTime,
      hash: toHex(record.publishedData.publishedHash),
      code: encodePublicationString(record.publishedData),
      references: record.references,
    }));
  if (values["pub-str"]) {
    const newest = publications.at(-1);
    if (newest === undefined) {
      io.err(
        "tempel publications: the publications file has no publication yet; extend to --to latest meanwhile\n",
      );
      return ExitCode.INCONCLUSIVE;
    }
    io.out(
      values.json
        ? `${JSON.stringify({ code: newest.code, time: timeJson(newest.time) })}\n`
        : `${newest.code}\n`,
    );
    return ExitCode.OK;
  }
  if (values.json) {
    io.out(
      `${JSON.stringify({
        created: timeJson(file.header.creationTime),
        certificates: file.certificates.length,
        publications: publications.map((p) => ({ ...p, time: timeJson(p.time) })),
      })}\n`,
    );
    return ExitCode.OK;
  }
  const lines = [
    `publications file created ${timeText(file.header.creationTime)}, signature checked; ` +
      `${file.certificates.length} signing certificate${file.certificates.length === 1 ? "" : "s"}`,
    ...(publications.length === 0 ? ["no publications yet"] : []),
    ...publications.flatMap((p) => [
      `${timeText(p.time)}  ${p.code}`,
      ...p.references.map((reference) => `    ${reference}`),
    ]),
  ];
  io.out(`${lines.join("\n")}\n`);
  return ExitCode.OK;
}

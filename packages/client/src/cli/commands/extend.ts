import { rename, writeFile } from "node:fs/promises";
import { encodePublicationString } from "@tempel/proto";
import { type ExtendTarget, Signature } from "../../index.ts";
import { parseStrict } from "../args.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, openCluster } from "../connection.ts";
import { EXIT_CODES_HELP, ExitCode } from "../exit-codes.ts";
import type { CliIo } from "../io.ts";
import { readSignature } from "../signature-file.ts";
import { parseTime, timeJson, timeText } from "../time-text.ts";
import { UsageError } from "../usage-error.ts";

export const EXTEND_HELP = `Usage: tempel extend <signature-file> [--to latest|publication|TIME] [options]

Extends a signature to a later calendar root: its calendar chain is replaced by one the cluster's
extender computes, its old records are dropped, and it verifies against the new root from then on.
  --to latest       the newest root a quorum of the cluster certified (default); the signature
                    then carries that root's quorum certificate, checked against the members of
                    the cluster's genesis (--genesis FILE, the cluster description's, or the one
                    .tempel/trust.json names)
  --to publication  the first publication after the signing time in the cluster's publications
                    file; the signature then verifies with that publication alone (tempel verify
                    --pub-str CODE), long after every key is retired
  --to TIME         the root at that second: Unix seconds or a date-time like 2026-01-15T00:00:00Z
The signature file is replaced (atomically) unless -o names another.

Options:
  -o, --output FILE   write the extended signature there instead
  --json              print one JSON object instead of text
  -h, --help          show this help

${CONNECTION_HELP}

A --to time before the signing time is a usage error (exit 2); no publication after the signing
time yet is NA (exit 4: try later, or --to latest).

${EXIT_CODES_HELP}
`;

const OPTIONS = {
  to: { type: "string", default: "latest" },
  output: { type: "string", short: "o" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  ...CONNECTION_OPTIONS,
} as const;

function parseTarget(text: string): ExtendTarget {
  return text === "latest" || text === "publication" ? text : parseTime(text, "--to");
}

/** Write `bytes` to `path` so that a reader sees the old file or the new one, never a part. */
async function replaceFile(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, bytes, { flag: "wx" });
  await rename(temporary, path);
}

/** What certifies the root the signature now reaches, for people. */
function certifiedBy(signature: Signature): string {
  const record = signature.ksi.publicationRecord;
  if (record !== undefined) return `published as ${encodePublicationString(record.publishedData)}`;
  const certificate = signature.ksi.quorumCertificate;
  if (certificate !== undefined) {
    const count = certificate.shares.length;
    return `certified by ${count} cluster member${count === 1 ? "" : "s"}`;
  }
  return "not certified in the signature: verify it with --policy calendar, or extend it again later";
}

/** `tempel extend`: read, extend through the cluster, write back, report. */
export async function extendCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseStrict({ args: [...args], options: OPTIONS, allowPositionals: true });
  if (values.help) {
    io.out(EXTEND_HELP);
    return ExitCode.OK;
  }
  if (positionals.length !== 1)
    throw new UsageError("give exactly one signature file (see tempel extend --help)");
  const path = positionals[0]!;
  const to = parseTarget(values.to);
  const read = await readSignature(path);
  if (typeof read === "string") {
    io.err(`tempel extend: ${path} is not a KSI signature: ${read}\n`);
    return ExitCode.FAIL;
  }
  if (typeof to === "number" && to < read.aggregationChains[0]!.aggregationTime) {
    throw new UsageError(
      `--to ${values.to}: the signature was made at ${timeText(read.aggregationChains[0]!.aggregationTime)}; ` +
        "it can be extended only to a later time",
    );
  }
  const { client, genesis } = await openCluster(values, { agency: true, publications: to === "publication" });
  if (to === "latest" && genesis === undefined) {
    throw new UsageError(
      "--to latest needs the cluster's genesis to check the head's quorum certificate: pass --genesis FILE, " +
        "or name a cluster description that lists it (--config FILE; npm start writes .tempel/cluster.json), " +
        "or use --to publication",
    );
  }
  const extended = await client.extend(new Signature(read, client), { to });
  const output = values.output ?? path;
  try {
    await (values.output === undefined
      ? replaceFile(path, extended.encode())
      : writeFile(output, extended.encode()));
  } catch (error) {
    throw new UsageError(`cannot write the extended signature to ${output}: ${(error as Error).message}`);
  }
  const chain = extended.ksi.calendarChain!;
  const publication = extended.ksi.publicationRecord?.publishedData;
  if (values.json) {
    const report = {
      signature: output,
      aggregationTime: timeJson(extended.aggregationTime),
      publicationTime: timeJson(chain.publicationTime),
      ...(publication !== undefined && { publication: encodePublicationString(publication) }),
      quorumCertificate: extended.ksi.quorumCertificate !== undefined,
    };
    io.out(`${JSON.stringify(report)}\n`);
    return ExitCode.OK;
  }
  io.out(
    [
      `extended ${output}: signed at ${timeText(extended.aggregationTime)}, now reaches the calendar root at ${timeText(chain.publicationTime)}`,
      `  ${certifiedBy(extended)}`,
      `check with: tempel verify ${output}${publication === undefined ? "" : ` --pub-str ${encodePublicationString(publication)}`}`,
      "",
    ].join("\n"),
  );
  return ExitCode.OK;
}

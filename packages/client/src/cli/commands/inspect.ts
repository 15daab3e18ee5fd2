import { signatureToJson } from "@tempel/proto";
import { parseStrict } from "../args.ts";
import { EXIT_CODES_HELP, ExitCode } from "../exit-codes.ts";
import type { CliIo } from "../io.ts";
import { readSignature } from "../signature-file.ts";
import { renderSignature } from "../signature-tree.ts";
import { UsageError } from "../usage-error.ts";

export const INSPECT_HELP = `Usage: tempel inspect <signature-file> [--json]

Show what a KSI signature contains, without verifying it: the signed hash and time, who asked
(metadata in the aggregation chains), every chain with its links, the calendar chain, and the
calendar authentication record, publication record and quorum certificate when present.
Run tempel verify to check it.

Options:
  --json      print the signature as one JSON object (imprints in hex, times as Unix and ISO 8601)
  -h, --help  show this help

${EXIT_CODES_HELP}
`;

const OPTIONS = {
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

export async function inspectCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseStrict({ args: [...args], options: OPTIONS, allowPositionals: true });
  if (values.help) {
    io.out(INSPECT_HELP);
    return ExitCode.OK;
  }
  if (positionals.length !== 1) {
    throw new UsageError("give exactly one signature file (see tempel inspect --help)");
  }
  const path = positionals[0]!;
  const signature = await readSignature(path);
  if (typeof signature === "string") {
    io.err(`tempel inspect: ${path} is not a KSI signature: ${signature}\n`);
    return ExitCode.FAIL;
  }
  const json = signatureToJson(signature);
  io.out(values.json ? `${JSON.stringify(json, null, 2)}\n` : renderSignature(json));
  return ExitCode.OK;
}

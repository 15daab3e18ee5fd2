import { createReadStream, existsSync } from "node:fs";
import { stat, writeFile } from "node:fs/promises";
import { checkImprint, fromHex, TempelError, toHex } from "@tempel/proto";
import type { Signature, SignInput } from "../../index.ts";
import { parseStrict } from "../args.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect } from "../connection.ts";
import { EXIT_CODES_HELP, ExitCode } from "../exit-codes.ts";
import type { CliIo } from "../io.ts";
import { ProgressBar } from "../progress.ts";
import { timeJson, timeText } from "../time-text.ts";
import { UsageError } from "../usage-error.ts";

export const SIGN_HELP = `Usage: tempel sign FILE... [options]
       tempel sign - -o SIGNATURE               sign what comes on standard input
       tempel sign --hash IMPRINT -o SIGNATURE  sign a hash made elsewhere

Hashes each FILE here (only the hash leaves this machine) and has the cluster sign it; the
signature goes to FILE.ksig beside it. Many files go in batches, with a progress bar on a terminal.
Check a signature with tempel verify FILE.

Options:
  -o, --output FILE   where the signature goes, for a single input ("-": standard output)
  --hash IMPRINT      sign this hash: hex algorithm byte + digest (01… = SHA-256)
  --skip-existing     leave files that have a signature file alone, and sign the others
  --force             replace signature files that exist
                      (without either, an existing signature file stops the whole batch, before
                      anything is signed)
  --json              print one JSON object {"signed": [...]} instead of text
  -h, --help          show this help

${CONNECTION_HELP}

${EXIT_CODES_HELP}
`;

const OPTIONS = {
  output: { type: "string", short: "o" },
  hash: { type: "string" },
  "skip-existing": { type: "boolean", default: false },
  force: { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  ...CONNECTION_OPTIONS,
} as const;

const STDIO = "-";

/** One thing to sign and where its signature goes. */
interface Job {
  /** A file path, "-" for standard input, or the hash given. */
  readonly input: string;
  readonly source: () => SignInput;
  /** A file path, or "-" for standard output. */
  readonly output: string;
}

function hashJob(hex: string, output: string | undefined): Job {
  const bytes = fromHex(hex);
  if (bytes === undefined) throw new UsageError("--hash: expected hex digits (algorithm byte + digest)");
  try {
    checkImprint(bytes, "--hash");
  } catch (error) {
    if (error instanceof TempelError) throw new UsageError(error.message);
    throw error;
  }
  if (output === undefined) throw new UsageError("--hash needs -o FILE (or -o - for standard output)");
  return { input: hex, source: () => ({ imprint: bytes }), output };
}

/** The file's bytes as they are read; a read that fails on the way is a usage error naming the file. */
async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  try {
    yield* createReadStream(path);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

async function fileJob(path: string, output: string | undefined): Promise<Job> {
  const info = await stat(path).catch((error: Error) => {
    throw new UsageError(`cannot read ${path}: ${error.message}`);
  });
  if (!info.isFile()) throw new UsageError(`${path} is not a file`);
  return { input: path, source: () => fileChunks(path), output: output ?? `${path}.ksig` };
}

async function plan(positionals: readonly string[], hash: string | undefined, output: string | undefined) {
  if (hash !== undefined) {
    if (positionals.length > 0) throw new UsageError("give either --hash or files to sign, not both");
    return [hashJob(hash, output)];
  }
  if (positionals.length === 0)
    throw new UsageError("name the files to sign, - for standard input, or --hash");
  if (positionals.length > 1 && output !== undefined) {
    throw new UsageError("-o names the signature of a single input; many files get FILE.ksig each");
  }
  if (positionals.includes(STDIO)) {
    if (positionals.length > 1) throw new UsageError("- (standard input) is signed on its own");
    if (output === undefined)
      throw new UsageError("signing standard input needs -o FILE (or -o - for standard output)");
    return [{ input: STDIO, source: () => process.stdin, output }];
  }
  const jobs: Job[] = [];
  for (const path of positionals) jobs.push(await fileJob(path, output));
  return jobs;
}

async function writeSignature(job: Job, signature: Signature, force: boolean): Promise<void> {
  const bytes = signature.encode();
  if (job.output === STDIO) {
    process.stdout.write(bytes);
    return;
  }
  try {
    await writeFile(job.output, bytes, { flag: force ? "w" : "wx" });
  } catch (error) {
    const reason =
      (error as { code?: unknown }).code === "EEXIST"
        ? "it exists; --force replaces it, --skip-existing leaves it"
        : (error as Error).message;
    throw new UsageError(`cannot write the signature to ${job.output}: ${reason}`);
  }
}

/** The command that checks the first signature, when it went to a file. */
function verifyHint(job: Job, isHash: boolean): string | undefined {
  if (job.output === STDIO) return undefined;
  if (isHash) return `tempel verify ${job.output} --document-hash ${job.input}`;
  if (job.input === STDIO) return `tempel verify ${job.output} --document FILE (the data that was signed)`;
  return job.output === `${job.input}.ksig`
    ? `tempel verify ${job.input}`
    : `tempel verify ${job.output} --document ${job.input}`;
}

/** `tempel sign`: hash, sign (in batches when many), write the signatures, report. */
export async function signCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseStrict({ args: [...args], options: OPTIONS, allowPositionals: true });
  if (values.help) {
    io.out(SIGN_HELP);
    return ExitCode.OK;
  }
  if (values.force && values["skip-existing"]) {
    throw new UsageError("--force replaces existing signatures, --skip-existing keeps them: pick one");
  }
  const planned = await plan(positionals, values.hash, values.output);
  // Checked before signing, so that no signature is made only to be refused a place.
  const exists = (job: Job) => !values.force && job.output !== STDIO && existsSync(job.output);
  const jobs = values["skip-existing"] ? planned.filter((job) => !exists(job)) : planned;
  const skipped = planned.length - jobs.length;
  const taken = jobs.find(exists);
  if (taken !== undefined) {
    throw new UsageError(
      `${taken.output} exists; --force replaces it, --skip-existing signs only the files without one`,
    );
  }
  if (jobs.length === 0) {
    io.out(
      values.json
        ? `${JSON.stringify({ signed: [], skipped })}\n`
        : `all ${skipped} files have a signature; nothing to sign\n`,
    );
    return ExitCode.OK;
  }
  const toStdout = jobs[0]!.output === STDIO;
  if (toStdout && values.json) throw new UsageError("--json and -o - both want standard output; pick one");
  const client = await connect(values, { agency: true });
  const started = performance.now();
  let signatures: Signature[];
  if (jobs.length === 1) {
    signatures = [await client.sign(jobs[0]!.source())];
  } else {
    const progress = new ProgressBar(jobs.length, "files signed");
    try {
      signatures = await client.signMany(
        (function* () {
          for (const job of jobs) yield job.source();
        })(),
        { onProgress: (signed) => progress.update(signed) },
      );
    } finally {
      progress.clear();
    }
  }
  for (let i = 0; i < jobs.length; i++) await writeSignature(jobs[i]!, signatures[i]!, values.force);

  const signed = jobs.map((job, i) => ({
    input: job.input,
    signature: job.output,
    inputHash: toHex(signatures[i]!.inputHash),
    aggregationTime: timeJson(signatures[i]!.aggregationTime),
    agency: signatures[i]!.agency ?? null,
  }));
  if (values.json) {
    io.out(`${JSON.stringify({ signed, skipped })}\n`);
    return ExitCode.OK;
  }
  const say = toStdout ? io.err : io.out;
  const lines = signed.length <= 10 ? signed.map((s) => `signed ${s.input} → ${s.signature}`) : [];
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const s of signed) {
    first = Math.min(first, s.aggregationTime.unix);
    last = Math.max(last, s.aggregationTime.unix);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const agency = signed[0]!.agency === null ? "" : ` for ${signed[0]!.agency}`;
  lines.push(
    `${signed.length} signature${signed.length === 1 ? "" : "s"} in ${seconds} s, made at ` +
      `${timeText(first)}${last === first ? "" : ` to ${timeText(last)}`}${agency}` +
      (skipped === 0 ? "" : `; ${skipped} skipped (signed before)`),
  );
  const check = verifyHint(jobs[0]!, values.hash !== undefined);
  if (check !== undefined) lines.push(`check with: ${check}`);
  say(`${lines.join("\n")}\n`);
  return ExitCode.OK;
}

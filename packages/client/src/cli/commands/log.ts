import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import {
  decodeSignature,
  encodeMetaRecord,
  encodeSignature,
  fromHex,
  type Imprint,
  internalPolicy,
  LogBlockTree,
  LogLineQueue,
  type LogProblem,
  LogsigFormatError,
  LogsigVerifier,
  logsigBlocks,
  recordBytes,
  recordSignature,
  TempelError,
  toHex,
  verifyLog,
  verifySignature,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { LogRecordError, LogSigner, logSignerDefaults } from "../../logs/log-signer.ts";
import { LogBlockHashers } from "../../node/log-block-hashers.ts";
import { openLogsigFile } from "../../node/logsig-file.ts";
import { integer, parseStrict } from "../args.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect } from "../connection.ts";
import { EXIT_CODES_HELP, ExitCode } from "../exit-codes.ts";
import type { CliIo } from "../io.ts";
import { readLog } from "../log-file.ts";
import { timeJson, timeText } from "../time-text.ts";
import { UsageError } from "../usage-error.ts";
import { gatherChecks, VERIFY_OPTIONS, verifyWithChecks } from "./verify.ts";

export const LOG_HELP = `Usage: tempel log sign FILE [options]              sign a log into FILE.logsig
       tempel log verify FILE [SIGNATURE] [options]  check a log against its log signature
       tempel log extract FILE --line N [options]    a record's own KSI signature

Log signatures in KSI's LOGSIG12 format, as rsyslog's KSI module and Guardtime's logksi write and
read them: each block of lines is masked with a random seed, hashed into a tree linked to the
previous block, and its root signed by the cluster (one request per block). Run
tempel log <command> --help for each command's options; docs/logs.md describes them.

${EXIT_CODES_HELP}
`;

const SIGN_HELP = `Usage: tempel log sign FILE [options]

Signs the lines of the log FILE into FILE.logsig (LOGSIG12, verifiable by logksi). Lines end at LF,
CR LF or CR; each block of lines (at most --block-ms of them, or --block-records) gets one signature
from the cluster. Blocks are appended whole and fsynced: after a crash or kill, run the same command
again and it cuts off a torn last block, checks that the log still matches what was signed, and
goes on after the last signed line. A log that no longer matches stops it (exit 1): see tempel log
verify.

Options:
  -o, --output FILE      the log signature (default FILE.logsig)
  --follow               keep signing lines as they are appended to FILE, like tail -f, until
                         SIGINT or SIGTERM (then the open block is signed before exiting)
  --block-ms N           close a block N ms after its first line (default ${logSignerDefaults.maxDelayMs})
  --block-records N      close a block at N lines (default ${logSignerDefaults.maxRecords}, at most 524288)
  --json                 print one JSON object {"log","signature","lines","blocks",...} at the end
  -h, --help             show this help

${CONNECTION_HELP}

${EXIT_CODES_HELP}
`;

const VERIFY_LOG_HELP = `Usage: tempel log verify FILE [SIGNATURE] [options]

Checks the log FILE against its log signature (default FILE.logsig), block by block as logksi
verify does: each block's link to the one before, its stored record hashes against the lines, its
KSI signature against the block's root under the policy. The first problem is named by line: a
changed line, a deleted, inserted or swapped one, lines missing at the end or not signed, blocks
removed or reordered. Exit 0 when the whole log holds, 1 when something was changed, 4 when a
block is unsigned or the policy cannot decide.

Options:
  --policy NAME             internal | publication | key | calendar | default (default: default),
                            as for tempel verify; logksi's --ver-int is --policy internal
  --pub-str CODE            a publication string to verify the blocks against
  --publications-file FILE  a publications file (KSIPUBLF)
  --trust-anchor FILE       CA certificate the publications file must be signed under; repeatable
  --cnstr NAME=VALUE        subject attribute of the publications file's signer; repeatable
  --genesis FILE            the cluster's genesis (members and quorum, publications authority)
  --endpoint URL            a node of the cluster (repeatable); --config FILE: its description
  --input-hash IMPRINT      the last leaf of the log signature this one continues (hex), checked
                            against the first block (logksi's --input-hash)
  --ignore-desc-block-time  accept blocks signed earlier than the block before them
  --threads N               hash the blocks on N worker threads besides this one (default 0:
                            measured on 2 busy cores, the threads cost more than they saved)
  --json                    print one JSON object {"result","code","message","line","block",...}
  -h, --help                show this help

${EXIT_CODES_HELP}
`;

const EXTRACT_HELP = `Usage: tempel log extract FILE --line N [SIGNATURE] [options]

Writes the proof for line N of the log FILE alone, as logksi extract --ksig does: FILE.line.N holds
the line (without its terminator) and FILE.line.N.ksig its own KSI signature (the block's signature
with the line's path up the block's tree in front). Hand both to someone who must not see the rest
of the log; tempel verify FILE.line.N (or ksi verify) checks them. The block is checked against
its signature first (internal policy).

Options:
  --line N            the line to extract (1-based)
  -o, --output FILE   where the signature goes (default FILE.line.N.ksig; the line goes beside it,
                      without .ksig)
  --force             replace files that exist
  --json              print one JSON object {"line","record","signature",...}
  -h, --help          show this help

${EXIT_CODES_HELP}
`;

const SIGN_OPTIONS = {
  output: { type: "string", short: "o" },
  follow: { type: "boolean", default: false },
  "block-ms": { type: "string" },
  "block-records": { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  ...CONNECTION_OPTIONS,
} as const;

const {
  document: _d,
  "document-hash": _h,
  "signature-only": _s,
  level: _l,
  ...TRUST_OPTIONS
} = VERIFY_OPTIONS;

/** tempel verify's trust options: how a block's KSI signature is verified (tempel watch takes them too). */
export { TRUST_OPTIONS };

const LOG_VERIFY_OPTIONS = {
  ...TRUST_OPTIONS,
  "input-hash": { type: "string" },
  "ignore-desc-block-time": { type: "boolean", default: false },
  threads: { type: "string" },
} as const;

const EXTRACT_OPTIONS = {
  line: { type: "string" },
  output: { type: "string", short: "o" },
  force: { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

function positiveInt(
  text: string | undefined,
  name: string,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new UsageError(`${name} ${text}: expected a whole number from 1 to ${max}`);
  }
  return Number(text);
}

/** A log signature file that cannot be read as one is the user's input problem. */
function asUsage<T>(path: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof LogsigFormatError) throw new UsageError(`${path}: ${error.message}`);
    throw error;
  }
}

async function signLog(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseStrict({
    args: [...args],
    options: SIGN_OPTIONS,
    allowPositionals: true,
  });
  if (values.help) {
    io.out(SIGN_HELP);
    return ExitCode.OK;
  }
  if (positionals.length !== 1)
    throw new UsageError("name one log file to sign (see tempel log sign --help)");
  const path = positionals[0]!;
  const output = values.output ?? `${path}.logsig`;
  const maxDelayMs = positiveInt(values["block-ms"], "--block-ms", 3_600_000);
  const maxRecords = positiveInt(values["block-records"], "--block-records", 1 << 19);
  if (!existsSync(path)) throw new UsageError(`cannot read ${path}: no such file`);
  const client = await connect(values, { agency: true });
  const opened = await openLogsigFile(output).catch((error: unknown) => {
    if (error instanceof LogsigFormatError) {
      throw new UsageError(`${output} is not a log signature this command can append to: ${error.message}`);
    }
    throw error;
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (values.follow) {
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
  const started = performance.now();
  let blocks = 0;
  let bytes = 0;
  try {
    const lines = new LogLineQueue(readLog(path, { follow: values.follow, signal: stop.signal }), {
      holdPartial: values.follow,
    });
    // Resuming: the signed part must still be the log's beginning, and gives the last leaf to continue.
    const resume = new LogsigVerifier({ hasher: nodeHasher });
    for (const block of opened.blocks) {
      await lines.fill(LogsigVerifier.linesOf(block));
      const checked = resume.checkHashes(block, lines.take);
      if ("code" in checked && checked.code !== "UNSIGNED_BLOCK") {
        io.err(
          `tempel log sign: ${path} no longer matches ${output}: ${checked.message}\n` +
            `  check it with: tempel log verify ${path}${output === `${path}.logsig` ? "" : ` ${output}`}\n`,
        );
        return ExitCode.FAIL;
      }
    }
    const resumedAfter = resume.linesRead;
    const signer = new LogSigner(client, opened.sink, {
      ...(resume.outputHash !== undefined && { inputHash: resume.outputHash }),
      ...(maxDelayMs !== undefined && { maxDelayMs }),
      ...(maxRecords !== undefined && { maxRecords }),
      onBlock: (block) => {
        blocks++;
        bytes += block.bytes;
      },
    });
    let lineNumber = resumedAfter;
    for (;;) {
      await lines.fill(1);
      if (lines.waiting === 0) break;
      for (let line = lines.take(); line !== undefined; line = lines.take()) {
        lineNumber++;
        try {
          signer.add(line);
        } catch (error) {
          if (!(error instanceof LogRecordError)) throw error;
          await signer.flush();
          throw new UsageError(
            `${path} line ${lineNumber}: ${error.message}; the lines before it are signed`,
          );
        }
      }
      await signer.ready();
    }
    await signer.close();
    const signed = lineNumber - resumedAfter;
    const seconds = (performance.now() - started) / 1000;
    const report = {
      log: path,
      signature: output,
      lines: signed,
      blocks,
      bytes,
      resumedAfterLine: resumedAfter,
      truncatedBytes: opened.truncatedBytes,
      seconds: Number(seconds.toFixed(3)),
    };
    if (values.json) io.out(`${JSON.stringify(report)}\n`);
    else {
      const notes = [
        resumedAfter > 0 ? `resumed after line ${resumedAfter}` : undefined,
        opened.truncatedBytes > 0 ? `cut a torn last block of ${opened.truncatedBytes} bytes` : undefined,
      ].filter((note) => note !== undefined);
      io.out(
        `signed ${signed} line${signed === 1 ? "" : "s"} of ${path} in ${blocks} block${blocks === 1 ? "" : "s"} → ${output}` +
          ` (${seconds.toFixed(1)} s${notes.length === 0 ? "" : `; ${notes.join("; ")}`})\n` +
          `check with: tempel log verify ${path}${output === `${path}.logsig` ? "" : ` ${output}`}\n`,
      );
    }
    return ExitCode.OK;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await opened.sink.close();
  }
}

const EXIT_BY_RESULT = { OK: ExitCode.OK, FAIL: ExitCode.FAIL, NA: ExitCode.INCONCLUSIVE } as const;

function parseInputHash(text: string | undefined): Imprint | undefined {
  if (text === undefined) return undefined;
  const bytes = fromHex(text.replace(/^SHA-?256:/i, "01"));
  if (bytes === undefined || bytes.length < 21) {
    throw new UsageError("--input-hash: expected hex digits (algorithm byte + digest)");
  }
  return bytes;
}

async function verifyLogCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseStrict({
    args: [...args],
    options: LOG_VERIFY_OPTIONS,
    allowPositionals: true,
  });
  if (values.help) {
    io.out(VERIFY_LOG_HELP);
    return ExitCode.OK;
  }
  if (positionals.length < 1 || positionals.length > 2) {
    throw new UsageError(
      "name the log, and its log signature if not LOG.logsig (see tempel log verify --help)",
    );
  }
  const path = positionals[0]!;
  const signature = positionals[1] ?? `${path}.logsig`;
  for (const file of [path, signature]) {
    if (!existsSync(file)) throw new UsageError(`cannot read ${file}: no such file`);
  }
  const inputHash = parseInputHash(values["input-hash"]);
  const threads = integer(values.threads, "threads", 0, 256) ?? 0;
  const checks = await gatherChecks({ ...values, "signature-only": false });
  // The hashing (4 SHA-256 per line) runs on the threads; the links and signatures here.
  const hashers = threads > 0 ? new LogBlockHashers(threads) : undefined;
  const verdict = await verifyLog(
    readLog(path, { shared: true }),
    readLog(signature),
    (ksi, root, level) => verifyWithChecks(ksi, root, level, checks),
    {
      ignoreBlockTimeOrder: values["ignore-desc-block-time"],
      hasher: nodeHasher,
      ...(inputHash !== undefined && { inputHash }),
      ...(hashers !== undefined && { hashBlocks: hashers.hash }),
    },
  ).finally(() => hashers?.close());
  const signed = verdict.blocks.filter((block) => block.signedAt !== undefined);
  const first = signed[0]?.signedAt;
  const last = signed.at(-1)?.signedAt;
  const problem: LogProblem | undefined = verdict.problem;
  const report = {
    result: verdict.result,
    code: problem?.code ?? null,
    message:
      problem?.message ??
      `all ${verdict.lines} lines of ${path} are signed, unchanged, in ${verdict.blocks.length} blocks`,
    log: path,
    signature,
    policy: values.policy,
    line: problem?.line ?? null,
    block: problem?.block ?? null,
    verificationCode: problem?.verificationCode ?? null,
    lines: verdict.lines,
    blocks: verdict.blocks.length,
    firstSigned: first === undefined ? null : timeJson(first),
    lastSigned: last === undefined ? null : timeJson(last),
  };
  if (values.json) io.out(`${JSON.stringify(report)}\n`);
  else {
    const out = [`${report.result}${problem === undefined ? "" : ` ${problem.code}`}: ${report.message}`];
    out.push(`  log:       ${path}`, `  signature: ${signature}`);
    if (first !== undefined && last !== undefined) {
      out.push(`  signed:    ${timeText(first)}${first === last ? "" : ` to ${timeText(last)}`}`);
    }
    out.push(`  policy: ${values.policy}`);
    if (verdict.result === "OK" && values.policy === "internal") {
      out.push(
        "  next: internal consistency does not prove the signing times: verify with --policy default or key",
      );
    }
    if (problem?.code === "UNSIGNED_BLOCK") {
      out.push(
        "  next: the block's signer could not reach its KSI service; logksi sign can sign such blocks later",
      );
    }
    io.out(`${out.join("\n")}\n`);
  }
  return EXIT_BY_RESULT[verdict.result];
}

async function writeNew(path: string, bytes: Uint8Array, force: boolean): Promise<void> {
  try {
    await writeFile(path, bytes, { flag: force ? "w" : "wx" });
  } catch (error) {
    const reason =
      (error as { code?: unknown }).code === "EEXIST"
        ? "it exists; --force replaces it"
        : (error as Error).message;
    throw new UsageError(`cannot write ${path}: ${reason}`);
  }
}

async function extractCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseStrict({
    args: [...args],
    options: EXTRACT_OPTIONS,
    allowPositionals: true,
  });
  if (values.help) {
    io.out(EXTRACT_HELP);
    return ExitCode.OK;
  }
  if (positionals.length < 1 || positionals.length > 2) {
    throw new UsageError(
      "name the log, and its log signature if not LOG.logsig (see tempel log extract --help)",
    );
  }
  const target = positiveInt(values.line, "--line");
  if (target === undefined) throw new UsageError("--line N names the line to extract");
  const path = positionals[0]!;
  const signaturePath = positionals[1] ?? `${path}.logsig`;
  const output = values.output ?? `${path}.line.${target}.ksig`;
  const lineOutput = output.endsWith(".ksig") ? output.slice(0, -".ksig".length) : `${output}.line`;
  const bytes = await readFile(signaturePath).catch((error: Error) => {
    throw new UsageError(`cannot read ${signaturePath}: ${error.message}`);
  });
  const blocks = asUsage(signaturePath, () => logsigBlocks(new Uint8Array(bytes)));
  const lines = new LogLineQueue(readLog(path));
  let before = 0;
  for (const block of blocks) {
    const count = LogsigVerifier.linesOf(block);
    await lines.fill(count);
    if (target > before + count) {
      for (let i = 0; i < count; i++) lines.take();
      before += count;
      continue;
    }
    if (block.signature.ksiSignature === undefined) {
      io.err(`tempel log extract: line ${target} is in block ${block.number}, which is unsigned\n`);
      return ExitCode.INCONCLUSIVE;
    }
    const tree = new LogBlockTree(block.header.algorithm, block.header.seed, block.header.inputHash, {
      keepPaths: true,
      hasher: nodeHasher,
    });
    const metas = new Map(
      block.body.flatMap((e) => (e.kind === "meta-record" ? [[e.index, e] as const] : [])),
    );
    let record: { index: number; line: Uint8Array; hash: Imprint } | undefined;
    for (let k = 0, lineNo = before; k < block.signature.recordCount; k++) {
      const meta = metas.get(k);
      if (meta !== undefined) {
        tree.add(tree.recordHash(encodeMetaRecord(meta)), true);
        continue;
      }
      const line = lines.take();
      if (line === undefined) {
        io.err(`tempel log extract: ${path} ends at line ${lineNo}, before block ${block.number} does\n`);
        return ExitCode.FAIL;
      }
      lineNo++;
      const hash = tree.recordHash(recordBytes(line));
      tree.add(hash);
      if (lineNo === target) record = { index: k, line: recordBytes(line).slice(), hash };
    }
    const blockSignature = asUsage(signaturePath, () => decodeSignature(block.signature.ksiSignature!));
    const root = tree.root()!;
    const blockCheck = await verifySignature(
      blockSignature,
      { documentHash: root, inputLevel: tree.level, hasher: nodeHasher },
      internalPolicy,
    );
    if (blockCheck.result !== "OK") {
      io.err(
        `tempel log extract: block ${block.number} of ${path} (lines ${before + 1}–${before + count}) does not match its signature (${blockCheck.code} ${blockCheck.message}); run tempel log verify ${path}\n`,
      );
      return ExitCode.FAIL;
    }
    const signature = recordSignature(blockSignature, tree, record!.index, record!.hash);
    const check = await verifySignature(
      signature,
      { documentHash: record!.hash, hasher: nodeHasher },
      internalPolicy,
    );
    if (check.result !== "OK") {
      throw new TempelError(
        "EXTRACT_INCONSISTENT",
        `the extracted signature does not verify: ${check.code} ${check.message}`,
      );
    }
    await writeNew(lineOutput, record!.line, values.force);
    await writeNew(output, encodeSignature(signature), values.force);
    const report = {
      line: target,
      block: block.number,
      record: lineOutput,
      signature: output,
      recordHash: toHex(record!.hash),
      signedAt: timeJson(signature.aggregationChains[0]!.aggregationTime),
    };
    if (values.json) io.out(`${JSON.stringify(report)}\n`);
    else {
      io.out(
        `line ${target} of ${path} → ${lineOutput}, its signature → ${output} (block ${block.number}, signed ${timeText(report.signedAt.unix)})\n` +
          `check with: tempel verify ${output === `${lineOutput}.ksig` ? lineOutput : `${output} --document ${lineOutput}`}\n`,
      );
    }
    return ExitCode.OK;
  }
  throw new UsageError(`${path} has ${before} signed lines; there is no line ${target} in ${signaturePath}`);
}

/** `tempel log`: sign, verify and extract from KSI log signatures (LOGSIG12). */
export async function logCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "sign":
      return signLog(rest, io);
    case "verify":
      return verifyLogCommand(rest, io);
    case "extract":
      return extractCommand(rest, io);
    case undefined:
    case "--help":
    case "-h":
    case "help":
      io.out(LOG_HELP);
      return sub === undefined ? ExitCode.USAGE : ExitCode.OK;
    default:
      throw new UsageError(`unknown log command "${sub}": expected sign, verify or extract`);
  }
}

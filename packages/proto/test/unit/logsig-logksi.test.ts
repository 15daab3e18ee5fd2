import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  decodeLogsigFile,
  encodeLogsigElement,
  encodeLogsigFile,
  internalPolicy,
  verifyLog,
  verifySignature,
} from "../../src/index.ts";

const ROOT = join(import.meta.dirname, "../../../../testdata/logksi");
const read = (path: string) => new Uint8Array(readFileSync(join(ROOT, path)));

interface VerdictRow {
  log: string;
  signature: string;
  flags: string;
  logksiExit: string;
  result: string;
  problem: string;
  line: string;
  source: string;
}

const rows: VerdictRow[] = readFileSync(join(ROOT, "verdicts.csv"), "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((line) => {
    const [log, signature, flags, logksiExit, result, problem, lineNo, source] = line.split(";");
    return { log, signature, flags, logksiExit, result, problem, line: lineNo, source } as VerdictRow;
  });

const logsigFiles = readdirSync(ROOT, { recursive: true, encoding: "utf8" }).filter((f) =>
  f.endsWith(".logsig"),
);

describe("logksi's test resources", () => {
  it.each(logsigFiles)("%s writes back byte for byte, and canonically where logksi wrote it", (path) => {
    const bytes = read(path);
    let file: ReturnType<typeof decodeLogsigFile>;
    try {
      file = decodeLogsigFile(bytes);
    } catch {
      // Some resources are malformed on purpose; verdicts.csv names what they give.
      return;
    }
    expect(encodeLogsigFile(file)).toEqual(bytes);
    // Without the bytes read, every element logksi wrote encodes to the same bytes again.
    const canonical = { ...file, elements: file.elements.map(({ source: _s, ...rest }) => rest) };
    if (canonical.elements.every((e) => e.kind !== "unknown")) {
      const rebuilt = encodeLogsigFile({
        magic: file.magic,
        elements: canonical.elements.map((e) => ({ ...e }) as never),
      });
      const mismatch = file.elements.findIndex(
        (e, i) => !Buffer.from(encodeLogsigElement(canonical.elements[i] as never)).equals(e.source!),
      );
      expect(mismatch).toBe(-1);
      expect(rebuilt).toEqual(bytes);
    }
  });

  it.each(rows)("$log with $signature $flags: $result $problem (logksi exit $logksiExit)", async (row) => {
    const verdict = await verifyLog(
      read(row.log),
      read(row.signature),
      (signature, root, level) =>
        verifySignature(signature, { documentHash: root, inputLevel: level }, internalPolicy),
      { ignoreBlockTimeOrder: row.flags.includes("--ignore-desc-block-time") },
    );
    expect(
      { result: verdict.result, problem: verdict.problem?.code ?? "" },
      verdict.problem?.message,
    ).toEqual({
      result: row.result,
      problem: row.problem,
    });
    if (row.line !== "") expect(verdict.problem?.line).toBe(Number(row.line));
  });
});

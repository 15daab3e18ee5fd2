import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempel, tempFolder } from "./cli-in-process.ts";

const LOGKSI = join(import.meta.dirname, "../../../../testdata/logksi");
const folder = tempFolder("tempel-log-cli-");

const at = (path: string) => join(LOGKSI, path);

describe("tempel log", () => {
  it("documents its commands, options and exit codes", async () => {
    for (const sub of ["sign", "verify", "extract"]) {
      const help = await tempel("log", sub, "--help");
      expect(help.code).toBe(0);
      expect(help.out).toMatch(/Exit codes/);
      expect(help.out).toMatch(/--json/);
    }
    expect((await tempel("--help")).out).toMatch(/log +sign, verify and extract/);
  });

  it("verify: exit 0 for logksi's signed log, 1 naming a changed line (hashed on threads or not), 4 for an unsigned block", async () => {
    const ok = await tempel(
      "log",
      "verify",
      at("logs_and_signatures/signed"),
      "--policy",
      "internal",
      "--json",
    );
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ result: "OK", lines: 9, blocks: 4 });
    for (const threads of ["0", "2"]) {
      const changed = await tempel(
        "log",
        "verify",
        at("continue-verification/log-line-4-changed"),
        at("continue-verification/log-ok.logsig"),
        "--policy",
        "internal",
        "--threads",
        threads,
      );
      expect(changed.code).toBe(1);
      expect(changed.out).toMatch(
        /^FAIL RECORD_CHANGED: block 2, line 4: line 4 was changed: found "Corrupted logline."/,
      );
    }
    const unsigned = await tempel(
      "log",
      "verify",
      at("logs_and_signatures/totally-unsigned"),
      "--policy",
      "internal",
    );
    expect(unsigned.code).toBe(4);
    expect(unsigned.out).toMatch(/NA UNSIGNED_BLOCK: block 1 \(lines 1–4\) is unsigned: Network error\./);
  });

  it("verify: a log signature that is no such file is a FAIL naming the format problem", async () => {
    const bad = await tempel(
      "log",
      "verify",
      at("logs_and_signatures/signed"),
      at("logs_and_signatures/signed"),
      "--policy",
      "internal",
      "--json",
    );
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toMatchObject({ result: "FAIL", code: "FORMAT" });
  });

  it("extract: the line and its own KSI signature, as logksi extract --ksig writes them", async () => {
    const output = join(folder.path, "signed.line.3.ksig");
    const extracted = await tempel(
      "log",
      "extract",
      at("logs_and_signatures/signed"),
      "--line",
      "3",
      "-o",
      output,
    );
    expect(extracted.code, extracted.err).toBe(0);
    const line = await readFile(join(folder.path, "signed.line.3"), "utf8");
    expect(line).toBe((await readFile(at("logs_and_signatures/signed"), "utf8")).split("\n")[2]);
    const verified = await tempel(
      "verify",
      output,
      "--document",
      join(folder.path, "signed.line.3"),
      "--policy",
      "internal",
      "--json",
    );
    expect(JSON.parse(verified.out)).toMatchObject({ result: "OK" });
    const beyond = await tempel(
      "log",
      "extract",
      at("logs_and_signatures/signed"),
      "--line",
      "10",
      "-o",
      join(folder.path, "x.ksig"),
    );
    expect(beyond.code).toBe(2);
    expect(beyond.err).toMatch(/has 9 signed lines; there is no line 10/);
  });
});

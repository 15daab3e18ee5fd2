import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/run.ts";
import { tempel, tempFolder } from "./cli-in-process.ts";

const LOGKSI = join(import.meta.dirname, "../../../../testdata/logksi");
const folder = tempFolder("tempel-watch-cli-");

/** logksi's log `log` with its signature `logsig`, copied to NAME and NAME.logsig. */
async function place(name: string, log: string, logsig: string): Promise<string> {
  const path = join(folder.path, name);
  await copyFile(join(LOGKSI, log), path);
  await copyFile(join(LOGKSI, logsig), `${path}.logsig`);
  return path;
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const FAST = ["--policy", "internal", "--interval", "20", "--metrics-port", "0"];

describe("tempel watch", () => {
  it("documents its options, alerts and exit codes", async () => {
    const help = await tempel("watch", "--help");
    expect(help.code).toBe(0);
    for (const option of [
      "--full-every",
      "--deadline",
      "--webhook",
      "--metrics-port",
      "--json",
      "--policy",
    ]) {
      expect(help.out).toContain(option);
    }
    expect(help.out).toMatch(/Exit codes/);
    expect((await tempel("--help")).out).toMatch(/watch +watch logs/);
  });

  it("refuses with exit 2 when no log matches, or a bad option", async () => {
    const none = await tempel("watch", join(folder.path, "nothing-*.log"), ...FAST);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/no log matches/);
    const bad = await tempel("watch", join(folder.path, "x.log"), "--deadline", "soon");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--deadline soon: expected/);
    const hook = await tempel("watch", join(folder.path, "x.log"), "--webhook", "mailto:me");
    expect(hook.code).toBe(2);
    process.env.TEMPEL_WATCH_WEBHOOK = "ftp://alerts";
    try {
      const fromEnv = await tempel("watch", join(folder.path, "x.log"));
      expect(fromEnv.code).toBe(2);
      expect(fromEnv.err).toMatch(/ftp:\/\/alerts is not an http\(s\) URL/);
    } finally {
      delete process.env.TEMPEL_WATCH_WEBHOOK;
    }
  });

  it("raises signing-stalled for a block its signer could not sign", async () => {
    const path = await place(
      "unsigned.log",
      "logs_and_signatures/totally-unsigned",
      "logs_and_signatures/totally-unsigned.logsig",
    );
    const run = await tempel("watch", path, ...FAST, "--rounds", "3");
    expect(run.code).toBe(1);
    const alerts = jsonLines(run.err).filter((line) => line.level === "error");
    expect(alerts.map((line) => line.alert)).toContainEqual(
      expect.objectContaining({ kind: "signing-stalled", code: "UNSIGNED_BLOCK", block: 1, line: 1 }),
    );
  });

  it("exits 0 for logs that hold, 1 with a JSON alert line naming the changed line; globs", async () => {
    await place("ok.log", "logs_and_signatures/signed", "logs_and_signatures/signed.logsig");
    const ok = await tempel("watch", join(folder.path, "ok.log"), ...FAST, "--rounds", "5", "--json");
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toEqual({
      alerts: 0,
      logs: [{ log: join(folder.path, "ok.log"), verifiedLines: 9, ok: true }],
    });
    await place(
      "changed.log",
      "continue-verification/log-line-4-changed",
      "continue-verification/log-ok.logsig",
    );
    const run = await tempel(
      "watch",
      join(folder.path, "{ok,changed}.log"),
      ...FAST,
      "--rounds",
      "5",
      "--json",
    );
    expect(run.code).toBe(1);
    const alerts = jsonLines(run.err).filter((line) => line.level === "error");
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.alert).toMatchObject({
      kind: "record-changed",
      code: "RECORD_CHANGED",
      line: 4,
      log: join(folder.path, "changed.log"),
      logsig: join(folder.path, "changed.log.logsig"),
    });
    expect(JSON.parse(run.out)).toMatchObject({ alerts: 1 });
  });

  it("serves tempel_watch_* metrics while it runs", async () => {
    const path = await place(
      "metrics.log",
      "logs_and_signatures/signed",
      "logs_and_signatures/signed.logsig",
    );
    let err = "";
    const done = run(["watch", path, ...FAST, "--rounds", "40"], {
      out: () => {},
      err: (text) => (err += text),
    });
    // The metrics server's address is in the first log line.
    const expected = `tempel_watch_verified_lines{log="${path}"} 9`;
    let body = "";
    for (let i = 0; i < 100 && !body.includes(expected); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const url = /"metrics":"([^"]+)"/.exec(err)?.[1];
      if (url !== undefined) body = await (await fetch(url)).text();
    }
    expect(await done).toBe(0);
    expect(body).toContain(expected);
    expect(body).toContain('tempel_watch_alerts_total{kind="record-changed"} 0');
    expect(body).toContain(`tempel_watch_log_ok{log="${path}"} 1`);
  });
});

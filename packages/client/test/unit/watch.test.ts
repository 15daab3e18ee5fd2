import { readFile, rename, truncate, unlink, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { logsigBlocks } from "@tempel/proto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TempelClient } from "../../src/index.ts";
import { tempFolder } from "./cli-in-process.ts";
import { FakeCluster } from "./fake-cluster.ts";
import { clientOf, countingFiles, editLines, lineText, RunningWatcher, SignedLog } from "./watch-fixture.ts";

const folder = tempFolder("tempel-watch-");

/** Replace a file whole, as an editor saves. */
async function replace(path: string, bytes: Uint8Array): Promise<void> {
  await writeFile(`${path}.edit`, bytes);
  await rename(`${path}.edit`, path);
}
let client: TempelClient;
let running: RunningWatcher | undefined;
let log: SignedLog;
let n = 0;

beforeEach(async () => {
  client = clientOf(await FakeCluster.start());
  log = await SignedLog.create(client, join(folder.path, `app-${++n}.log`), 16);
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await log.close();
});

/** A watcher that has verified all `log.lines` lines. */
async function caughtUp(
  options: ConstructorParameters<typeof RunningWatcher>[2] = {},
): Promise<RunningWatcher> {
  running = new RunningWatcher(client, [log], options);
  const watcher = running.watcher;
  await running.until(
    () => watcher.watched[0]?.verifiedLines === log.lines,
    5_000,
    `the watcher verifies the ${log.lines} lines`,
  );
  return running;
}

describe("tempel watch's Watcher", () => {
  it("verifies new blocks as they are appended, reading each byte of both files once", async () => {
    await log.append(40);
    const { files, readBytes } = countingFiles();
    running = new RunningWatcher(client, [log], {}, files);
    const watcher = running.watcher;
    await running.until(() => watcher.watched[0]?.verifiedLines === 40, 5_000, "40 lines verified");
    for (let round = 0; round < 5; round++) {
      await log.append(37);
      await running.until(
        () => watcher.watched[0]?.verifiedLines === log.lines,
        5_000,
        `${log.lines} lines verified`,
      );
    }
    await running.stop();
    const [logBytes, sigBytes] = await Promise.all([readFile(log.path), readFile(log.logsig)]);
    // Reads: each file's bytes once (the CR LF check of a re-check reads 2; there was none).
    expect(readBytes.get(log.path)).toBe(logBytes.length);
    expect(readBytes.get(log.logsig)).toBe(sigBytes.length);
    expect(running.alerts).toEqual([]);
    expect(watcher.metrics.render()).toContain(`tempel_watch_verified_lines{log="${log.path}"} ${log.lines}`);
  });

  it("verifies each log whole every fullEveryMs, in the background", async () => {
    await log.append(48);
    const watcher = await caughtUp({ fullEveryMs: 100 });
    const checks = () =>
      Number(/tempel_watch_full_checks_total\{[^}]*\} (\d+)/.exec(watcher.watcher.metrics.render())?.[1]);
    await watcher.until(() => checks() >= 2, 5_000, "two full checks");
    expect(watcher.alerts).toEqual([]);
  });

  it("names a changed line in the middle of the verified log within 5 s", async () => {
    await log.append(100);
    const watcher = await caughtUp();
    await editLines(log.path, (lines) => {
      lines[56] = lines[56]!.replace("read", "wrote");
    });
    const { alert, afterMs } = await watcher.alertWithin(5_000);
    expect(alert).toMatchObject({
      kind: "record-changed",
      code: "RECORD_CHANGED",
      line: 57,
      block: 4,
      check: "scan",
    });
    expect(alert.message).toContain("line 57 was changed");
    expect(afterMs).toBeLessThan(5_000);
  });

  it("names a deleted line", async () => {
    await log.append(100);
    const watcher = await caughtUp();
    await editLines(log.path, (lines) => lines.splice(29, 1));
    const { alert } = await watcher.alertWithin(5_000);
    expect(alert).toMatchObject({ kind: "record-deleted", code: "RECORD_MISSING", line: 30 });
  });

  it("names a swapped pair of lines", async () => {
    await log.append(100);
    const watcher = await caughtUp();
    await editLines(log.path, (lines) => {
      [lines[69], lines[70]] = [lines[70]!, lines[69]!];
    });
    const { alert } = await watcher.alertWithin(5_000);
    expect(alert).toMatchObject({ kind: "records-reordered", code: "RECORDS_REORDERED", line: 70 });
  });

  it("catches a changed line in a block as it arrives (the tail)", async () => {
    await log.append(32);
    const watcher = await caughtUp();
    // The signer signs the line as written; someone then changes it before the watcher reads it.
    await log.append(16);
    await editLines(log.path, (lines) => {
      lines[40] = "forged";
    });
    const { alert } = await watcher.alertWithin(5_000);
    expect(alert).toMatchObject({ kind: "record-changed", line: 41 });
  });

  it("raises logsig-tampered for a changed record hash in a verified block", async () => {
    await log.append(64);
    const watcher = await caughtUp();
    const sig = new Uint8Array(await readFile(log.logsig));
    const hash = logsigBlocks(sig)[1]!.body.filter((e) => e.kind === "record-hash")[4]!.imprint;
    sig[hash.byteOffset + hash.length - 1]! ^= 0x01;
    await replace(log.logsig, sig);
    const { alert } = await watcher.alertWithin(5_000);
    expect(alert).toMatchObject({ kind: "logsig-tampered", block: 2, line: 21, check: "scan" });
    expect(alert.message).toContain("is unchanged where it was verified");
  });

  it("raises logsig-tampered for a changed byte in a verified block's KSI signature", async () => {
    await log.append(64);
    const watcher = await caughtUp();
    const sig = new Uint8Array(await readFile(log.logsig));
    const block = logsigBlocks(sig)[2]!;
    // The KSI signature ends the block: a byte in its middle.
    sig[block.end - Math.floor(block.signature.ksiSignature!.length / 2)]! ^= 0x01;
    await replace(log.logsig, sig);
    const { alert } = await watcher.alertWithin(5_000);
    expect(alert).toMatchObject({ kind: "logsig-tampered", block: 3 });
  });

  it("raises logsig-tampered when the signature of a verified block is replaced by another valid one", async () => {
    await log.append(64);
    const watcher = await caughtUp();
    const sig = new Uint8Array(await readFile(log.logsig));
    const [, , third] = logsigBlocks(sig);
    // Bytes the internal policy does not check: the last byte of block 3's KSI signature.
    sig[third!.end - 1]! ^= 0x01;
    await replace(log.logsig, sig);
    const { alert } = await watcher.alertWithin(5_000);
    expect(alert).toMatchObject({ kind: "logsig-tampered", block: 3 });
  });

  it("raises record-changed when unsigned bytes of a verified line change (after a NUL)", async () => {
    await log.append(32);
    const watcher = await caughtUp();
    // logksi hashes a line up to its first NUL: what follows is not signed, yet it is shown.
    await editLines(log.path, (lines) => {
      lines[20] = `${lines[20]}\u0000 and hidden`;
    });
    const { alert } = await watcher.alertWithin(5_000);
    expect(alert).toMatchObject({ kind: "record-changed", line: 17, block: 2 });
  });

  it("raises logsig-tampered when the .logsig is cut, whole blocks or within one", async () => {
    await log.append(64);
    const watcher = await caughtUp();
    const size = (await readFile(log.logsig)).length;
    await truncate(log.logsig, size - 10);
    const { alert } = await watcher.alertWithin(5_000);
    expect(alert).toMatchObject({ kind: "logsig-tampered" });
    expect(alert.block).toBe(4);
  });

  it("raises record-deleted when the log is cut in the middle, naming the first missing line", async () => {
    await log.append(64);
    const watcher = await caughtUp();
    const text = await readFile(log.path, "utf8");
    const keep = text.split("\n").slice(0, 40).join("\n").length + 1;
    await truncate(log.path, keep);
    const { alert } = await watcher.alertWithin(5_000);
    expect(alert).toMatchObject({ kind: "record-deleted", code: "LOG_ENDS_EARLY", line: 41 });
  });

  it("raises an alert, and goes on watching, when the .logsig or the log is deleted", async () => {
    await log.append(32);
    const other = await SignedLog.create(client, join(folder.path, `other-${n}.log`), 16);
    await other.append(32);
    running = new RunningWatcher(client, [log, other]);
    const watcher = running;
    await watcher.until(
      () =>
        watcher.watcher.watched.every((w) => w.verifiedLines === 32) && watcher.watcher.watched.length === 2,
      5_000,
      "both logs verified",
    );
    await unlink(log.logsig);
    await unlink(other.path);
    await watcher.until(() => watcher.alerts.length === 2, 5_000, "two alerts");
    const byLog = new Map(watcher.alerts.map((alert) => [alert.log, alert]));
    expect(byLog.get(log.path)).toMatchObject({ kind: "logsig-tampered" });
    expect(byLog.get(other.path)).toMatchObject({ kind: "record-deleted", line: 1 });
    await other.close();
  });

  it("raises signing-stalled when lines wait past the deadline, once per stall", async () => {
    await log.append(16);
    const watcher = await caughtUp({ deadlineMs: 300 });
    await log.appendUnsigned(5);
    const { alert, afterMs } = await watcher.alertWithin(5_000);
    expect(alert).toMatchObject({ kind: "signing-stalled", code: "SIGNING_STALLED", line: 17 });
    expect(afterMs).toBeGreaterThanOrEqual(300);
    await log.appendUnsigned(5);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(watcher.alerts).toHaveLength(1);
    expect(watcher.watcher.metrics.render()).toMatch(/tempel_watch_alerts_total\{kind="signing-stalled"\} 1/);
  });

  it("does not raise signing-stalled while blocks keep up with the log", async () => {
    await log.append(16);
    const watcher = await caughtUp({ deadlineMs: 300 });
    for (let i = 0; i < 6; i++) {
      await log.append(16);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await watcher.until(() => watcher.watcher.watched[0]?.verifiedLines === log.lines, 5_000, "all verified");
    expect(watcher.alerts).toEqual([]);
  });

  it("POSTs the alert to the webhook, and again after the receiver answered 500", async () => {
    const posts: { status: number; body: unknown }[] = [];
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        const status = posts.length === 0 ? 500 : 200;
        posts.push({ status, body: JSON.parse(body) });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
      await log.append(32);
      const watcher = await caughtUp({ webhookUrl: url });
      await editLines(log.path, (lines) => {
        lines[9] = lineText(10).replace("patient-10", "patient-11");
      });
      await watcher.alertWithin(5_000);
      await watcher.until(() => posts.length === 2, 5_000, "the webhook's second POST");
      expect(posts.map((p) => p.status)).toEqual([500, 200]);
      expect(posts[1]!.body).toMatchObject({ kind: "record-changed", line: 10, log: log.path });
      expect(posts[0]!.body).toEqual(posts[1]!.body);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

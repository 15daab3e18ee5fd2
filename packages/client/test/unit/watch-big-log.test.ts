import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { tempFolder } from "./cli-in-process.ts";
import { FakeCluster } from "./fake-cluster.ts";
import { clientOf, editLines, RunningWatcher, SignedLog } from "./watch-fixture.ts";

/**
 * Issue #20's test: one line changed in the middle of a big signed log is named within 5 s. The
 * suite runs it on 100,000 lines; `npm run test:watch-soak` on 1,000,000 (WATCH_SOAK_LINES sets it).
 */
const LINES = Number(process.env.WATCH_SOAK_LINES ?? 100_000);
const BLOCK = LINES >= 1_000_000 ? 1 << 17 : 1 << 14;

const folder = tempFolder("tempel-watch-big-");
let log: SignedLog | undefined;
let running: RunningWatcher | undefined;
afterAll(async () => {
  await running?.stop();
  await log?.close();
});

it(`names a line changed in the middle of a signed ${LINES.toLocaleString("en")}-line log within 5 s`, async () => {
  const client = clientOf(await FakeCluster.start());
  let t = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string) => {
    timings[name] = Math.round(performance.now() - t);
    t = performance.now();
  };
  log = await SignedLog.create(client, join(folder.path, "access.log"), BLOCK);
  await log.append(LINES);
  lap("sign");
  running = new RunningWatcher(client, [log], { scanEveryMs: 1000, intervalMs: 250 });
  const watcher = running;
  await watcher.until(() => watcher.watcher.watched[0]?.verifiedLines === LINES, 120_000, "caught up");
  lap("catch up");
  const target = Math.floor(LINES / 2) + 7;
  await editLines(log.path, (lines) => {
    lines[target - 1] = lines[target - 1]!.replace("read", "deleted");
  });
  lap("edit");
  const { alert, afterMs } = await watcher.alertWithin(5_000);
  timings["alert after edit"] = Math.round(afterMs);
  console.log(`watch, ${LINES} lines in blocks of ${BLOCK}: ms`, timings);
  expect(alert).toMatchObject({ kind: "record-changed", code: "RECORD_CHANGED", line: target });
  expect(alert.message).toContain(`line ${target} was changed`);
  expect(afterMs).toBeLessThan(5_000);
});

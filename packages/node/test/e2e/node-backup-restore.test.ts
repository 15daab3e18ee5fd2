import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, TestCluster } from "./cluster-fixtures.ts";
import { randomImprint, sleep } from "./node-fixtures.ts";

/**
 * The backup and restore procedure of docs/operations.md, as an operator runs it on one member of a
 * three-member cluster: stop the node, archive its data folder with tar, start it again; later the
 * member's disk is lost (kill -9, folder deleted), the archive is unpacked, `tempel-node check`
 * finds the store sound, and the restored node catches up with the seconds the others certified
 * since the backup, serves them, and signs again.
 */

const tar = promisify(execFile);

function nowSecond(): number {
  return Math.floor(Date.now() / 1000);
}

describe("a member restored from a backup of its data folder", () => {
  let dir: string;
  let cluster: TestCluster;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tempel-backup-"));
    cluster = await TestCluster.create(dir, 3);
    // As operations.md sets a member up: the cluster's genesis in place of its init's own, so that
    // the data folder (and its backup) is all that `start` and `check` need.
    for (const member of cluster.members) copyFileSync(cluster.genesisFile, member.init.paths.genesis);
    await cluster.startAll();
    await cluster.waitCertified(nowSecond(), 30_000);
  });

  afterAll(async () => {
    await cluster?.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes the store check, catches up with the cluster and signs again", async () => {
    const [first, , restored] = cluster.members as [
      (typeof cluster.members)[0],
      (typeof cluster.members)[0],
      (typeof cluster.members)[0],
    ];
    const dataDir = dirname(restored.init.paths.config);
    const archive = join(dir, "node-3-backup.tar.gz");

    // The backup: a stopped node's folder is consistent; the other two keep certifying meanwhile.
    expect(await restored.stop()).toBe(0);
    await tar("tar", ["-C", dirname(dataDir), "-czf", archive, basename(dataDir)]);
    await restored.start();
    await cluster.waitCertified(nowSecond(), 30_000);

    // Seconds the backup does not have: signed through another member, certified by the cluster.
    const [afterBackup] = await first.client.signJson([randomImprint()]);
    const signedAt = afterBackup!.aggregationChains[0]!.aggregationTime;
    await sleep(2_000);

    // The disk is lost; the archive is unpacked in its place and checked before the node starts.
    await restored.crash();
    rmSync(dataDir, { recursive: true, force: true });
    await tar("tar", ["-C", dirname(dataDir), "-xzf", archive]);
    const check = await runCli(["check", "--config", restored.init.paths.config]);
    expect(check.stdout, check.stderr).toContain("the store is sound");
    expect(check.code).toBe(0);

    const restartedAt = nowSecond();
    await restored.start();
    await cluster.waitCertified(restartedAt, 60_000);
    expect(await restored.rootAt(signedAt)).toBe(await first.rootAt(signedAt));
    const { calendar } = await restored.client.verify(afterBackup!);
    expect(calendar.result).toBe("OK");
    const [signedByRestored] = await restored.client.signJson([randomImprint()]);
    expect((await first.client.verify(signedByRestored!)).calendar.result).toBe("OK");
  });
});

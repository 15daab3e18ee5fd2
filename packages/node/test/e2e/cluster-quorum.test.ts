import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { AggregatorStatus } from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../../scripts/common/paths.ts";
import { type ClusterMember, showLogsOnFirstFailure, TestCluster } from "./cluster-fixtures.ts";
import { hex, randomImprint, sleep, waitFor } from "./node-fixtures.ts";

const execFileAsync = promisify(execFile);
const CLIENT_CLI = join(REPO_ROOT, "packages/client/src/cli/main.ts");
/** Two election timeouts of the node's defaults (750-1500 ms each): the bound for saying so. */
const TWO_ELECTION_TIMEOUTS_MS = 2 * 1_500;
/** Slack for polling and a busy 2-core machine. */
const SLACK_MS = 700;
/** A refusal "at once": well under a round, nothing like the client's 10 s give-up. */
const AT_ONCE_MS = 1_000;
const QUORUM_MESSAGE = /1 of 3 members reachable, 2 needed/;

function nowSecond(): number {
  return Math.floor(Date.now() / 1000);
}

async function readyz(member: ClusterMember): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${member.client.base}/readyz`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function readyGauge(member: ClusterMember): Promise<string | undefined> {
  const text = await (await fetch(`${member.client.base}/metrics`)).text();
  return /^tempel_ready (\S+)$/m.exec(text)?.[1];
}

/** `tempel ARGS` run as a user runs it; never rejects: the exit code is part of the answer. */
async function tempel(
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLIENT_CLI, ...args], {
      cwd,
      encoding: "utf8",
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/**
 * The survivor of a 3-member cluster whose other two members are gone: the leader killed (its
 * connections close) and a follower frozen (its connections stay open, it says nothing). It must
 * say that it has no quorum, refuse signing at once, and be ready again once a member is back.
 */
describe("a member of a 3-member cluster that loses its quorum", () => {
  let dir: string;
  let cluster: TestCluster;
  let survivor: ClusterMember;
  let killed: ClusterMember;
  let frozen: ClusterMember;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tempel-quorum-"));
    cluster = await TestCluster.create(dir, 3);
    await cluster.startAll();
    await cluster.waitCertified(nowSecond(), 30_000);
    const leader = await cluster.leader();
    if (leader === undefined) throw new Error("the members do not agree on a leader");
    const followers = cluster.members.filter((m) => m !== leader);
    killed = leader;
    [survivor, frozen] = followers as [ClusterMember, ClusterMember];
  }, 120_000);

  showLogsOnFirstFailure(() => cluster);

  afterAll(async () => {
    for (const member of cluster?.members ?? []) if (member.running) member.resume();
    await cluster?.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports not ready within two election timeouts: /readyz 503 with the reason, tempel_ready 0, no unreachable leader", async () => {
    expect((await readyz(survivor)).status).toBe(200);
    expect(await readyGauge(survivor)).toBe("1");
    const lostAt = Date.now();
    await killed.crash();
    frozen.pause();
    await waitFor(
      "the survivor reports not ready",
      async () => (await readyz(survivor)).status === 503,
      TWO_ELECTION_TIMEOUTS_MS + SLACK_MS,
    );
    console.log(
      `no quorum reported ${Date.now() - lostAt} ms after the leader's kill and a follower's freeze`,
    );
    const { body } = await readyz(survivor);
    expect(body.error).toEqual({ code: "NO_QUORUM", message: expect.stringMatching(QUORUM_MESSAGE) });
    expect(body.quorum).toEqual({ members: 3, needed: 2, reachable: [survivor.id] });
    expect(await readyGauge(survivor)).toBe("0");
    const status = (await survivor.status()) as unknown as {
      node: { ready: boolean; notReady?: { code: string; message: string } };
      agreement: { leaderId?: string };
      cluster: { members: { id: string; reachable: boolean }[] };
    };
    expect(status.node.ready).toBe(false);
    expect(status.node.notReady?.code).toBe("NO_QUORUM");
    expect(status.agreement.leaderId).toBeUndefined();
    expect(status.cluster.members.filter((m) => m.reachable).map((m) => m.id)).toEqual([survivor.id]);
  });

  it("refuses JSON and KSI sign requests at once with 503 / UPSTREAM_ERROR naming the quorum", async () => {
    const jsonStarted = Date.now();
    // Bounded: on a node that does not know it has no quorum the request hangs.
    const json = await Promise.race([
      survivor.client.postJson("/v1/sign", { hashes: [hex(randomImprint())] }),
      sleep(10_000).then(() => {
        throw new Error("the sign request was not answered within 10 s");
      }),
    ]);
    expect(Date.now() - jsonStarted).toBeLessThan(AT_ONCE_MS);
    expect(json.status).toBe(503);
    const answer = (await json.json()) as { error: { code: string; message: string } };
    expect(answer.error.code).toBe("NO_QUORUM");
    expect(answer.error.message).toMatch(QUORUM_MESSAGE);

    const ksiStarted = Date.now();
    const pdu = await survivor.client.aggregate({
      header: { loginId: survivor.client.loginId },
      requests: [{ requestId: 7n, requestHash: randomImprint() }],
    });
    expect(Date.now() - ksiStarted).toBeLessThan(AT_ONCE_MS);
    expect(pdu.responses[0]?.status).toBe(AggregatorStatus.UPSTREAM_ERROR);
    expect(pdu.responses[0]?.errorMessage).toMatch(QUORUM_MESSAGE);
  });

  it("`tempel status` shows the node not ready, why, and no leader; `tempel sign` prints the quorum", async () => {
    const work = mkdtempSync(join(dir, "cli-"));
    const status = await tempel(["status", "--endpoint", survivor.client.base], work);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/NOT READY/);
    expect(status.stdout).toMatch(QUORUM_MESSAGE);
    expect(status.stdout).toMatch(/leader: none known/);
    expect(status.stdout).not.toContain(killed.id.slice(0, 20));
    const asJson = await tempel(["status", "--json", "--endpoint", survivor.client.base], work);
    const line = (JSON.parse(asJson.stdout) as { nodes: { ready: boolean; notReady?: { code: string } }[] })
      .nodes[0]!;
    expect(line.ready).toBe(false);
    expect(line.notReady?.code).toBe("NO_QUORUM");

    writeFileSync(join(work, "doc.txt"), "a record\n");
    const started = Date.now();
    const sign = await tempel(
      [
        "sign",
        "doc.txt",
        "--endpoint",
        survivor.client.base,
        "--login",
        survivor.client.loginId,
        "--key",
        new TextDecoder().decode(survivor.client.key),
      ],
      work,
    );
    expect(sign.code).not.toBe(0);
    expect(sign.stderr + sign.stdout).toMatch(QUORUM_MESSAGE);
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it("is ready and signs again once a quorum is back", async () => {
    frozen.resume();
    await waitFor("the survivor is ready again", async () => (await readyz(survivor)).status === 200, 20_000);
    expect(await readyGauge(survivor)).toBe("1");
    await waitFor(
      "the survivor signs again",
      async () => (await survivor.client.signJson([randomImprint()])).length === 1,
      20_000,
    );
    await killed.start();
    await cluster.waitCertified(nowSecond(), 30_000);
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  answered,
  ClusterLoad,
  type ClusterMember,
  crashAndMeasure,
  lostSignatures,
  percentile,
  quorumPolicyFailures,
  rootsOnEveryMember,
  type SignRequest,
  showLogsOnFirstFailure,
  TestCluster,
} from "./cluster-fixtures.ts";
import { sleep, waitFor } from "./node-fixtures.ts";

/**
 * CLUSTER_LONG=1: every phase runs ten times longer (not in CI). Not a TEMPEL_* name: vitest.setup.ts
 * keeps those from the tests.
 */
const PHASE_MS = process.env.CLUSTER_LONG === "1" ? 40_000 : 4_000;
/** How long recovery may take before the test calls it failed: a liveness bound, not a target. */
const RECOVERY_MS = 20_000;

function nowSecond(): number {
  return Math.floor(Date.now() / 1000);
}

/** Waits until every member of `side` has certified a second later than `second` (that of `event`). */
function certifiedAfter(side: readonly ClusterMember[], second: number, event: string): Promise<void> {
  return waitFor(
    `the majority side certifies a second after ${event}`,
    async () => {
      const heads = await Promise.all(side.map((m) => m.head()));
      return heads.every((h) => (h.certified?.time ?? -1) > second);
    },
    RECOVERY_MS,
  );
}

/**
 * Each size runs one story: steady load on every member, kill -9 of the leader (with as many
 * followers as the quorum can spare), a crash of followers, a pause of the leader's side, a partition
 * of the leader's side at the libp2p level, and at the end one calendar everywhere with every
 * answered signature certified in it.
 */
describe.each([
  { size: 3, clientsPerMember: 6 },
  { size: 5, clientsPerMember: 3 },
])("a $size-member cluster of tempel-node processes on loopback", ({ size, clientsPerMember }) => {
  let dir: string;
  let cluster: TestCluster;
  let load: ClusterLoad;
  /** Members that may be down at once while the rest keep certifying: N - q. */
  let spare: number;
  const windows = new Map<string, { from: number; to: number }>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `tempel-cluster${size}-`));
    cluster = await TestCluster.create(dir, size);
    spare = size - cluster.genesis.quorum;
    await cluster.startAll();
  });

  showLogsOnFirstFailure(() => cluster);

  afterAll(async () => {
    for (const member of cluster?.members ?? []) if (member.running) member.resume();
    await load?.stop();
    await cluster?.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `phase` and remembers when, to pick its requests out of the load afterwards. */
  async function during(name: string, phase: () => Promise<void>): Promise<void> {
    const from = Date.now();
    await phase();
    windows.set(name, { from, to: Date.now() });
  }

  function sentDuring(name: string, members: readonly ClusterMember[]): SignRequest[] {
    const window = windows.get(name)!;
    const indexes = new Set(members.map((m) => m.index));
    return load.requests.filter(
      (r) => indexes.has(r.member) && r.sentAt >= window.from && r.sentAt < window.to,
    );
  }

  /** Starts crashed members again and waits until every member certifies the current second. */
  async function restart(members: readonly ClusterMember[]): Promise<void> {
    const startedAt = Date.now();
    await Promise.all(members.map((member) => member.start()));
    const servingAt = Date.now();
    await cluster.waitCertified(nowSecond(), RECOVERY_MS);
    console.log(
      `N=${size} restarted ${members.length} member(s): serving after ${servingAt - startedAt} ms, ` +
        `caught up and certifying after ${Date.now() - startedAt} ms`,
    );
  }

  async function leaderAndFollowers(): Promise<{ leader: ClusterMember; followers: ClusterMember[] }> {
    const leader = await cluster.leader();
    if (leader === undefined) throw new Error("the members do not agree on a leader");
    return { leader, followers: cluster.members.filter((m) => m !== leader) };
  }

  it("elects one leader and certifies rounds while clients load every member", async () => {
    await cluster.waitCertified(nowSecond(), RECOVERY_MS);
    load = new ClusterLoad(cluster, { clientsPerMember, batch: 10, pauseMs: 50 });
    await waitFor(
      "every member answered its clients",
      async () =>
        cluster.members.every((m) =>
          load.requests.some((r) => r.member === m.index && r.signatures !== undefined),
        ),
      RECOVERY_MS,
    );
    await during("steady", () => sleep(PHASE_MS));
    expect(load.requests.filter((r) => r.error !== undefined)).toEqual([]);
  });

  it("certifies again after kill -9 of the leader (and N - q - 1 followers), then catches them up", async () => {
    const { leader, followers } = await leaderAndFollowers();
    const victims = [leader, ...followers.slice(0, spare - 1)];
    await during("leader down", async () => {
      const failover = await crashAndMeasure(cluster, victims, RECOVERY_MS);
      console.log(
        `N=${size} kill -9 of the leader${victims.length > 1 ? ` and ${victims.length - 1} follower(s)` : ""}: ` +
          `new leader after ${failover.leaderMs} ms, next certified round after ${failover.certifiedMs} ms`,
      );
      await sleep(PHASE_MS);
    });
    const survivors = cluster.members.filter((m) => !victims.includes(m));
    expect(sentDuring("leader down", survivors).filter((r) => r.error !== undefined)).toEqual([]);
    await restart(victims);
  });

  it("keeps answering the other members' clients while N - q followers are down", async () => {
    const { followers } = await leaderAndFollowers();
    const crashed = followers.slice(0, spare);
    const others = cluster.members.filter((m) => !crashed.includes(m));
    await during("followers down", async () => {
      await Promise.all(crashed.map((follower) => follower.crash()));
      await sleep(PHASE_MS);
    });
    await restart(crashed);
    const duringCrash = sentDuring("followers down", others);
    expect(duringCrash.filter((r) => r.signatures !== undefined).length).toBeGreaterThan(0);
    expect(duringCrash.filter((r) => r.error !== undefined)).toEqual([]);
    const steady = sentDuring("steady", others);
    console.log(
      `N=${size} kill -9 of ${crashed.length} follower(s): the other members' clients saw p99 ` +
        `${percentile(duringCrash, 99)} ms (p50 ${percentile(duringCrash, 50)} ms, ${duringCrash.length} requests); ` +
        `steady p99 ${percentile(steady, 99)} ms`,
    );
  });

  it("certifies on the majority side while the leader's side (N - q members) is paused, and catches it up", async () => {
    const { leader, followers } = await leaderAndFollowers();
    const paused = [leader, ...followers.slice(0, spare - 1)];
    const majority = cluster.members.filter((m) => !paused.includes(m));
    const pausedAt = nowSecond();
    await during("paused", async () => {
      for (const member of paused) member.pause();
      await certifiedAfter(majority, pausedAt, "the pause");
      await sleep(PHASE_MS);
    });
    const resumedAt = Date.now();
    for (const member of paused) member.resume();
    await cluster.waitCertified(nowSecond(), RECOVERY_MS);
    console.log(
      `N=${size} resumed ${paused.length} paused member(s): all certifying again after ${Date.now() - resumedAt} ms`,
    );
  });

  it("certifies on the majority side while the leader's side is cut off by the connection gater, and heals", async () => {
    const { leader, followers } = await leaderAndFollowers();
    const cut = [leader, ...followers.slice(0, spare - 1)];
    const majority = cluster.members.filter((m) => !cut.includes(m));
    await during("partitioned", async () => {
      await Promise.all(cluster.members.map((m) => m.block(cut.includes(m) ? majority : cut)));
      const cutAt = nowSecond();
      await certifiedAfter(majority, cutAt, "the partition");
      await sleep(PHASE_MS);
      // Fewer than q members: the cut-off side certifies no second that had not ended at the cut.
      for (const member of cut) expect((await member.head()).certified?.time ?? -1).toBeLessThan(cutAt);
    });
    const healedAt = Date.now();
    await Promise.all(cluster.members.map((m) => m.block([])));
    await cluster.waitCertified(nowSecond(), RECOVERY_MS);
    console.log(
      `N=${size} healed a partition of ${cut.length} member(s): all certifying again after ${Date.now() - healedAt} ms`,
    );
  });

  it("ends with one calendar on every member and every answered signature certified in it", async () => {
    const requests = await load.stop();
    const end = nowSecond();
    await cluster.waitCertified(end, RECOVERY_MS);
    const signed = answered(requests);
    const genesisTime = cluster.genesis.genesisTime;
    const sampled = Array.from(
      { length: 11 },
      (_, i) => genesisTime + Math.floor(((end - genesisTime) * i) / 10),
    );
    const published = signed.map((s) => s.signature.quorumCertificate!.publishedData.publicationTime);
    const roots = await rootsOnEveryMember(cluster, [...sampled, ...published]);
    expect([...roots].filter(([, held]) => new Set(held).size !== 1)).toEqual([]);
    expect(lostSignatures(signed, roots)).toEqual([]);
    expect(await quorumPolicyFailures(signed, cluster.trust)).toEqual([]);
    expect(new Set(published).size).toBeGreaterThan(5);
    console.log(
      `N=${size}: ${signed.length} signatures answered in ${requests.length} requests ` +
        `(${requests.filter((r) => r.error !== undefined).length} refused while their member was down), every one ` +
        `verified with the quorum policy (q = ${cluster.genesis.quorum}) and held by all ${size} calendars`,
    );
  });

  it("stops every member gracefully", async () => {
    expect(await cluster.stopAll()).toEqual(Array.from({ length: size }, () => 0));
  });
});

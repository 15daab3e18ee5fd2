import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answered, ClusterLoad, quorumPolicyFailures, TestCluster } from "./cluster-fixtures.ts";
import { sleep } from "./node-fixtures.ts";

/** Further than the leader's grace (250 ms) either way: a behind member's rounds always close late. */
const OFFSETS_MS = [0, -700, 700];

/**
 * Members whose clocks disagree by more than the leader waits for contributions still serve their
 * clients: a member behind finds its second proposed without it and offers its round for the next
 * open second; a member ahead offers early and its contribution waits at the leader.
 */
describe("a 3-member cluster whose clocks are 700 ms apart", () => {
  let dir: string;
  let cluster: TestCluster;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tempel-cluster-clock-"));
    cluster = await TestCluster.create(dir, 3);
    await Promise.all(
      cluster.members.map((member, i) => member.start([`--clock-offset-ms=${OFFSETS_MS[i]!}`])),
    );
  }, 120_000);

  afterAll(async () => {
    await cluster?.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers every member's clients with signatures a quorum certified, none dated before its request", async () => {
    await cluster.waitCertified(Math.floor(Date.now() / 1000), 30_000);
    const load = new ClusterLoad(cluster, { clientsPerMember: 2, batch: 4, pauseMs: 100 });
    await sleep(6_000);
    const requests = await load.stop();
    for (const member of cluster.members) {
      const own = requests.filter((r) => r.member === member.index);
      expect(own.length).toBeGreaterThan(0);
      expect(own.filter((r) => r.signatures === undefined)).toEqual([]);
    }
    const signed = answered(requests);
    expect(await quorumPolicyFailures(signed, cluster.trust)).toEqual([]);
    for (const request of requests) {
      const time = request.signatures![0]!.aggregationChains[0]!.aggregationTime;
      // A member dates hashes by its own clock: never before the second they reached it in.
      expect(time).toBeGreaterThanOrEqual(Math.floor((request.sentAt + OFFSETS_MS[request.member]!) / 1000));
    }
  }, 60_000);
});

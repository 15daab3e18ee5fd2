import { randomBytes } from "node:crypto";
import {
  aggregationChainOutput,
  encodeSignature,
  HashAlgorithm,
  internalPolicy,
  type KsiSignature,
  makeImprint,
  verifySignature,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AgencyRegistry } from "../../src/aggregation/agency.ts";
import { RoundRejection } from "../../src/aggregation/errors.ts";
import type { RoundOptions } from "../../src/aggregation/options.ts";
import type { HashRequest, RoundPipeline } from "../../src/aggregation/rounds.ts";
import { QuorumHealth } from "../../src/health/index.ts";
import { silentLogger } from "../../src/logger/logger.ts";
import { NODE, ScriptedAgreement, scriptedPipeline, T0 } from "./scripted-core.ts";

let agreement: ScriptedAgreement;
let rounds: RoundPipeline;
const agencies = new AgencyRegistry(
  [
    { loginId: "alpha", key: "a" },
    { loginId: "beta", key: "b", quotaPerSecond: 10 },
  ],
  1_000,
);
const alpha = agencies.get("alpha")!;
const beta = agencies.get("beta")!;

function start(options: Partial<RoundOptions> = {}, quorum?: QuorumHealth): void {
  agreement = new ScriptedAgreement();
  rounds = scriptedPipeline(agreement, options, quorum);
}

const hashes = (n: number): HashRequest[] =>
  Array.from({ length: n }, () => ({
    imprint: makeImprint(HashAlgorithm.SHA2_256, randomBytes(32)),
    level: 0,
  }));

const timeOf = (signature: KsiSignature) => signature.aggregationChains[0]!.aggregationTime;

function rejection(run: () => unknown): RoundRejection {
  try {
    run();
  } catch (error) {
    if (error instanceof RoundRejection) return error;
    throw error;
  }
  throw new Error("expected a RoundRejection");
}

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "performance"],
  });
  vi.setSystemTime(T0 * 1000 + 300);
});

afterEach(async () => {
  const stopped = rounds.stop(0);
  await vi.runAllTimersAsync();
  await stopped;
  vi.useRealTimers();
});

describe("one-second rounds", () => {
  it("signs hashes accepted during second t in round t, after t ends, naming their agency", async () => {
    start();
    const first = rounds.submit(alpha, hashes(3));
    const second = rounds.submit(beta, hashes(2));
    await vi.advanceTimersByTimeAsync(650);
    expect(agreement.contributions).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    const signatures = [...(await first).signatures(), ...(await second).signatures()];
    expect(signatures.map(timeOf)).toEqual([T0, T0, T0, T0, T0]);
    expect(agreement.contributions).toHaveLength(1);
    for (const signature of signatures) {
      expect(await verifySignature(signature, {}, internalPolicy)).toMatchObject({ result: "OK" });
    }
    const link = signatures[4]!.aggregationChains[0]!.links[0]!.sibling;
    expect(link.kind === "metadata" && link.metadata.clientId).toBe("beta");
    expect(rounds.pending).toBe(0);
  });

  it("signs a round of several blocks, hashed while it filled up, each hash with its own chain", async () => {
    start();
    const gamma = new AgencyRegistry([{ loginId: "gamma", key: "g" }], 10_000).get("gamma")!;
    const requests = [hashes(700), hashes(1), hashes(1500)];
    const signed = requests.map((batch, i) => rounds.submit(i === 1 ? beta : gamma, batch));
    await vi.advanceTimersByTimeAsync(750);
    const signatures = (await Promise.all(signed)).map((answer) => answer.signatures());
    requests.forEach((batch, i) => {
      expect(signatures[i]!.map((s) => s.aggregationChains[0]!.inputHash)).toEqual(
        batch.map((h) => h.imprint),
      );
    });
    const all = signatures.flat();
    expect(all.map(timeOf)).toEqual(Array(2201).fill(T0));
    for (const signature of [all[0]!, all[700]!, all[1023]!, all[1024]!, all[2200]!]) {
      expect(await verifySignature(signature, {}, internalPolicy)).toMatchObject({ result: "OK" });
    }
    const root = aggregationChainOutput(all[2200]!.aggregationChains[0]!, 0, nodeHasher).hash;
    expect(root).toEqual(agreement.contributions[0]!.root);
  });

  it("ends every signature of a round certified with other members' roots with one top chain, encoded as composed", async () => {
    start();
    for (const nodeId of ["member-2", "member-3"]) {
      agreement.others.push({ time: 0, nodeId, root: hashes(1)[0]!.imprint, level: 3 });
    }
    const gamma = new AgencyRegistry([{ loginId: "gamma", key: "g" }], 10_000).get("gamma")!;
    const requests = [hashes(1030), hashes(2)];
    const signed = requests.map((batch) => rounds.submit(gamma, batch));
    await vi.advanceTimersByTimeAsync(750);
    const answers = await Promise.all(signed);
    const all = answers.flatMap((answer) => answer.signatures());
    // Written straight from the tree, each signature is the encoding of its composed object.
    expect(answers.flatMap((answer) => answer.encode())).toEqual(all.map((s) => encodeSignature(s)));
    const top = all[0]!.aggregationChains[1]!;
    expect(top.links.length).toBeGreaterThan(0);
    for (const signature of [all[0]!, all[1]!, all[1029]!, all[1031]!]) {
      expect(signature.aggregationChains).toHaveLength(2);
      expect(signature.aggregationChains[1]).toBe(top);
      expect(await verifySignature(signature, {}, internalPolicy)).toMatchObject({ result: "OK" });
      const { source: _encoded, ...composed } = top;
      const plain = { ...signature, aggregationChains: [signature.aggregationChains[0]!, composed] };
      expect(encodeSignature(signature)).toEqual(encodeSignature(plain));
    }
  });

  it("contributes nothing for a second without hashes", async () => {
    start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(agreement.contributions).toEqual([]);
  });

  it("puts a missed round's hashes into the next round, and a late contribution's too", async () => {
    start();
    agreement.verdicts.push("miss", "late");
    const signed = rounds.submit(alpha, hashes(4));
    await vi.advanceTimersByTimeAsync(3_800);
    expect((await signed).signatures().map(timeOf)).toEqual([T0 + 2, T0 + 2, T0 + 2, T0 + 2]);
    expect(agreement.contributions.map((c) => c.time)).toEqual([T0, T0 + 2]);
  });

  it("offers a contribution refused as late at once for the first second the cluster has not committed", async () => {
    start();
    // A clock behind the leader's: second T0 is committed without this node by the time it closes it.
    agreement.committed = T0;
    agreement.verdicts.push("late");
    const signed = rounds.submit(alpha, hashes(2));
    await vi.advanceTimersByTimeAsync(750);
    expect((await signed).signatures().map(timeOf)).toEqual([T0 + 1, T0 + 1]);
    expect(agreement.contributions.map((c) => c.time)).toEqual([T0 + 1]);
  });

  it("gives up after three seconds in a row refused as late, and puts the hashes into the next round", async () => {
    start();
    agreement.committed = T0 + 5;
    agreement.verdicts.push("late", "late", "late");
    const signed = rounds.submit(alpha, hashes(1));
    await vi.advanceTimersByTimeAsync(750);
    expect(agreement.contributions).toEqual([]);
    // Tried T0, T0 + 6 and T0 + 7: the carried round closes once this node's clock has passed T0 + 7.
    await vi.advanceTimersByTimeAsync(8_000);
    expect((await signed).signatures().map(timeOf)).toEqual([T0 + 8]);
  });

  it("contributes a round whose tree is ready after the deadline for the current second", async () => {
    start();
    const signed = rounds.submit(alpha, hashes(1));
    // The clock jumps while the event loop is busy: the round closes 700 ms into the next second.
    vi.setSystemTime(T0 * 1000 + 1_000);
    await vi.advanceTimersByTimeAsync(700);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await signed).signatures().map(timeOf)).toEqual([T0 + 1]);
  });

  it("refuses an agency over its per-second quota, and everyone above the pending bound, at once", async () => {
    start({ maxPending: 12 });
    const accepted = [rounds.submit(beta, hashes(8))];
    expect(rejection(() => rounds.submit(beta, hashes(3))).code).toBe("QUOTA");
    expect(rejection(() => rounds.submit(alpha, hashes(5))).code).toBe("OVERLOAD");
    accepted.push(rounds.submit(alpha, hashes(4)));
    await vi.advanceTimersByTimeAsync(1_000);
    // A new second: beta's quota is fresh, and the answered round no longer counts as pending.
    accepted.push(rounds.submit(beta, hashes(10)));
    expect(rounds.pending).toBe(10);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await Promise.all(accepted)).flatMap((answer) => answer.signatures())).toHaveLength(22);
  });

  it("contributes its round's root with the hash count the calendar keeps as the round's record", async () => {
    start();
    rounds.submit(alpha, hashes(2));
    rounds.submit(beta, hashes(3));
    await vi.advanceTimersByTimeAsync(700);
    expect(agreement.contributions).toMatchObject([{ time: T0, nodeId: NODE, hashes: 5 }]);
  });

  it("hands back waiting requests when it stops", async () => {
    start();
    const refused = expect(rounds.submit(alpha, hashes(2))).rejects.toMatchObject({ code: "STOPPING" });
    const stopped = rounds.stop(0);
    await vi.runAllTimersAsync();
    await stopped;
    await refused;
    expect(rejection(() => rounds.submit(alpha, hashes(1))).code).toBe("STOPPING");
    expect(rounds.pending).toBe(0);
  });

  describe("without a quorum of members", () => {
    const PEERS = ["peer-a", "peer-b"];
    let connected: string[];
    let health: QuorumHealth;

    beforeEach(() => {
      connected = [...PEERS];
      health = new QuorumHealth(
        { silenceMs: 3_000, checkIntervalMs: 100, needed: 2 },
        {
          selfId: NODE,
          members: [NODE, ...PEERS],
          connected: () => connected,
          now: () => performance.now(),
          logger: silentLogger,
        },
      );
      for (const peer of PEERS) health.heard(peer);
      health.start();
    });

    afterEach(() => health.stop());

    it("refuses a request at once, naming how many members it reaches and needs", async () => {
      start({}, health);
      connected = [];
      const refusal = rejection(() => rounds.submit(alpha, hashes(1)));
      expect(refusal.code).toBe("NO_QUORUM");
      expect(refusal.message).toMatch(/^no quorum: 1 of 3 members reachable, 2 needed/);
      expect(rounds.pending).toBe(0);
      connected = ["peer-b"];
      expect(
        (
          await Promise.all([rounds.submit(alpha, hashes(1)), vi.advanceTimersByTimeAsync(1_000)])
        )[0].signatures(),
      ).toHaveLength(1);
    });

    it("counts a connected member silent for longer than the window as unreachable", async () => {
      start({}, health);
      await vi.advanceTimersByTimeAsync(2_900);
      health.heard("peer-a");
      await vi.advanceTimersByTimeAsync(200);
      expect(health.view().reachable).toEqual([NODE, "peer-a"]);
      expect(rounds.submit(alpha, hashes(1))).toBeInstanceOf(Promise);
      await vi.advanceTimersByTimeAsync(3_000);
      expect(rejection(() => rounds.submit(alpha, hashes(1))).code).toBe("NO_QUORUM");
    });

    it("answers requests waiting for a certificate as soon as the quorum is lost, not at the deadline", async () => {
      // Past the start-up grace, in which nobody has been heard from yet and no loss is looked for.
      await vi.advanceTimersByTimeAsync(3_000);
      for (const peer of PEERS) health.heard(peer);
      start({}, health);
      agreement.verdicts.push("wait");
      const refused = expect(rounds.submit(alpha, hashes(2))).rejects.toMatchObject({ code: "NO_QUORUM" });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(agreement.contributions).toHaveLength(1);
      connected = [];
      await vi.advanceTimersByTimeAsync(100);
      await refused;
      expect(rounds.pending).toBe(0);
    });
  });
});

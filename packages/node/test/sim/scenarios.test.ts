import { ed25519 } from "@noble/curves/ed25519.js";
import { bytesEqual, decodeTlvSequence, encodeTlv, HashAlgorithm, hashImprint, tlv } from "@tempel/proto";
import { Level } from "level";
import { afterEach, describe, expect, it } from "vitest";
import { buildCalendarEntry } from "../../src/consensus/calendar-entry.ts";
import { decodeMessage, encodeMessage, type MessageLimits } from "../../src/consensus/messages.ts";
import { defaultAgreementOptions } from "../../src/consensus/options.ts";
import { contributionStatement } from "../../src/consensus/statements.ts";
import { ConsensusStore } from "../../src/consensus/store.ts";
import { SimCluster, START_MS } from "./cluster.ts";
import type { SimNode } from "./node.ts";

const LIMITS: MessageLimits = { maxMessageBytes: 1 << 24, maxBatchEntries: 1 << 16 };
/** The simulated clocks may be off by this much before a peer is not followed. */
const TOLERANCE = { clockToleranceMs: 5_000 };

let cluster: SimCluster | undefined;

afterEach(async () => {
  await cluster?.dispose();
  cluster = undefined;
});

async function startCluster(seed: number, members: number): Promise<SimCluster> {
  cluster = await SimCluster.create({ seed, members, settings: TOLERANCE });
  await cluster.startAll();
  return cluster;
}

function leaderOf(nodes: readonly SimNode[]): SimNode {
  const leaders = nodes.filter((node) => node.up && node.agreement!.status().role === "leader");
  expect(leaders).toHaveLength(1);
  return leaders[0]!;
}

/** Seconds in [from, to] that `node` holds no certificate for. */
function uncertified(c: SimCluster, node: SimNode, from: number, to: number): number[] {
  const certified = c.certifiedBy(node);
  const missing: number[] = [];
  for (let t = from; t <= to; t++) if (!certified.has(t)) missing.push(t);
  return missing;
}

/** For each second in [from, to]: how long after it ended `node` held its certificate (ms). */
function certificationDelays(c: SimCluster, node: SimNode, from: number, to: number): number[] {
  const certified = c.certifiedBy(node);
  const delays: number[] = [];
  for (let t = from; t <= to; t++) delays.push(certified.get(t)! - ((t + 1) * 1000 - START_MS));
  return delays;
}

const { graceMs } = defaultAgreementOptions;

describe("agreement in a simulated cluster", () => {
  it("a one-member cluster commits and certifies every second and answers its clients", async () => {
    const c = await startCluster(1, 1);
    await c.runUntil(12_000);
    const [node] = c.nodes;
    expect(uncertified(c, node!, c.genesisTime, c.second(10_000))).toEqual([]);
    expect(node!.answered).toBeGreaterThan(5);
    expect(node!.agreement!.status()).toMatchObject({ role: "leader", ready: true, halted: undefined });
    expect(c.invariants.violations).toEqual([]);
  });

  it("a one-member cluster leads from its start, without waiting out an election timeout", async () => {
    const c = await startCluster(1, 1);
    await c.runUntil(100);
    expect(c.nodes[0]!.agreement!.status()).toMatchObject({ role: "leader", ready: true });
  });

  it("certifies again within 3 s after the leader crashes", async () => {
    const c = await startCluster(2, 3);
    await c.runUntil(8_000);
    const leader = leaderOf(c.nodes);
    const crashedAt = c.elapsed;
    await c.step(() => leader.crash());
    await c.runUntil(crashedAt + 8_000);
    for (const node of c.nodes.filter((n) => n !== leader)) {
      const resumed = [...c.certifiedBy(node)]
        .filter(([second]) => second >= c.second(crashedAt))
        .map(([, at]) => at);
      expect(Math.min(...resumed) - crashedAt).toBeLessThanOrEqual(3_000);
      expect(uncertified(c, node, c.second(crashedAt + 3_000), c.second(crashedAt + 6_000))).toEqual([]);
    }
    expect(leaderOf(c.nodes)).not.toBe(leader);
    expect(c.invariants.violations).toEqual([]);
  });

  it("stops certifying in a minority partition, never forks, and resumes everywhere once healed", async () => {
    const c = await startCluster(3, 5);
    await c.runUntil(8_000);
    const leader = leaderOf(c.nodes);
    const minority = [leader, c.nodes.find((n) => n !== leader)!];
    const majority = c.nodes.filter((n) => !minority.includes(n));
    const splitAt = c.elapsed;
    await c.step(() => c.network.partition([minority.map((n) => n.id)]));
    await c.runUntil(splitAt + 10_000);
    for (const node of minority) {
      const during = [...c.certifiedBy(node).keys()].filter((t) => t > c.second(splitAt) + 1);
      expect(during).toEqual([]);
    }
    for (const node of majority) {
      expect(uncertified(c, node, c.second(splitAt + 4_000), c.second(splitAt + 8_000))).toEqual([]);
    }
    const healedAt = c.elapsed;
    await c.step(() => c.network.heal());
    await c.runUntil(healedAt + 8_000);
    for (const node of c.nodes) {
      expect(uncertified(c, node, c.second(healedAt + 4_000), c.second(healedAt + 6_000))).toEqual([]);
    }
    expect(c.invariants.violations).toEqual([]);
  });

  it("a restarted node catches up entries and certificates from its peers before it is ready", async () => {
    const c = await startCluster(4, 3);
    await c.runUntil(5_000);
    const node = c.nodes.find((n) => n.agreement!.status().role !== "leader")!;
    await c.step(() => node.crash());
    await c.runUntil(25_000);
    await c.step(() => node.start());
    expect(node.agreement!.status().ready).toBe(false);
    await c.runUntil(30_000);
    expect(node.agreement!.status()).toMatchObject({ ready: true, halted: undefined });
    expect(node.calendar.head).toBeGreaterThanOrEqual(c.second(28_000));
    // Certificates of the seconds it was down for came from its peers, checked against its calendar.
    expect(uncertified(c, node, c.second(8_000), c.second(22_000))).toEqual([]);
    expect(c.invariants.violations).toEqual([]);
  });

  it("a whole cluster restarted from its stores becomes ready and certifies again", async () => {
    const c = await startCluster(8, 3);
    await c.runUntil(6_000);
    for (const node of c.nodes) await c.step(() => node.crash());
    await c.runUntil(10_000);
    for (const node of c.nodes) await c.step(() => node.start());
    await c.runUntil(20_000);
    for (const node of c.nodes) {
      expect(node.agreement!.status()).toMatchObject({ ready: true, halted: undefined });
      expect(uncertified(c, node, c.second(15_000), c.second(18_000))).toEqual([]);
    }
    expect(c.invariants.violations).toEqual([]);
  });

  it("scores down a peer whose catch-up answer does not check out and asks another", async () => {
    const c = await startCluster(5, 3);
    await c.runUntil(5_000);
    const node = c.nodes.find((n) => n.agreement!.status().role !== "leader")!;
    await c.step(() => node.crash());
    await c.runUntil(15_000);
    let tampered = 0;
    c.network.tamperReplies = (_server, reply) => {
      const message = decodeMessage(reply, LIMITS);
      if (message.kind !== "fetch" || message.entries.length === 0 || tampered > 0) return reply;
      tampered++;
      const [first, ...rest] = message.entries;
      const forged = {
        ...first!,
        entry: { ...first!.entry, leaf: hashImprint(HashAlgorithm.SHA2_256, reply) },
      };
      return encodeMessage({ ...message, entries: [forged, ...rest] });
    };
    await c.step(() => node.start());
    await c.runUntil(22_000);
    expect(tampered).toBe(1);
    expect(node.metrics.count("peerFaults/entry_leaf_mismatch")).toBe(1);
    expect(node.agreement!.status()).toMatchObject({ ready: true, halted: undefined });
    expect(c.invariants.violations).toEqual([]);
  });

  it("does not follow a leader whose clock is off by more than the tolerance", async () => {
    const c = await startCluster(6, 3);
    await c.runUntil(6_000);
    const skewed = leaderOf(c.nodes);
    skewed.skewMs = 8_000;
    await c.runUntil(16_000);
    const others = c.nodes.filter((n) => n !== skewed);
    for (const node of others) {
      expect(node.metrics.count("droppedMessages/clock_skew")).toBeGreaterThan(0);
      expect(uncertified(c, node, c.second(10_000), c.second(14_000))).toEqual([]);
    }
    expect(others).toContain(leaderOf(others));
    expect(c.invariants.violations).toEqual([]);
  });

  it("certifies a second before its grace has passed once every member has contributed", async () => {
    const c = await startCluster(9, 3);
    for (const node of c.nodes) node.documentsPerRound = { min: 1, max: 1 };
    await c.runUntil(10_000);
    for (const node of c.nodes) {
      const delays = certificationDelays(c, node, c.second(5_000), c.second(8_000));
      expect(Math.max(...delays)).toBeLessThan(graceMs);
    }
    expect(c.invariants.violations).toEqual([]);
  });

  it("waits out the grace for a live member whose contribution does not come", async () => {
    const c = await startCluster(9, 3);
    for (const node of c.nodes) node.documentsPerRound = { min: 1, max: 1 };
    await c.runUntil(4_000);
    const silent = c.nodes.find((n) => n.agreement!.status().role !== "leader")!;
    silent.documentsPerRound = { min: 0, max: 0 };
    await c.runUntil(10_000);
    const leader = leaderOf(c.nodes);
    expect(leader).not.toBe(silent);
    const delays = certificationDelays(c, leader, c.second(6_000), c.second(8_000));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(graceMs);
    expect(c.invariants.violations).toEqual([]);
  });

  it("stops waiting for a crashed member once it has been silent for an election timeout", async () => {
    const c = await startCluster(10, 3);
    for (const node of c.nodes) node.documentsPerRound = { min: 1, max: 1 };
    await c.runUntil(5_000);
    const leader = leaderOf(c.nodes);
    const crashedAt = c.elapsed;
    await c.step(() => c.nodes.find((n) => n !== leader)!.crash());
    await c.runUntil(crashedAt + 6_000);
    expect(leaderOf(c.nodes)).toBe(leader);
    const delays = certificationDelays(c, leader, c.second(crashedAt + 2_000), c.second(crashedAt + 4_000));
    expect(Math.max(...delays)).toBeLessThan(graceMs);
    expect(c.invariants.violations).toEqual([]);
  });

  it("members whose clocks are 400 ms ahead and behind keep certifying the same calendar", async () => {
    const c = await startCluster(11, 3);
    const [, ahead, behind] = c.nodes;
    ahead!.skewMs = 400;
    behind!.skewMs = -400;
    for (const node of c.nodes) node.documentsPerRound = { min: 1, max: 1 };
    await c.runUntil(15_000);
    for (const node of c.nodes) {
      expect(uncertified(c, node, c.second(5_000), c.second(12_000))).toEqual([]);
    }
    const at = c.second(12_000);
    const roots = await Promise.all(c.nodes.map((node) => node.calendar.rootAt(at)));
    for (const root of roots) expect(root).toEqual(roots[0]);
    expect(c.invariants.violations).toEqual([]);
  });

  it("drops and counts malformed messages from a member and keeps certifying", async () => {
    const c = await startCluster(7, 3);
    await c.runUntil(4_000);
    const [target, sender] = c.nodes;
    const garbage = [
      new Uint8Array([0xff, 0xff, 0xff]),
      encodeTlv(tlv(0x1f, new Uint8Array(4))),
      encodeTlv(tlv(0x03, new Uint8Array([0x01, 0x09, 0x00]))),
    ];
    for (const bytes of garbage) c.network.inject(sender!.id, target!.id, bytes);
    await c.runUntil(8_000);
    expect(target!.metrics.count("droppedMessages/malformed")).toBe(garbage.length);
    expect(uncertified(c, target!, c.second(5_000), c.second(6_000))).toEqual([]);
    expect(c.invariants.violations).toEqual([]);
  });
});

describe("one misbehaving member of three", () => {
  const SHA256 = HashAlgorithm.SHA2_256;

  it("ignores an append from a member that did not win the term's election and scores it down", async () => {
    const c = await startCluster(21, 3);
    for (const node of c.nodes) node.documentsPerRound = { min: 1, max: 1 };
    await c.runUntil(5_000);
    const leader = leaderOf(c.nodes);
    const [bad, victim] = c.nodes.filter((n) => n !== leader) as [SimNode, SimNode];
    // Posing as leader of the next term, the bad member replays each fresh proposal it gets with
    // other entries for the same seconds, committed at once.
    let forged = 0;
    c.network.onDeliver = (from, to, bytes) => {
      if (to !== bad.id || from !== leader.id || forged >= 3) return;
      const m = decodeMessage(bytes, LIMITS);
      if (m.kind !== "append" || m.entries.length === 0) return;
      forged++;
      const term = m.term + 1;
      const entries = m.entries.map(({ entry }) => ({
        term,
        entry: buildCalendarEntry(entry.time, [], SHA256),
      }));
      const leaderCommit = entries[entries.length - 1]!.entry.time;
      c.network.inject(bad.id, victim.id, encodeMessage({ ...m, term, entries, leaderCommit }));
    };
    await c.runUntil(10_000);
    expect(c.invariants.violations).toEqual([]);
    expect(forged).toBe(3);
    expect(victim.metrics.count("peerFaults/append_not_leader")).toBe(3);
    expect(leaderOf(c.nodes)).toBe(leader);
    expect(uncertified(c, victim, c.second(6_000), c.second(8_000))).toEqual([]);
  });

  it("refuses a vote with an absurd term, and the cluster certifies on, restarts included", async () => {
    const c = await startCluster(22, 3);
    await c.runUntil(4_000);
    const [bad, ...honest] = c.nodes as [SimNode, ...SimNode[]];
    const huge = Number.MAX_SAFE_INTEGER;
    for (const node of honest) {
      for (const preVote of [false, true]) {
        const vote = { kind: "vote", term: huge, preVote, lastIndex: huge, lastTerm: huge } as const;
        c.network.inject(bad.id, node.id, encodeMessage({ ...vote, senderTime: c.scheduler.now }));
      }
    }
    await c.runUntil(8_000);
    for (const node of honest) expect(node.metrics.count("peerFaults/term_out_of_range")).toBe(2);
    for (const node of c.nodes) await c.step(() => node.crash());
    for (const node of c.nodes) await c.step(() => node.start());
    await c.runUntil(16_000);
    for (const node of c.nodes) {
      expect(node.agreement!.status().term).toBeLessThan(100);
      expect(uncertified(c, node, c.second(12_000), c.second(14_000))).toEqual([]);
    }
    expect(c.invariants.violations).toEqual([]);
  });

  it("votes for the next term from a member do not depose a working leader", async () => {
    const c = await startCluster(23, 3);
    await c.runUntil(5_000);
    const leader = leaderOf(c.nodes);
    const bad = c.nodes.find((n) => n !== leader)!;
    const { term } = leader.agreement!.status();
    for (let i = 1; i <= 5; i++) {
      for (const node of c.nodes) {
        if (node === bad) continue;
        const lastIndex = c.second(c.elapsed) + 5;
        const vote = {
          kind: "vote",
          term: term + i,
          preVote: false,
          lastIndex,
          lastTerm: term + i - 1,
        } as const;
        c.network.inject(bad.id, node.id, encodeMessage({ ...vote, senderTime: c.scheduler.now }));
      }
      await c.runUntil(5_000 + i * 1_000);
    }
    await c.runUntil(12_000);
    expect(leaderOf(c.nodes)).toBe(leader);
    expect(leader.agreement!.status().term).toBe(term);
    for (const node of c.nodes) expect(uncertified(c, node, c.second(6_000), c.second(10_000))).toEqual([]);
    expect(c.invariants.violations).toEqual([]);
  });

  it("a leader that heartbeats but withholds every entry is deposed, and certification resumes", async () => {
    const c = await startCluster(25, 3);
    await c.runUntil(5_000);
    const bad = leaderOf(c.nodes);
    const withheldAt = c.elapsed;
    c.network.tamperMessages = (from, _to, bytes) => {
      if (from !== bad.id) return bytes;
      const m = decodeMessage(bytes, LIMITS);
      return m.kind === "append" && m.entries.length > 0 ? encodeMessage({ ...m, entries: [] }) : bytes;
    };
    await c.runUntil(withheldAt + 15_000);
    const honest = c.nodes.filter((n) => n !== bad);
    expect(honest).toContain(leaderOf(c.nodes));
    // Stall bound (2 election timeouts + 1 s + grace = 4.25 s) + an election timeout + the elections.
    for (const node of honest) {
      const resumed = [...c.certifiedBy(node)].filter(([t]) => t >= c.second(withheldAt)).map(([, at]) => at);
      expect(Math.min(...resumed) - withheldAt).toBeLessThanOrEqual(7_000);
      expect(uncertified(c, node, c.second(withheldAt + 8_000), c.second(withheldAt + 13_000))).toEqual([]);
    }
    expect(c.invariants.violations).toEqual([]);
  });

  it("keeps signed proof when a member signs two contributions for one second", async () => {
    const c = await startCluster(26, 3);
    await c.runUntil(5_000);
    const leader = leaderOf(c.nodes);
    const bad = c.nodes.find((n) => n !== leader)!;
    const second = c.second(c.elapsed) - 1;
    const signed = (label: string) => {
      const contribution = {
        time: second + 5,
        nodeId: bad.id,
        root: hashImprint(SHA256, new TextEncoder().encode(label)),
        level: 0,
      };
      const signature = ed25519.sign(contributionStatement(contribution), bad.secret);
      return encodeMessage({ kind: "contribute", contribution: { ...contribution, signature } });
    };
    c.network.inject(bad.id, leader.id, signed("first"));
    await c.runUntil(c.elapsed + 100);
    c.network.inject(bad.id, leader.id, signed("second"));
    await c.runUntil(c.elapsed + 1_000);
    expect(leader.metrics.count("equivocations/contribution")).toBe(1);
    await c.step(() => leader.crash());
    const db = new Level<Uint8Array, Uint8Array>(leader.dir, { keyEncoding: "view", valueEncoding: "view" });
    try {
      const kept = await new ConsensusStore(db).evidence();
      expect([...kept.keys()]).toEqual([`contribution/${bad.id}`]);
      // Anyone with the genesis can check it: two statements for one second, both signed by the member.
      const [statementA, signatureA, statementB, signatureB] = decodeTlvSequence(
        kept.get(`contribution/${bad.id}`)!,
        4,
      );
      const publicKey = ed25519.getPublicKey(bad.secret);
      expect(ed25519.verify(signatureA!.value, statementA!.value, publicKey)).toBe(true);
      expect(ed25519.verify(signatureB!.value, statementB!.value, publicKey)).toBe(true);
      expect(statementA!.value).not.toEqual(statementB!.value);
    } finally {
      await db.close();
    }
  });

  it("followers refuse an entry holding a contribution its member did not sign", async () => {
    const c = await startCluster(24, 3);
    for (const node of c.nodes) node.documentsPerRound = { min: 1, max: 1 };
    await c.runUntil(5_000);
    const leader = leaderOf(c.nodes);
    const [victim, other] = c.nodes.filter((n) => n !== leader) as [SimNode, SimNode];
    // The leader swaps the victim's root for one of its own choosing in what it sends the other.
    let tampered = 0;
    c.network.tamperMessages = (from, to, bytes) => {
      if (from !== leader.id || to !== other.id || tampered > 0) return bytes;
      const m = decodeMessage(bytes, LIMITS);
      if (m.kind !== "append" || m.entries.length === 0) return bytes;
      const entries = m.entries.map(({ term, entry }) => {
        const contributions = entry.contributions.map((x) =>
          x.nodeId === victim.id ? { ...x, root: hashImprint(SHA256, bytes) } : x,
        );
        return { term, entry: buildCalendarEntry(entry.time, contributions, SHA256) };
      });
      if (entries.every((e, i) => bytesEqual(e.entry.leaf, m.entries[i]!.entry.leaf))) return bytes;
      tampered++;
      return encodeMessage({ ...m, entries });
    };
    await c.runUntil(10_000);
    expect(c.invariants.violations).toEqual([]);
    expect(tampered).toBe(1);
    expect(other.metrics.count("peerFaults/entry_contribution_signature")).toBe(1);
    expect(uncertified(c, other, c.second(6_000), c.second(8_000))).toEqual([]);
  });
});

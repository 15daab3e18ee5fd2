import { ed25519 } from "@noble/curves/ed25519.js";
import { HashAlgorithm, hashImprint } from "@tempel/proto";
import { buildCalendarEntry } from "../../src/consensus/calendar-entry.ts";
import { publishedDataBytes } from "../../src/consensus/certificate.ts";
import type { ElectionCertificate } from "../../src/consensus/election.ts";
import { decodeMessage, encodeMessage, type Message } from "../../src/consensus/messages.ts";
import { contributionStatement, voteStatement } from "../../src/consensus/statements.ts";
import type { Contribution } from "../../src/consensus/types.ts";
import type { SimCluster } from "./cluster.ts";
import type { SimNode } from "./node.ts";
import type { Prng } from "./prng.ts";

const LIMITS = { maxMessageBytes: Number.MAX_SAFE_INTEGER, maxBatchEntries: 1 << 20 };
/** Messages the faulty member keeps to replay and to forge from. */
const CAPTURED = 64;

export const ATTACKS = [
  "forged_append",
  "extreme_term",
  "deposing_vote",
  "deposing_reply",
  "replay",
  "garbage",
  "bad_contribution",
] as const;
export type Attack = (typeof ATTACKS)[number];

/**
 * One Byzantine member. It runs the real agreement code (so it takes part in elections and can lead),
 * holds its own key, sees what is delivered to it, and on top of that, on a seeded schedule:
 * forges appends (posing as leader of this or the next term with a certificate of its own vote, a
 * stale one or made-up votes), sends votes with absurd terms, votes and replies of the next term to
 * depose the leader, replays old messages (its own and others'), sends garbage and contributions
 * with bad signatures or under other members' names; it withholds and corrupts its certificate
 * shares and contributions, equivocates (a second validly signed share or contribution for another
 * root), and as leader withholds every entry (heartbeats only).
 */
export class ByzantineMember {
  /** How often each attack was made: the test checks that the run covered them. */
  readonly counts = new Map<string, number>();
  readonly #cluster: SimCluster;
  readonly #node: SimNode;
  readonly #random: Prng;
  readonly #captured: Uint8Array[] = [];
  #lastAppend: Extract<Message, { kind: "append" }> | undefined;

  constructor(cluster: SimCluster, node: SimNode, random: Prng) {
    this.#cluster = cluster;
    this.#node = node;
    this.#random = random;
  }

  get id(): string {
    return this.#node.id;
  }

  /** Takes over the member's traffic and schedules its attacks until `untilMs` (virtual, since the start). */
  start(untilMs: number): void {
    const { network } = this.#cluster;
    network.tamperMessages = (from, to, bytes) => (from === this.id ? this.#tamper(to, bytes) : bytes);
    network.onDeliver = (_from, to, bytes) => {
      if (to !== this.id) return;
      this.#captured.push(bytes);
      if (this.#captured.length > CAPTURED) this.#captured.shift();
      const message = decodeMessage(bytes, LIMITS);
      if (message.kind !== "append") return;
      this.#lastAppend = message;
      // A fresh proposal is the moment a forged one for the same seconds could still be followed.
      if (message.entries.length > 0 && this.#cluster.elapsed < untilMs && this.#random.chance(0.3)) {
        this.#attack("forged_append");
      }
    };
    const next = () =>
      this.#cluster.scheduler.after(this.#random.int(150, 1_200), () => {
        if (this.#cluster.elapsed >= untilMs) return;
        if (this.#node.up) this.#attack(this.#random.pick(ATTACKS));
        next();
      });
    next();
  }

  #count(what: string): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }

  #honest(): SimNode[] {
    return this.#cluster.nodes.filter((n) => n !== this.#node);
  }

  #send(to: string, message: Message | Uint8Array): void {
    const bytes = message instanceof Uint8Array ? message : encodeMessage(message);
    this.#cluster.network.inject(this.id, to, bytes);
  }

  #toAll(message: Message | Uint8Array): void {
    for (const node of this.#honest()) this.#send(node.id, message);
  }

  #now(): number {
    return this.#cluster.scheduler.now + this.#node.skewMs;
  }

  #sign(statement: Uint8Array): Uint8Array {
    return ed25519.sign(statement, this.#node.secret);
  }

  #attack(attack: Attack): void {
    const term = Math.max(0, ...this.#cluster.nodes.map((n) => n.agreement?.status().term ?? 0));
    const second = Math.floor(this.#now() / 1000);
    switch (attack) {
      case "forged_append": {
        const m = this.#lastAppend;
        if (m === undefined) return;
        const forgedTerm = m.term + this.#random.int(0, 1);
        const election = this.#random.pick<ElectionCertificate>([
          m.election,
          { term: forgedTerm, candidate: this.id, votes: [this.#vote(forgedTerm)] },
          {
            term: forgedTerm,
            candidate: this.id,
            votes: this.#cluster.nodes
              .map((n) => n.id)
              .sort()
              .map((voter) =>
                voter === this.id ? this.#vote(forgedTerm) : { voter, signature: this.#random.bytes(64) },
              ),
          },
        ]);
        const entries = [0, 1, 2].slice(0, Math.max(1, m.entries.length)).map((i) => ({
          term: forgedTerm,
          entry: buildCalendarEntry(m.prevIndex + 1 + i, [], HashAlgorithm.SHA2_256),
        }));
        const leaderCommit = m.prevIndex + entries.length;
        this.#toAll({ ...m, term: forgedTerm, election, entries, leaderCommit, senderTime: this.#now() });
        break;
      }
      case "extreme_term": {
        const huge = this.#random.pick([Number.MAX_SAFE_INTEGER, 2 ** 40, term + 1_000_000]);
        const preVote = this.#random.chance(0.5);
        this.#toAll({
          kind: "vote",
          term: huge,
          preVote,
          lastIndex: huge,
          lastTerm: huge,
          senderTime: this.#now(),
        });
        break;
      }
      case "deposing_vote":
        this.#toAll({
          kind: "vote",
          term: term + 1,
          preVote: false,
          lastIndex: second + 5,
          lastTerm: term,
          senderTime: this.#now(),
        });
        break;
      case "deposing_reply":
        this.#toAll({ kind: "appendReply", term: term + 1, success: false, index: 0 });
        break;
      case "replay": {
        if (this.#captured.length === 0) return;
        this.#send(this.#random.pick(this.#honest()).id, this.#random.pick(this.#captured));
        break;
      }
      case "garbage": {
        const captured = this.#captured[this.#captured.length - 1];
        this.#toAll(
          captured !== undefined && this.#random.chance(0.5)
            ? captured.subarray(0, this.#random.int(1, captured.length - 1))
            : this.#random.bytes(this.#random.int(1, 300)),
        );
        break;
      }
      case "bad_contribution": {
        const victim = this.#random.pick(this.#honest());
        const contribution = this.#contribution(second - 1, this.#random.chance(0.5) ? victim.id : this.id);
        const signature = this.#random.chance(0.5) ? this.#random.bytes(64) : contribution.signature;
        const leader = this.#node.agreement?.status().leaderId;
        if (leader !== undefined && leader !== this.id)
          this.#send(leader, { kind: "contribute", contribution: { ...contribution, signature } });
        break;
      }
    }
    this.#count(attack);
  }

  /** What the member sends on its own account: withheld, corrupted or doubled. */
  #tamper(to: string, bytes: Uint8Array): Uint8Array | undefined {
    const message = decodeMessage(bytes, LIMITS);
    switch (message.kind) {
      case "share": {
        const r = this.#random.next();
        if (r < 0.3) return this.#counted("withheld_share", undefined);
        if (r < 0.45) {
          const signature = message.signature.slice();
          signature[0]! ^= 1;
          return this.#counted("bad_share", encodeMessage({ ...message, signature }));
        }
        if (r < 0.6) {
          // A second root for the same second, validly signed: equivocation.
          const root = hashImprint(HashAlgorithm.SHA2_256, message.signature);
          const signature = this.#sign(publishedDataBytes(message.time, root));
          this.#send(to, { kind: "share", time: message.time, root, signature });
          this.#count("equivocating_share");
        }
        return bytes;
      }
      case "contribute": {
        const r = this.#random.next();
        if (r < 0.2) return this.#counted("withheld_contribution", undefined);
        if (r < 0.4) {
          this.#send(to, {
            kind: "contribute",
            contribution: this.#contribution(message.contribution.time, this.id),
          });
          this.#count("equivocating_contribution");
        }
        return bytes;
      }
      case "append":
        // As leader it proposes nothing it lets anyone see: heartbeats only.
        return message.entries.length > 0
          ? this.#counted("withheld_entries", encodeMessage({ ...message, entries: [] }))
          : bytes;
      default:
        return bytes;
    }
  }

  #counted<T>(what: string, result: T): T {
    this.#count(what);
    return result;
  }

  #vote(term: number) {
    return { voter: this.id, signature: this.#sign(voteStatement(term, this.id)) };
  }

  /** A validly signed contribution of a made-up root, under `nodeId`'s name but with this member's key. */
  #contribution(time: number, nodeId: string) {
    const contribution: Contribution = {
      time,
      nodeId,
      root: hashImprint(HashAlgorithm.SHA2_256, this.#random.bytes(8)),
      level: 0,
    };
    return { ...contribution, signature: this.#sign(contributionStatement(contribution)) };
  }
}

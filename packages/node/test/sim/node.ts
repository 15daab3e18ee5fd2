import { ed25519 } from "@noble/curves/ed25519.js";
import {
  AggregationTree,
  bytesEqual,
  Calendar,
  composeChains,
  HashAlgorithm,
  hashImprint,
  type Imprint,
  keyPolicy,
  MemoryCalendarStore,
  nobleHasher,
  type QuorumTrust,
  verifySignature,
} from "@tempel/proto";
import { Level } from "level";
import { type AgreementSettings, createAgreement } from "../../src/consensus/agreement.ts";
import { topTree } from "../../src/consensus/calendar-entry.ts";
import { ConsensusStore } from "../../src/consensus/store.ts";
import type {
  Agreement,
  CalendarEntry,
  LocalContribution,
  Member,
  RoundOutcome,
} from "../../src/consensus/types.ts";
import type { Invariants } from "./invariants.ts";
import type { SimNetwork } from "./network.ts";
import type { Prng } from "./prng.ts";
import { RecordingMetrics } from "./recording-metrics.ts";
import type { Scheduler } from "./scheduler.ts";

/** Counts the real asynchronous work in flight, so a step can wait until it has all settled. */
export class Inflight {
  count = 0;

  track<T>(promise: Promise<T>): Promise<T> {
    this.count++;
    return promise.finally(() => {
      this.count--;
    });
  }

  async settled(): Promise<void> {
    let quiet = 0;
    while (quiet < 2) {
      await new Promise((resolve) => setImmediate(resolve));
      quiet = this.count === 0 ? quiet + 1 : 0;
    }
  }
}

export interface SimNodeContext {
  readonly scheduler: Scheduler;
  readonly network: SimNetwork;
  readonly invariants: Invariants;
  readonly inflight: Inflight;
  readonly settings: AgreementSettings;
  readonly members: readonly Member[];
}

export const STORE_WRITES = [
  "writeEntries",
  "saveTermAndVote",
  "saveApplied",
  "saveSigned",
  "saveCertificate",
] as const;
export type StoreWrite = (typeof STORE_WRITES)[number];

/** A document a client submitted to this node, waiting for its signature. */
interface Pending {
  readonly document: Imprint;
  readonly submitted: number;
}

/**
 * One simulated member: the real agreement over a real LevelDB folder (kept across crashes) and a
 * calendar that survives crashes the way the node's durable calendar does. Its "round code" makes a
 * small local tree every second from the documents of that second (plus any that missed their
 * round), contributes its root, and on certification builds and verifies every client's signature.
 */
export class SimNode {
  readonly id: string;
  readonly secret: Uint8Array;
  readonly dir: string;
  skewMs = 0;
  /** How many documents its clients submit each second (drawn from the range). */
  documentsPerRound = { min: 0, max: 2 };
  up = false;
  /** Set by a fault: the node dies at its next store write of this kind, just before or after it. */
  crashAtWrite: { readonly write: StoreWrite; readonly afterWrite: boolean } | undefined;
  /** Documents not yet answered; lost (with the node's memory) when it crashes. */
  readonly pending = new Map<string, Pending>();
  answered = 0;
  /** What the node reported, across its restarts. */
  readonly metrics = new RecordingMetrics();
  readonly #ctx: SimNodeContext;
  readonly #random: Prng;
  readonly #calendarStore = new MemoryCalendarStore();
  #calendar: Calendar | undefined;
  #incarnation = 0;
  #db: Level<Uint8Array, Uint8Array> | undefined;
  #agreement: Agreement | undefined;
  #documentCounter = 0;
  #lastRound = 0;
  /** Documents in a round whose outcome is awaited. */
  readonly #inFlight = new Set<Pending>();
  /** This incarnation's contributions, by second: what `apply` must be handed back. */
  readonly #contributed = new Map<number, LocalContribution>();

  constructor(id: string, secret: Uint8Array, dir: string, random: Prng, ctx: SimNodeContext) {
    this.id = id;
    this.secret = secret;
    this.dir = dir;
    this.#random = random;
    this.#ctx = ctx;
  }

  get agreement(): Agreement | undefined {
    return this.#agreement;
  }

  get calendar(): Calendar {
    return this.#calendar!;
  }

  async start(): Promise<void> {
    const ctx = this.#ctx;
    const incarnation = ++this.#incarnation;
    this.#calendar ??= await Calendar.open(this.#calendarStore, { genesisTime: ctx.settings.genesisTime });
    const db = new Level<Uint8Array, Uint8Array>(this.dir, { keyEncoding: "view", valueEncoding: "view" });
    await db.open();
    this.#db = db;
    const alive = () => this.up && this.#incarnation === incarnation;
    const clock = ctx.scheduler.clock(() => this.skewMs, this.#random.fork(`clock-${incarnation}`), alive);
    this.#contributed.clear();
    const agreement = createAgreement(ctx.settings, {
      transport: ctx.network.attach(
        this.id,
        ctx.members.map((m) => m.id),
      ),
      members: ctx.members,
      signer: { sign: (message) => ed25519.sign(message, this.secret) },
      store: this.#observedStore(new ConsensusStore(db, { sync: false })),
      apply: (entry, own) => ctx.inflight.track(this.#apply(entry, own)),
      clock,
      metrics: this.metrics,
      hasher: nobleHasher,
    });
    this.#agreement = agreement;
    this.up = true;
    await agreement.start();
    this.#scheduleRound(clock.now(), alive);
  }

  /** Like kill -9 between two steps: memory is gone, LevelDB and the calendar stay. */
  async crash(): Promise<void> {
    this.up = false;
    this.#ctx.network.detach(this.id);
    this.pending.clear();
    await this.#agreement?.stop();
    await this.#db?.close();
    this.#agreement = undefined;
  }

  async #apply(entry: CalendarEntry, own: LocalContribution | undefined): Promise<Imprint> {
    const calendar = this.#calendar!;
    this.#ctx.invariants.applied(this.id, entry);
    // Agreement hands back this node's contribution exactly when the entry holds it.
    const mine = this.#contributed.get(entry.time);
    const held =
      mine !== undefined &&
      entry.contributions.some((c) => c.nodeId === this.id && bytesEqual(c.root, mine.root));
    if (
      held
        ? own === undefined || own.hashes !== mine.hashes || !bytesEqual(own.root, mine.root)
        : own !== undefined
    ) {
      this.#ctx.invariants.violation(`${this.id}: applied ${entry.time} with the wrong own contribution`);
    }
    if (entry.time <= calendar.head) {
      if (!bytesEqual(await calendar.leaf(entry.time), entry.leaf)) {
        this.#ctx.invariants.violation(`${this.id}: re-applied second ${entry.time} with another leaf`);
      }
    } else {
      if (entry.time !== calendar.head + 1) {
        this.#ctx.invariants.violation(
          `${this.id}: entry ${entry.time} skips seconds after ${calendar.head}`,
        );
      }
      await calendar.append(entry.time, entry.leaf);
    }
    return calendar.rootAt(entry.time);
  }

  /**
   * The real store, watched: certificates and signed roots feed the invariants, every call counts as
   * work in flight, and a planned crash strikes at a write.
   */
  #observedStore(store: ConsensusStore): ConsensusStore {
    const { inflight, invariants } = this.#ctx;
    return new Proxy(store, {
      get: (target, property) => {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== "function") return value;
        const call = (args: unknown[]) => {
          if (property === "saveCertificate") {
            invariants.certificateSaved(this.id, args[0] as number, args[1] as Uint8Array);
          }
          if (property === "saveSigned")
            invariants.signedSaved(this.id, args[0] as number, args[1] as Uint8Array);
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
        return (...args: unknown[]) => {
          const crash = this.crashAtWrite;
          if (crash === undefined || crash.write !== property) return inflight.track(call(args));
          this.crashAtWrite = undefined;
          return inflight.track(this.#dieAt(crash.afterWrite ? call(args) : Promise.resolve()));
        };
      },
    });
  }

  /** The write (if any) completes, then the process dies: the caller never sees it return. */
  async #dieAt(write: Promise<unknown>): Promise<never> {
    await write;
    this.#ctx.scheduler.after(0, () => (this.up ? this.crash() : undefined));
    throw new Error(`${this.id} crashed`);
  }

  /** The round code: shortly after each second ends, contribute the documents gathered for it. */
  #scheduleRound(now: number, alive: () => boolean): void {
    const clock = { now: () => this.#ctx.scheduler.now + this.skewMs };
    const nextEnd = (Math.floor(now / 1000) + 1) * 1000;
    this.#ctx.scheduler.after(nextEnd + 20 - now, () => {
      if (!alive()) return;
      this.#closeRound(Math.floor(clock.now() / 1000) - 1);
      this.#scheduleRound(clock.now(), alive);
    });
  }

  #closeRound(time: number): void {
    const agreement = this.#agreement!;
    // A clock set back must not make a second's round twice.
    if (
      time <= this.#lastRound ||
      time <= agreement.status().applied ||
      time < this.#ctx.settings.genesisTime
    )
      return;
    this.#lastRound = time;
    for (let i = this.#random.int(this.documentsPerRound.min, this.documentsPerRound.max); i > 0; i--) {
      const document = hashImprint(
        HashAlgorithm.SHA2_256,
        new TextEncoder().encode(`${this.id}/${this.#documentCounter++}`),
      );
      this.pending.set(`${this.id}/${this.#documentCounter}`, {
        document,
        submitted: this.#ctx.scheduler.now,
      });
    }
    const round = [...this.pending.entries()].filter(([, p]) => !this.#inFlight.has(p));
    if (round.length === 0) return;
    const tree = new AggregationTree(
      round.map(([, p]) => ({ imprint: p.document, metadata: { clientId: this.id } })),
      { algorithm: HashAlgorithm.SHA2_256 },
    );
    for (const [, p] of round) this.#inFlight.add(p);
    const contribution = {
      time,
      nodeId: this.id,
      root: tree.root,
      level: tree.rootLevel,
      hashes: round.length,
    };
    agreement.contribute(contribution);
    this.#contributed.set(time, contribution);
    agreement.outcome(time).then(
      (outcome) => this.#ctx.inflight.track(this.#answer(outcome, round, tree)),
      () => {}, // stopped by a crash: those documents are gone with the node's memory
    );
  }

  async #answer(outcome: RoundOutcome, round: [string, Pending][], tree: AggregationTree): Promise<void> {
    for (const [, p] of round) this.#inFlight.delete(p);
    if (outcome.kind === "missed") return; // still pending: they go into the next round
    const { entry, calendarRoot, certificate } = outcome.certified;
    const time = entry.time;
    const position = entry.contributions.findIndex(
      (c) => c.nodeId === this.id && bytesEqual(c.root, tree.root),
    );
    if (position < 0) {
      this.#ctx.invariants.violation(`${this.id}: second ${time} certified without its contribution`);
      return;
    }
    const top = topTree(entry.contributions, this.#ctx.settings.hashAlgorithm ?? HashAlgorithm.SHA2_256);
    const calendarChain = await this.calendar.chain(time, time);
    const trust: QuorumTrust = { members: this.#ctx.members, quorum: this.#ctx.settings.quorum };
    for (let leaf = 0; leaf < round.length; leaf++) {
      const [key, p] = round[leaf]!;
      const signature = {
        aggregationChains: composeChains([tree.segment(leaf), top.segment(position)], time),
        calendarChain,
        quorumCertificate: certificate,
      };
      const result = await verifySignature(
        signature,
        { documentHash: p.document, quorumTrust: trust },
        keyPolicy,
      );
      if (result.result !== "OK") {
        this.#ctx.invariants.violation(
          `${this.id}: signature for second ${time} does not verify: ${result.message}`,
        );
      }
      this.pending.delete(key);
      this.answered++;
    }
    if (!bytesEqual(calendarRoot, await this.calendar.rootAt(time))) {
      this.#ctx.invariants.violation(`${this.id}: certified root of ${time} is not its calendar's`);
    }
  }
}

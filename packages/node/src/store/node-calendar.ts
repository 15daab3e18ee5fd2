import {
  bytesEqual,
  Calendar,
  type CalendarHashChain,
  calendarChainOutput,
  calendarRootAtAggregationTime,
  decodeQuorumCertificate,
  decodeTlv,
  type Hasher,
  type Imprint,
  type QuorumCertificate,
  type QuorumTrust,
  toHex,
} from "@tempel/proto";
import type { CalendarEntry } from "../consensus/index.ts";
import { Bucket } from "./buckets.ts";
import { type BatchPut, LevelCalendarStore } from "./calendar-store.ts";
import { type CalendarCheckReport, checkCalendar } from "./check.ts";
import { type NodeDb, plainView } from "./db.ts";
import { StoreError } from "./errors.ts";
import { numberKey } from "./keys.ts";
import type { StoreMetrics } from "./metrics.ts";
import { decodeRoundRecord, type RoundRecord, roundRecordPut } from "./round-record.ts";

export interface NodeCalendarOptions {
  readonly genesisTime: number;
  readonly hasher: Hasher;
}

/**
 * The node's calendar on LevelDB: agreement appends committed entries through `apply`, the API and
 * the round pipeline read roots, chains and certificates.
 */
export class NodeCalendar {
  readonly genesisTime: number;
  readonly #db: NodeDb;
  readonly #store: LevelCalendarStore;
  readonly #calendar: Calendar<readonly BatchPut[]>;
  readonly #metrics: StoreMetrics;
  readonly #hasher: Hasher;

  private constructor(
    db: NodeDb,
    store: LevelCalendarStore,
    calendar: Calendar<readonly BatchPut[]>,
    metrics: StoreMetrics,
    hasher: Hasher,
  ) {
    this.genesisTime = calendar.genesisTime;
    this.#db = db;
    this.#store = store;
    this.#calendar = calendar;
    this.#metrics = metrics;
    this.#hasher = hasher;
  }

  static async open(db: NodeDb, options: NodeCalendarOptions, metrics: StoreMetrics): Promise<NodeCalendar> {
    const store = new LevelCalendarStore(db, metrics);
    const calendar = await Calendar.open(store, options);
    metrics.calendarHeight.set(calendar.head + 1);
    return new NodeCalendar(db, store, calendar, metrics, options.hasher);
  }

  /**
   * Recompute the stored calendar from second `from` (see checkCalendar), and check the latest
   * `certificates` quorum certificates against `trust` and, with the roots this node signed, against
   * the calendar.
   */
  check(from: number, certificates: number, trust: QuorumTrust): Promise<CalendarCheckReport> {
    return checkCalendar(this.#db, this, this.#store, {
      genesisTime: this.genesisTime,
      from,
      hasher: this.#hasher,
      certificates,
      trust,
    });
  }

  /** The last second in the calendar; genesisTime − 1 before the first entry. */
  get head(): number {
    return this.#calendar.head;
  }

  /**
   * Append committed entry `entry` (seconds skipped since the head become empty) with this node's
   * record of the round, in one synced batch, and return the calendar root at `entry.time`.
   * Re-applying an entry already in the calendar (agreement replaying after a restart) is a no-op
   * when the leaf is the same, and a refusal when it is not: a committed leaf never changes.
   */
  async apply(entry: CalendarEntry, record: RoundRecord | undefined): Promise<Imprint> {
    if (entry.time <= this.head) {
      const stored = await this.#calendar.leaf(entry.time);
      if (!bytesEqual(stored, entry.leaf)) {
        throw new StoreError(
          "CALENDAR_CONFLICT",
          `entry ${entry.time} has leaf ${toHex(entry.leaf)} but the calendar holds ${toHex(stored)}`,
          { time: entry.time },
        );
      }
      return this.#calendar.rootAt(entry.time);
    }
    await this.#calendar.append(entry.time, entry.leaf, record && [roundRecordPut(record)]);
    this.#metrics.calendarHeight.set(entry.time + 1);
    return this.#calendar.rootAt(entry.time);
  }

  rootAt(time: number): Promise<Imprint> {
    return this.#calendar.rootAt(time);
  }

  leaf(time: number): Promise<Imprint> {
    return this.#calendar.leaf(time);
  }

  /**
   * The calendar hash chain from `time` to the root at `rootTime` (both ≤ head). The start-up check
   * cannot see a LevelDB value changed while the node runs, and a chain built from one would
   * contradict what the cluster signed. So the chain must reach the root the quorum certificate of
   * `rootTime` names (every publication time is certified); a chain reaching a certified root holds
   * only genuine values. Where `rootTime` is not certified (the head, a round ago), the right links
   * must fold into the certified root of `time` (nearly every signing second is certified). A chain
   * that does not is refused (StoreError CALENDAR_CONTRADICTS_CERTIFICATE) and counted, never
   * served. This costs a read or two and the chain's few dozen hashes.
   */
  async chain(time: number, rootTime: number): Promise<CalendarHashChain> {
    const [chain, atRoot] = await Promise.all([
      this.#calendar.chain(time, rootTime),
      this.certificate(rootTime),
    ]);
    if (atRoot !== undefined) {
      this.#requireCertified(calendarChainOutput(chain, this.#hasher), atRoot, time);
      return chain;
    }
    const atTime = time === rootTime ? undefined : await this.certificate(time);
    if (atTime !== undefined) {
      this.#requireCertified(calendarRootAtAggregationTime(chain, this.#hasher), atTime, time);
    }
    return chain;
  }

  /**
   * The chain as the store holds it, without `chain`'s check against the certificates: what
   * consistency proofs are made of. A monitor proves a changed store only if it is shown the change;
   * no signature ever takes its chain from here.
   */
  storedChain(time: number, rootTime: number): Promise<CalendarHashChain> {
    return this.#calendar.chain(time, rootTime);
  }

  #requireCertified(root: Imprint, certificate: QuorumCertificate, chainTime: number): void {
    const { publicationTime, publishedHash } = certificate.publishedData;
    if (bytesEqual(root, publishedHash)) return;
    this.#metrics.calendarContradictions.inc();
    throw new StoreError(
      "CALENDAR_CONTRADICTS_CERTIFICATE",
      `the calendar's chain from second ${chainTime} gives root ${toHex(root)} at second ` +
        `${publicationTime}, but that second's quorum certificate names ${toHex(publishedHash)}: the ` +
        "store was changed (stop the node and run tempel-node check)",
      { time: publicationTime },
    );
  }

  async roundRecord(time: number): Promise<RoundRecord | undefined> {
    const bytes = await this.#db.get(numberKey(Bucket.round, time));
    return bytes === undefined ? undefined : decodeRoundRecord(plainView(bytes));
  }

  /** The quorum certificate agreement stored for `time`, if that second was certified. */
  async certificate(time: number): Promise<QuorumCertificate | undefined> {
    const bytes = await this.#db.get(numberKey(Bucket.certificate, time));
    return bytes === undefined ? undefined : decodeQuorumCertificate(decodeTlv(bytes));
  }

  /** The latest certified second at or before `time` and its certificate. */
  async latestCertificate(time: number): Promise<QuorumCertificate | undefined> {
    const range = {
      gte: numberKey(Bucket.certificate, this.genesisTime),
      lte: numberKey(Bucket.certificate, time),
    };
    for await (const bytes of this.#db.values({ ...range, reverse: true, limit: 1 })) {
      return decodeQuorumCertificate(decodeTlv(bytes));
    }
    return undefined;
  }

  /** The first certified second at or after `time` and its certificate (a publication's fallback). */
  async firstCertificate(time: number): Promise<QuorumCertificate | undefined> {
    const range = {
      gte: numberKey(Bucket.certificate, time),
      lt: Uint8Array.of(Bucket.certificate + 1),
    };
    for await (const bytes of this.#db.values({ ...range, limit: 1 })) {
      return decodeQuorumCertificate(decodeTlv(bytes));
    }
    return undefined;
  }
}

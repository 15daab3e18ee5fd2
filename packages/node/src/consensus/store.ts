import type { Level, BatchOperation as LevelBatchOperation } from "level";
import { Bucket, bucketRange, keyNumber, nameKey, numberKey } from "../store/index.ts";
import { type Equivocation, encodeEvidence } from "./evidence.ts";
import { decodeLogEntry, encodeLogEntry, type LogEntry } from "./log-entry.ts";

/** The node's LevelDB, opened with Uint8Array keys and values (`keyEncoding`/`valueEncoding: "view"`). */
export type ConsensusDb = Level<Uint8Array, Uint8Array>;

type BatchOperation = LevelBatchOperation<ConsensusDb, Uint8Array, Uint8Array>;

/** What a restarted node resumes from. */
export interface ConsensusState {
  readonly term: number;
  readonly votedFor: string | undefined;
  /** Last second handed to `apply` and acknowledged; everything up to it is committed. */
  readonly applied: number;
  readonly lastIndex: number;
  readonly lastTerm: number;
}

const TERM_KEY = nameKey(Bucket.consensusState, "term");
const VOTE_KEY = nameKey(Bucket.consensusState, "vote");
const APPLIED_KEY = nameKey(Bucket.consensusState, "applied");

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Agreement's durable state in the node's LevelDB: the log (one slot per second, key = second), term
 * and vote, the applied mark, what this node signed and the certificates it holds. Every write that
 * Raft's safety depends on is synced before the caller acts on it (replies, votes, shares).
 */
export class ConsensusStore {
  readonly #db: ConsensusDb;
  readonly #sync: boolean;

  /** `sync: false` only where a crash cannot lose the OS's buffers (the simulation's process). */
  constructor(db: ConsensusDb, options: { sync: boolean } = { sync: true }) {
    this.#db = db;
    this.#sync = options.sync;
  }

  /** `genesisTime - 1` is the empty log's last index, with term 0. */
  async load(genesisTime: number): Promise<ConsensusState> {
    const [termBytes, voteBytes, appliedBytes] = await this.#db.getMany([TERM_KEY, VOTE_KEY, APPLIED_KEY]);
    const last = await this.lastEntry();
    return {
      term: termBytes === undefined ? 0 : readNumber(termBytes),
      votedFor: voteBytes === undefined || voteBytes.length === 0 ? undefined : fromUtf8.decode(voteBytes),
      applied: appliedBytes === undefined ? genesisTime - 1 : readNumber(appliedBytes),
      lastIndex: last?.entry.time ?? genesisTime - 1,
      lastTerm: last?.term ?? 0,
    };
  }

  async saveTermAndVote(term: number, votedFor: string | undefined): Promise<void> {
    await this.#db.batch(
      [
        { type: "put", key: TERM_KEY, value: numberBytes(term) },
        {
          type: "put",
          key: VOTE_KEY,
          value: votedFor === undefined ? new Uint8Array(0) : utf8.encode(votedFor),
        },
      ],
      { sync: this.#sync },
    );
  }

  async saveApplied(index: number): Promise<void> {
    await this.#db.put(APPLIED_KEY, numberBytes(index), { sync: this.#sync });
  }

  async entry(index: number): Promise<LogEntry | undefined> {
    const bytes = await this.#db.get(numberKey(Bucket.consensusLog, index));
    return bytes === undefined ? undefined : decodeLogEntry(bytes);
  }

  /**
   * Entries from `from` on: at most `limit`, none after `to`, and no more than fit in `maxBytes`
   * encoded (but always the first, so that a batch makes progress).
   */
  async entries(
    from: number,
    to: number,
    limit: number,
    maxBytes = Number.POSITIVE_INFINITY,
  ): Promise<LogEntry[]> {
    if (to < from) return [];
    const out: LogEntry[] = [];
    let bytes = 0;
    const range = {
      gte: numberKey(Bucket.consensusLog, from),
      lte: numberKey(Bucket.consensusLog, to),
      limit,
    };
    for await (const value of this.#db.values(range)) {
      bytes += value.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(decodeLogEntry(value));
    }
    return out;
  }

  async lastEntry(): Promise<LogEntry | undefined> {
    const range = { gte: numberKey(Bucket.consensusLog, 0), lt: Uint8Array.of(Bucket.consensusLog + 1) };
    for await (const value of this.#db.values({ ...range, reverse: true, limit: 1 }))
      return decodeLogEntry(value);
    return undefined;
  }

  /**
   * Writes consecutive `entries` and removes every slot after the last of them, in one batch: a
   * follower's log then ends exactly where the leader's batch does (Raft's truncate-on-conflict).
   * With `truncate: false` later slots stay (they matched the leader already).
   */
  async writeEntries(entries: readonly LogEntry[], truncate: boolean): Promise<void> {
    const last = entries[entries.length - 1];
    if (last === undefined) return;
    const ops: BatchOperation[] = entries.map((logEntry) => ({
      type: "put",
      key: numberKey(Bucket.consensusLog, logEntry.entry.time),
      value: encodeLogEntry(logEntry),
    }));
    if (truncate) {
      const after = {
        gt: numberKey(Bucket.consensusLog, last.entry.time),
        lt: Uint8Array.of(Bucket.consensusLog + 1),
      };
      for await (const key of this.#db.keys(after)) ops.push({ type: "del", key });
    }
    await this.#db.batch(ops, { sync: this.#sync });
  }

  /** The published-data bytes this node signed for `time`, if any. */
  async signed(time: number): Promise<Uint8Array | undefined> {
    return this.#db.get(numberKey(Bucket.signedRoot, time));
  }

  async saveSigned(time: number, publishedData: Uint8Array): Promise<void> {
    await this.#db.put(numberKey(Bucket.signedRoot, time), publishedData, { sync: this.#sync });
  }

  /** Seconds in [from, to] this node signed, ascending, with what it signed. */
  async signedRange(from: number, to: number): Promise<{ time: number; publishedData: Uint8Array }[]> {
    const out: { time: number; publishedData: Uint8Array }[] = [];
    const range = { gte: numberKey(Bucket.signedRoot, from), lte: numberKey(Bucket.signedRoot, to) };
    for await (const [key, value] of this.#db.iterator(range))
      out.push({ time: keyNumber(key), publishedData: value });
    return out;
  }

  async certificate(time: number): Promise<Uint8Array | undefined> {
    return this.#db.get(numberKey(Bucket.certificate, time));
  }

  /** Certificates of seconds in [from, to], ascending. */
  async certificates(from: number, to: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    const range = { gte: numberKey(Bucket.certificate, from), lte: numberKey(Bucket.certificate, to) };
    for await (const value of this.#db.values(range)) out.push(value);
    return out;
  }

  /**
   * Keeps the first proof of each kind against each member (one convicts; a member equivocating
   * every second must not fill the disk). Returns whether it was new.
   */
  async saveEvidence(e: Equivocation): Promise<boolean> {
    const key = nameKey(Bucket.evidence, `${e.kind}/${e.member}`);
    if ((await this.#db.get(key)) !== undefined) return false;
    await this.#db.put(key, encodeEvidence(e), { sync: this.#sync });
    return true;
  }

  /** Every kept proof: `kind/member` → stored evidence TLVs. */
  async evidence(): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const prefix = new TextDecoder();
    for await (const [key, value] of this.#db.iterator(bucketRange(Bucket.evidence)))
      out.set(prefix.decode(key.subarray(1)), value);
    return out;
  }

  async saveCertificate(time: number, certificate: Uint8Array): Promise<void> {
    await this.#db.put(numberKey(Bucket.certificate, time), certificate, { sync: this.#sync });
  }
}

function numberBytes(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

function readNumber(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0));
}

import { decodeQuorumCertificate, decodeTlv, type QuorumCertificate, type QuorumTrust } from "@tempel/proto";
import type { Logger } from "../logger/index.ts";
import { certificateFault } from "./certificate.ts";
import type { Clock } from "./clock.ts";
import { ConsensusError } from "./errors.ts";
import type { LogEntry } from "./log-entry.ts";
import { decodeMessage, encodeMessage, type Message, type MessageLimits } from "./messages.ts";
import type { ConsensusStore } from "./store.ts";
import type { PeerTransport, SignedCalendarEntry } from "./types.ts";

export interface CatchUpOptions {
  readonly limits: MessageLimits;
  readonly retryMs: number;
}

export interface CatchUpModules {
  readonly peers: readonly string[];
  readonly transport: Pick<PeerTransport, "request">;
  readonly store: ConsensusStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly trust: QuorumTrust;
  /** Last second applied here: everything up to it is committed. */
  applied(): number;
  term(): number;
  entryFault(entry: SignedCalendarEntry): string | undefined;
  /** Hands checked entries to the log as committed; returns why they were refused, or undefined. */
  appendCommitted(entries: readonly LogEntry[]): Promise<string | undefined>;
  /** Certificates to check the calendar against when their seconds are applied. */
  expect(certificates: readonly QuorumCertificate[]): void;
  /** Lets the node apply committed entries up to `time`: their certificates are in hand. */
  allowApplyThrough(time: number): void;
  /** Resolves true once `time` is applied here, false if agreement halts or stops first. */
  appliedThrough(time: number): Promise<boolean>;
  /** Higher is more trusted; faults lower it. */
  score(peer: string): number;
  peerFault(peer: string, reason: string): void;
}

/**
 * Bringing a node that was down up to its peers, before it serves: it asks every peer how far it
 * has committed, then fetches committed entries and certificates in batches from the best-scored
 * peer ahead of it. Entries must be well-formed with their leaves matching their contributions, and
 * certificates must carry a quorum of valid shares; the calendar roots are then checked against
 * the certificates (and this node's own signatures) as the entries are applied. A peer whose answer
 * does not check out is scored down, and the next one is asked.
 *
 * The same object answers other nodes' catch-up requests.
 */
export class CatchUp {
  readonly #options: CatchUpOptions;
  readonly #m: CatchUpModules;

  constructor(options: CatchUpOptions, modules: CatchUpModules) {
    this.#options = options;
    this.#m = modules;
  }

  /**
   * Resolves once this node has checked and applied everything a peer reported committed (or on
   * abort). Until then the node applies only what catch-up has checked (`allowApplyThrough`).
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#m.peers.length === 0) return;
    let checked = this.#m.applied();
    while (!signal.aborted) {
      const reports = await this.#statuses(signal);
      if (reports.size > 0) {
        const target = Math.max(...reports.values());
        checked = await this.#reach(target, checked, reports, signal);
        if (checked >= target) return;
      }
      await this.#sleep(this.#options.retryMs, signal);
    }
  }

  /** The encoded answer to a peer's catch-up request. */
  async serve(message: Message): Promise<Uint8Array> {
    switch (message.kind) {
      case "statusRequest":
        return encodeMessage({ kind: "status", term: this.#m.term(), committed: this.#m.applied() });
      case "fetchRequest":
        return this.#fetchReply(message.from, Math.min(message.count, this.#options.limits.maxBatchEntries));
      default:
        throw new ConsensusError("CONSENSUS_BAD_REQUEST", `a ${message.kind} message is not a request`);
    }
  }

  async #statuses(signal: AbortSignal): Promise<Map<string, number>> {
    const reports = new Map<string, number>();
    await Promise.all(
      this.#m.peers.map(async (peer) => {
        const reply = await this.#ask(peer, { kind: "statusRequest" }, signal);
        if (reply?.kind === "status") reports.set(peer, reply.committed);
        else if (reply !== undefined) this.#m.peerFault(peer, "unexpected_reply");
      }),
    );
    return reports;
  }

  /** Fetches batches after `checked` until `target`; returns how far it got. */
  async #reach(
    target: number,
    checked: number,
    reports: Map<string, number>,
    signal: AbortSignal,
  ): Promise<number> {
    let reached = checked;
    while (!signal.aborted && reached < target) {
      const ahead = [...reports]
        .filter(([, committed]) => committed > reached)
        .sort(([a, ca], [b, cb]) => this.#m.score(b) - this.#m.score(a) || cb - ca);
      const best = ahead[0]?.[0];
      if (best === undefined) break;
      const last = await this.#fetchFrom(best, reached + 1, signal);
      if (last === undefined) reports.delete(best);
      else reached = last;
    }
    return reached;
  }

  /**
   * One batch from `peer`, starting at second `from`: checked, handed to the log and applied. Entries
   * the log has already (Raft may have replicated them meanwhile) are fetched again all the same,
   * for the certificates that come with them. Returns the batch's last second, or undefined when
   * the peer had nothing usable.
   */
  async #fetchFrom(peer: string, from: number, signal: AbortSignal): Promise<number | undefined> {
    const count = this.#options.limits.maxBatchEntries;
    const reply = await this.#ask(peer, { kind: "fetchRequest", from, count }, signal);
    if (reply === undefined) return undefined;
    if (reply.kind !== "fetch") {
      this.#m.peerFault(peer, "unexpected_reply");
      return undefined;
    }
    const { entries, certificates } = reply;
    const fault = this.#batchFault(entries, certificates, from);
    if (fault !== undefined) {
      this.#m.peerFault(peer, fault);
      return undefined;
    }
    const last = entries[entries.length - 1]?.entry.time;
    if (last === undefined) return undefined;
    this.#m.expect(certificates);
    const refused = await this.#m.appendCommitted(entries);
    if (refused !== undefined) {
      if (refused !== "leader") this.#m.peerFault(peer, refused);
      return undefined;
    }
    this.#m.allowApplyThrough(last);
    if (!(await this.#m.appliedThrough(last))) return undefined;
    this.#m.logger.info("caught up entries from a peer", { peer, from, to: last });
    return last;
  }

  #batchFault(
    entries: readonly LogEntry[],
    certificates: readonly QuorumCertificate[],
    from: number,
  ): string | undefined {
    const first = entries[0];
    if (first !== undefined && first.entry.time !== from) return "fetch_wrong_start";
    for (const { entry } of entries) {
      const fault = this.#m.entryFault(entry);
      if (fault !== undefined) return fault;
    }
    const last = entries[entries.length - 1]?.entry.time ?? from - 1;
    for (const certificate of certificates) {
      const time = certificate.publishedData.publicationTime;
      if (time < from || time > last) return "certificate_out_of_range";
      const fault = certificateFault(certificate, this.#m.trust);
      if (fault !== undefined) return fault;
    }
    return undefined;
  }

  async #fetchReply(from: number, count: number): Promise<Uint8Array> {
    const to = Math.min(this.#m.applied(), from + count - 1);
    const entries = await this.#m.store.entries(from, to, count);
    const certificates = (await this.#m.store.certificates(from, to)).map((bytes) =>
      decodeQuorumCertificate(decodeTlv(bytes)),
    );
    const reply = encodeMessage({ kind: "fetch", entries, certificates });
    // Entries with many contributions can outgrow a message: then a smaller batch.
    if (count > 1 && reply.length > this.#options.limits.maxMessageBytes) {
      return this.#fetchReply(from, Math.floor(count / 2));
    }
    return reply;
  }

  async #ask(peer: string, message: Message, signal: AbortSignal): Promise<Message | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await this.#m.transport.request(peer, encodeMessage(message), signal);
    } catch (error) {
      this.#m.logger.debug("catch-up request failed", { peer, kind: message.kind, error });
      return undefined;
    }
    try {
      return decodeMessage(bytes, this.#options.limits);
    } catch (error) {
      this.#m.peerFault(peer, "malformed_reply");
      this.#m.logger.debug("malformed catch-up reply", { peer, error });
      return undefined;
    }
  }

  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    const clock = this.#m.clock;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clock.clearTimer(timer);
        signal.removeEventListener("abort", wake);
        resolve();
      };
      const timer = clock.setTimer(wake, ms);
      signal.addEventListener("abort", wake, { once: true });
    });
  }
}

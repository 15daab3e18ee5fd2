import {
  bytesEqual,
  decodePublicationData,
  decodeQuorumCertificate,
  decodeTlv,
  encodeQuorumCertificate,
  encodeTlv,
  type Imprint,
  type QuorumCertificate,
  type QuorumTrust,
} from "@tempel/proto";
import type { Logger } from "../logger/index.ts";
import { certificateFault, isValidShare, publishedDataBytes, type ShareSigner } from "./certificate.ts";
import type { Clock, TimerHandle } from "./clock.ts";
import type { Equivocation } from "./evidence.ts";
import type { Message } from "./messages.ts";
import type { AgreementMetrics } from "./metrics.ts";
import type { AgreementOptions } from "./options.ts";
import type { ConsensusStore } from "./store.ts";

export type CertifierOptions = Pick<
  AgreementOptions,
  "clockToleranceMs" | "certificationDeadlineMs" | "shareRetryMs"
>;

export interface CertifierModules {
  readonly selfId: string;
  /** The members' keys and the quorum. */
  readonly trust: QuorumTrust;
  readonly signer: ShareSigner;
  readonly store: ConsensusStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: AgreementMetrics;
  send(to: string, message: Message): void;
  broadcast(message: Message): void;
  /** Second `time` is certified and the certificate is stored. */
  certified(time: number): void;
  peerFault(peer: string, reason: string): void;
  /** A member signed two roots for one second. */
  equivocation(evidence: Equivocation): void;
  /** This node's calendar disagrees with what it signed or with a valid certificate: stop everything. */
  halt(reason: string, details: Record<string, unknown>): void;
}

type Share = { readonly root: Imprint; readonly signature: Uint8Array };

/**
 * Certificate shares and quorum certificates. A node signs the published data (t, calendar root at
 * t) only for an applied — hence committed — entry, only while its own clock says t ended no longer
 * than the tolerance ago, and only after the signed bytes are durable, so that it can never sign two
 * roots for one second, restarts included. Shares are re-broadcast until the second is certified; a
 * node that holds the certificate answers a re-broadcast share with it.
 */
export class Certifier {
  readonly #options: CertifierOptions;
  readonly #m: CertifierModules;
  /** Calendar roots of recent applied seconds: what shares and certificates are checked against. */
  readonly #roots = new Map<number, Imprint>();
  /** Valid shares per recent second, by member. */
  readonly #shares = new Map<number, Map<string, Uint8Array>>();
  /** The first valid share of each member per recent second, whatever its root: a second root is equivocation. */
  readonly #firstShares = new Map<number, Map<string, Share>>();
  /** Shares that arrived before their second was applied here, by member (checked once it is). */
  readonly #early = new Map<number, Map<string, Share>>();
  /** Valid certificates of seconds not applied here yet (catch-up, gossip). */
  readonly #expected = new Map<number, QuorumCertificate>();
  /** Own shares of seconds not yet certified here: re-broadcast until they are. */
  readonly #own = new Map<number, Share>();
  readonly #certified = new Map<number, QuorumCertificate>();
  readonly #forming = new Set<number>();
  readonly #timers = new Set<TimerHandle>();
  #applied = Number.NEGATIVE_INFINITY;
  #retryTimer: TimerHandle | undefined;
  #running = false;

  constructor(options: CertifierOptions, modules: CertifierModules) {
    this.#options = options;
    this.#m = modules;
  }

  /** Resumes re-broadcasting the shares this node signed before a restart and not yet saw certified. */
  async start(applied: number): Promise<void> {
    this.#applied = applied;
    this.#running = true;
    const now = this.#m.clock.now();
    const from = Math.floor((now - this.#options.certificationDeadlineMs) / 1000);
    for (const { time, publishedData } of await this.#m.store.signedRange(from, applied)) {
      if ((await this.#m.store.certificate(time)) !== undefined) continue;
      const root = decodePublishedRoot(publishedData);
      this.#roots.set(time, root);
      this.#own.set(time, { root, signature: await this.#m.signer.sign(publishedData) });
    }
    this.#scheduleRetry();
  }

  stop(): void {
    this.#running = false;
    if (this.#retryTimer !== undefined) this.#m.clock.clearTimer(this.#retryTimer);
    for (const timer of this.#timers) this.#m.clock.clearTimer(timer);
    this.#timers.clear();
  }

  /** The certificate of `time`, if this node has one. */
  async certificate(time: number): Promise<QuorumCertificate | undefined> {
    const cached = this.#certified.get(time);
    if (cached !== undefined) return cached;
    const bytes = await this.#m.store.certificate(time);
    return bytes === undefined ? undefined : decodeQuorumCertificate(decodeTlv(bytes));
  }

  /** Certificates (already verified) that catch-up fetched for seconds not applied yet. */
  expect(certificates: readonly QuorumCertificate[]): void {
    for (const c of certificates) {
      const time = c.publishedData.publicationTime;
      if (time > this.#applied) this.#expected.set(time, c);
    }
  }

  /**
   * Entry `time` is applied and the calendar root at `time` is `root`. Checks the root against what
   * this node signed and any certificate it holds for `time`, then signs if the clock allows.
   */
  async applied(time: number, root: Imprint): Promise<void> {
    this.#applied = time;
    const signed = await this.#m.store.signed(time);
    const message = publishedDataBytes(time, root);
    if (signed !== undefined && !bytesEqual(signed, message)) {
      this.#m.halt("calendar root differs from the one this node signed", { second: time });
      return;
    }
    const expected = this.#expected.get(time) ?? (await this.certificate(time));
    this.#expected.delete(time);
    if (expected !== undefined) {
      if (!bytesEqual(expected.publishedData.publishedHash, root)) {
        this.#m.halt("calendar root differs from a valid quorum certificate", { second: time });
        return;
      }
      await this.#adopt(time, expected);
      return;
    }
    if (this.#clock() - endOf(time) > this.#options.certificationDeadlineMs) return;
    this.#roots.set(time, root);
    const early = this.#early.get(time);
    this.#early.delete(time);
    for (const [member, share] of early ?? []) this.#checkShare(member, time, share);
    await this.#sign(time, root, signed !== undefined);
    await this.#maybeCertify(time);
  }

  /** A peer's share for `time`. */
  async share(from: string, time: number, share: Share): Promise<void> {
    const certificate = this.#certified.get(time);
    if (certificate !== undefined) {
      // The sender is still collecting: hand it the certificate instead of the share it lacks.
      if (bytesEqual(certificate.publishedData.publishedHash, share.root)) {
        this.#m.send(from, { kind: "certificate", certificate });
      }
      return;
    }
    if (this.#roots.has(time)) {
      this.#checkShare(from, time, share);
      await this.#maybeCertify(time);
      return;
    }
    if (time > this.#applied && this.#isRecent(time)) {
      let early = this.#early.get(time);
      if (early === undefined) {
        early = new Map();
        this.#early.set(time, early);
      }
      early.set(from, share);
      return;
    }
    this.#m.metrics.droppedMessages.inc({ reason: "stale_share" });
  }

  /** A certificate a peer sent. */
  async certificateReceived(from: string, certificate: QuorumCertificate): Promise<void> {
    const time = certificate.publishedData.publicationTime;
    if (this.#certified.has(time)) return;
    const fault = certificateFault(certificate, this.#m.trust);
    if (fault !== undefined) {
      this.#m.peerFault(from, fault);
      return;
    }
    const root = this.#roots.get(time);
    if (root === undefined) {
      if (time > this.#applied && this.#isRecent(time)) {
        this.#expected.set(time, certificate);
      }
      return;
    }
    if (!bytesEqual(root, certificate.publishedData.publishedHash)) {
      this.#m.halt("calendar root differs from a valid quorum certificate", { second: time, peer: from });
      return;
    }
    await this.#adopt(time, certificate);
  }

  /** Forgets per-second state older than the certification deadline. */
  prune(): void {
    const oldest = Math.floor((this.#clock() - this.#options.certificationDeadlineMs) / 1000) - 1;
    for (const map of [
      this.#roots,
      this.#shares,
      this.#firstShares,
      this.#early,
      this.#own,
      this.#certified,
    ]) {
      for (const time of map.keys()) if (time < oldest) map.delete(time);
    }
    for (const time of this.#expected.keys()) if (time <= this.#applied) this.#expected.delete(time);
  }

  async #sign(time: number, root: Imprint, alreadySigned: boolean): Promise<void> {
    const late = this.#clock() - endOf(time);
    if (late < 0) {
      // Our clock says t has not ended: it runs behind the leader's. Sign once it has.
      this.#m.metrics.signRefusals.inc({ reason: "not_ended" });
      this.#m.logger.warn("asked to sign a second that has not ended by this node's clock", {
        second: time,
        aheadMs: -late,
      });
      this.#after(-late, () => this.#sign(time, root, alreadySigned).then(() => this.#maybeCertify(time)));
      return;
    }
    if (late > this.#options.clockToleranceMs) {
      this.#m.metrics.signRefusals.inc({ reason: "too_old" });
      return;
    }
    const message = publishedDataBytes(time, root);
    if (!alreadySigned) await this.#m.store.saveSigned(time, message);
    const signature = await this.#m.signer.sign(message);
    this.#own.set(time, { root, signature });
    this.#sharesOf(time).set(this.#m.selfId, signature);
    this.#m.broadcast({ kind: "share", time, root, signature });
  }

  #checkShare(from: string, time: number, share: Share): void {
    if (!isValidShare(this.#m.trust, from, time, share.root, share.signature)) {
      this.#m.peerFault(from, "invalid_share");
      return;
    }
    this.#noteSigned(from, time, share);
    if (!bytesEqual(this.#roots.get(time)!, share.root)) {
      this.#m.peerFault(from, "share_root_mismatch");
      this.#m.logger.warn("peer signed a different calendar root", { peer: from, second: time });
      return;
    }
    this.#sharesOf(time).set(from, share.signature);
  }

  /** Keeps a member's first valid share of `time`; a valid one for another root is signed evidence. */
  #noteSigned(from: string, time: number, share: Share): void {
    let seen = this.#firstShares.get(time);
    if (seen === undefined) {
      seen = new Map();
      this.#firstShares.set(time, seen);
    }
    const first = seen.get(from);
    if (first === undefined) {
      seen.set(from, share);
      return;
    }
    if (bytesEqual(first.root, share.root)) return;
    const signed = (s: Share) => ({ statement: publishedDataBytes(time, s.root), signature: s.signature });
    this.#m.equivocation({
      kind: "share",
      member: from,
      slot: time,
      first: signed(first),
      second: signed(share),
    });
  }

  async #maybeCertify(time: number): Promise<void> {
    const shares = this.#shares.get(time);
    const root = this.#roots.get(time);
    if (shares === undefined || root === undefined || shares.size < this.#m.trust.quorum) return;
    if (this.#certified.has(time) || this.#forming.has(time)) return;
    const certificate: QuorumCertificate = {
      publishedData: { publicationTime: time, publishedHash: root },
      shares: [...shares]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([memberId, signature]) => ({ memberId, signature })),
    };
    this.#forming.add(time);
    try {
      await this.#adopt(time, certificate);
      this.#m.metrics.certificateLatency.observe((this.#clock() - endOf(time)) / 1000);
    } finally {
      this.#forming.delete(time);
    }
  }

  async #adopt(time: number, certificate: QuorumCertificate): Promise<void> {
    await this.#m.store.saveCertificate(time, encodeTlv(encodeQuorumCertificate(certificate)));
    this.#certified.set(time, certificate);
    this.#own.delete(time);
    this.#shares.delete(time);
    this.#m.certified(time);
  }

  #sharesOf(time: number): Map<string, Uint8Array> {
    let shares = this.#shares.get(time);
    if (shares === undefined) {
      shares = new Map();
      this.#shares.set(time, shares);
    }
    return shares;
  }

  #scheduleRetry(): void {
    if (!this.#running) return;
    this.#retryTimer = this.#m.clock.setTimer(() => {
      this.prune();
      for (const [time, share] of this.#own) this.#m.broadcast({ kind: "share", time, ...share });
      this.#scheduleRetry();
    }, this.#options.shareRetryMs);
  }

  #after(delayMs: number, task: () => Promise<void>): void {
    const timer = this.#m.clock.setTimer(() => {
      this.#timers.delete(timer);
      if (this.#running) task().catch((error: unknown) => this.#m.logger.error("signing failed", { error }));
    }, delayMs);
    this.#timers.add(timer);
  }

  #clock(): number {
    return this.#m.clock.now();
  }

  /**
   * Within the window in which a second can still be certified by an honest clock: what this node
   * keeps about seconds it has not applied yet is bounded by it, however far behind the node is.
   */
  #isRecent(time: number): boolean {
    const now = this.#clock();
    return (
      endOf(time) >= now - this.#options.certificationDeadlineMs &&
      endOf(time) <= now + this.#options.clockToleranceMs
    );
  }
}

function endOf(time: number): number {
  return (time + 1) * 1000;
}

function decodePublishedRoot(publishedData: Uint8Array): Imprint {
  return decodePublicationData(decodeTlv(publishedData)).publishedHash;
}

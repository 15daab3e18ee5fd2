import {
  bytesEqual,
  type CalendarConsistency,
  type CalendarHashChain,
  checkCalendarConsistency,
  checkQuorumCertificate,
  comparePublications,
  type DetachedCmsOptions,
  encodeCalendarChain,
  encodeQuorumCertificate,
  encodeTlv,
  type Hasher,
  type Imprint,
  PkiError,
  type PublicationRecord,
  type QuorumCertificate,
  type QuorumTrust,
  TempelError,
  toHex,
  verifyPublicationsFile,
} from "@tempel/proto";
import { AbortedError, OptionsError, ProtocolError } from "../errors.ts";
import type { Alert, AlertKind, ProofEvidence, RootEvidence } from "./alert.ts";
import { type MonitorClock, systemClock } from "./clock.ts";
import { MonitorMetrics } from "./monitor-metrics.ts";
import { NodeApi } from "./node-api.ts";
import { postAlert } from "./webhook.ts";

export interface MonitorOptions {
  /** Base URLs of every node of the cluster. */
  readonly nodes: readonly string[];
  /** The members' keys and quorum (from the genesis): what every certified root must carry. */
  readonly trust: QuorumTrust;
  /** How the publications file's signature is checked (the genesis authority); omit to not follow it. */
  readonly publicationsTrust?: DetachedCmsOptions;
  /** One round: every node's head is read and checked once per round. */
  readonly intervalMs?: number;
  /** How often the nodes' publications files are looked at (unchanged files are not sent again). */
  readonly publicationsIntervalMs?: number;
  /** Per request to a node. */
  readonly timeoutMs?: number;
  /** Where each alert is POSTed as JSON, with its evidence. */
  readonly webhookUrl?: string;
}

export const monitorDefaults = {
  intervalMs: 1000,
  publicationsIntervalMs: 10_000,
  timeoutMs: 5_000,
} as const;

export type MonitorLogLevel = "info" | "warn" | "error";
export type MonitorLog = (level: MonitorLogLevel, message: string, fields?: Record<string, unknown>) => void;

export interface MonitorModules {
  readonly fetch?: typeof globalThis.fetch;
  readonly clock?: MonitorClock;
  /** Alerts are logged at error level, unreachable nodes at warn. */
  readonly log?: MonitorLog;
  readonly metrics?: MonitorMetrics;
  /** Called with every alert, once per distinct finding. */
  readonly onAlert?: (alert: Alert) => void;
  /** What consistency proofs are recomputed with; nobleHasher if absent. */
  readonly hasher?: Hasher;
}

/** A certified calendar root as a node showed it. */
interface Seen {
  readonly node: string;
  readonly time: number;
  readonly root: Imprint;
  readonly certificate: QuorumCertificate;
}

interface Consistency {
  readonly verdict: CalendarConsistency | "root-mismatch";
  readonly proof?: ProofEvidence;
}

/** Findings remembered so that one fault raises one alert, not one per round; bounded. */
const MAX_REMEMBERED = 10_000;
/** Certificates already checked, so that a head seen at several nodes is verified once. */
const MAX_CHECKED_CERTIFICATES = 1_024;

/**
 * Watches a cluster for rewritten history. Each round it reads every node's newest certified root
 * and checks: its quorum certificate carries q valid member signatures; it extends the root the same
 * node showed before (a consistency proof from the node); and it belongs to the same calendar as the
 * newest root any node showed (a proof from that node). Every few rounds it also reads each node's
 * publications file: signed by the genesis authority, only ever grown at its end, and each new
 * publication's root is the calendar's root at its second, with a valid quorum certificate. A
 * mismatch raises an alert in the round that sees it: an error log line, the alert counter and gauge,
 * `onAlert`, and a POST to the webhook, all carrying both roots and the proof that they differ.
 */
export class Monitor {
  readonly #options: Required<Omit<MonitorOptions, "publicationsTrust" | "webhookUrl">> &
    Pick<MonitorOptions, "publicationsTrust" | "webhookUrl">;
  readonly #apis: ReadonlyMap<string, NodeApi>;
  readonly #fetch: typeof globalThis.fetch;
  readonly #clock: MonitorClock;
  readonly #log: MonitorLog;
  readonly #onAlert: ((alert: Alert) => void) | undefined;
  readonly #hasher: Hasher | undefined;
  readonly metrics: MonitorMetrics;
  readonly #last = new Map<string, Seen>();
  readonly #checkedCertificates = new Set<string>();
  readonly #raised = new Set<string>();
  readonly #fileEtags = new Map<string, string>();
  #publications: readonly PublicationRecord[] = [];
  #nextPublicationsCheck = 0;

  constructor(options: MonitorOptions, modules: MonitorModules = {}) {
    if (options.nodes.length === 0) throw new OptionsError("nodes: name at least one node to monitor");
    const positive = (value: number | undefined, name: string, fallback: number) => {
      const n = value ?? fallback;
      if (!Number.isSafeInteger(n) || n < 1) throw new OptionsError(`${name} must be a positive integer`);
      return n;
    };
    this.#options = {
      ...options,
      intervalMs: positive(options.intervalMs, "intervalMs", monitorDefaults.intervalMs),
      publicationsIntervalMs: positive(
        options.publicationsIntervalMs,
        "publicationsIntervalMs",
        monitorDefaults.publicationsIntervalMs,
      ),
      timeoutMs: positive(options.timeoutMs, "timeoutMs", monitorDefaults.timeoutMs),
    };
    this.#fetch = modules.fetch ?? globalThis.fetch.bind(globalThis);
    this.#hasher = modules.hasher;
    this.#apis = new Map(
      options.nodes.map((url) => {
        const api = new NodeApi(url, this.#fetch, this.#options.timeoutMs);
        return [api.url, api];
      }),
    );
    this.#clock = modules.clock ?? systemClock;
    this.#log = modules.log ?? (() => {});
    this.#onAlert = modules.onAlert;
    this.metrics = modules.metrics ?? new MonitorMetrics();
  }

  /** The publications checked so far: the cluster's file as far as it has been verified, in order. */
  get verifiedPublications(): readonly PublicationRecord[] {
    return this.#publications;
  }

  /**
   * Monitor until `signal` aborts (or `maxRounds` rounds are done): a round, a pause of `intervalMs`,
   * and again.
   */
  async run(signal: AbortSignal, maxRounds = Number.POSITIVE_INFINITY): Promise<void> {
    for (let done = 0; done < maxRounds && !signal.aborted; done++) {
      if (done > 0) {
        await this.#clock.sleep(this.#options.intervalMs, signal);
        if (signal.aborted) return;
      }
      try {
        await this.round(signal);
      } catch (error) {
        if (error instanceof AbortedError) return;
        throw error;
      }
    }
  }

  /** One round of checks over every node. */
  async round(signal?: AbortSignal): Promise<void> {
    const heads = await Promise.all([...this.#apis.values()].map((api) => this.#readHead(api, signal)));
    const accepted: Seen[] = [];
    for (const seen of heads) {
      if (seen === undefined || !(await this.#certified(seen))) continue;
      if (await this.#extendsLast(seen, signal)) accepted.push(seen);
    }
    const reference = accepted.reduce<Seen | undefined>(
      (a, b) => (a === undefined || b.time > a.time ? b : a),
      undefined,
    );
    if (reference !== undefined) {
      for (const seen of accepted)
        if (seen.node !== reference.node) await this.#sameCalendar(seen, reference, signal);
      const now = this.#clock.now();
      if (this.#options.publicationsTrust !== undefined && now >= this.#nextPublicationsCheck) {
        this.#nextPublicationsCheck = now + this.#options.publicationsIntervalMs;
        for (const api of this.#apis.values()) {
          await this.#checkPublications(api, reference, this.#options.publicationsTrust, signal);
        }
      }
    }
    this.metrics.round();
  }

  async #readHead(api: NodeApi, signal: AbortSignal | undefined): Promise<Seen | undefined> {
    try {
      const head = await api.head(signal);
      const certified = head.certified;
      this.metrics.node(api.url, true, certified?.time);
      return certified === undefined
        ? undefined
        : { node: api.url, time: certified.time, root: certified.root, certificate: certified.certificate };
    } catch (error) {
      this.#unanswered(api, error, signal);
      this.metrics.node(api.url, false);
      return undefined;
    }
  }

  /** Whether the root's quorum certificate holds; raises bad-certificate when it does not. */
  async #certified(seen: Seen): Promise<boolean> {
    // The head reader checked that the certificate is of this time and root: its bytes say it all.
    const key = toHex(encodeTlv(encodeQuorumCertificate(seen.certificate)));
    if (this.#checkedCertificates.has(key)) return true;
    const check = checkQuorumCertificate(seen.certificate, this.#options.trust);
    if (check.status !== "certified") {
      await this.#raise("bad-certificate", seen.node, {
        message: `${seen.node} shows calendar root ${seen.time} without a quorum of valid member signatures (${check.status})`,
        evidence: { found: rootEvidence(seen), detail: { check } },
      });
      return false;
    }
    remember(this.#checkedCertificates, key, MAX_CHECKED_CERTIFICATES);
    return true;
  }

  /** Whether `seen` extends the root its node showed before; raises rewritten-history when it does not. */
  async #extendsLast(seen: Seen, signal: AbortSignal | undefined): Promise<boolean> {
    const last = this.#last.get(seen.node);
    if (last !== undefined) {
      const [older, newer] = last.time <= seen.time ? [last, seen] : [seen, last];
      const consistency = await this.#consistency(this.#apis.get(seen.node)!, older, newer, signal);
      if (consistency === undefined) return false;
      if (consistency.verdict !== "consistent") {
        await this.#raise("rewritten-history", `${seen.node}|${last.time}`, {
          message: `${seen.node} rewrote its calendar: its root at ${seen.time} does not extend the root at ${last.time} it showed before (${consistency.verdict})`,
          evidence: { expected: rootEvidence(last), found: rootEvidence(seen), ...proofOf(consistency) },
        });
        return false;
      }
      if (seen.time < last.time) {
        this.#log("warn", "a node shows an older certified root than before (same history)", {
          node: seen.node,
          before: last.time,
          now: seen.time,
        });
        return true;
      }
    }
    this.#last.set(seen.node, seen);
    return true;
  }

  /** Raises fork when `seen` and the newest root of another node are not of one calendar. */
  async #sameCalendar(seen: Seen, reference: Seen, signal: AbortSignal | undefined): Promise<void> {
    const consistency = await this.#consistency(this.#apis.get(reference.node)!, seen, reference, signal);
    if (consistency === undefined || consistency.verdict === "consistent") return;
    await this.#raise("fork", [seen.node, reference.node].sort().join("|"), {
      message: `${seen.node} and ${reference.node} show roots of two different calendars (at ${seen.time} and ${reference.time}: ${consistency.verdict})`,
      evidence: { expected: rootEvidence(reference), found: rootEvidence(seen), ...proofOf(consistency) },
    });
  }

  /**
   * Whether `older` and `newer` are roots of one calendar, by a proof from `api`; undefined when the
   * node could not answer (that is no evidence of anything).
   */
  async #consistency(
    api: NodeApi,
    older: Pick<Seen, "time" | "root">,
    newer: Pick<Seen, "time" | "root">,
    signal: AbortSignal | undefined,
  ): Promise<Consistency | undefined> {
    if (older.time === newer.time) {
      return { verdict: bytesEqual(older.root, newer.root) ? "consistent" : "root-mismatch" };
    }
    let chain: CalendarHashChain;
    try {
      chain = await api.consistency(older.time, newer.time, signal);
    } catch (error) {
      this.#unanswered(api, error, signal);
      return undefined;
    }
    let verdict: CalendarConsistency;
    try {
      verdict = checkCalendarConsistency(
        chain,
        { publicationTime: older.time, publishedHash: older.root },
        { publicationTime: newer.time, publishedHash: newer.root },
        this.#hasher,
      );
    } catch (error) {
      // A proof hashed with an algorithm this build cannot compute proves nothing either way.
      if (!(error instanceof TempelError)) throw error;
      this.#unanswered(api, new ProtocolError("BAD_PROOF", `${api.url}: ${error.message}`), signal);
      return undefined;
    }
    return {
      verdict,
      proof: {
        node: api.url,
        from: older.time,
        to: newer.time,
        chain: toBase64(encodeTlv(encodeCalendarChain(chain))),
        verdict,
      },
    };
  }

  async #checkPublications(
    api: NodeApi,
    reference: Seen,
    trust: DetachedCmsOptions,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let answer: Awaited<ReturnType<NodeApi["publications"]>>;
    try {
      answer = await api.publications(this.#fileEtags.get(api.url), signal);
    } catch (error) {
      this.#unanswered(api, error, signal);
      return;
    }
    if (answer === undefined || answer === "unchanged") return;
    const done = () => {
      if (answer.etag !== undefined) this.#fileEtags.set(api.url, answer.etag);
    };
    let records: readonly PublicationRecord[];
    try {
      records = (await verifyPublicationsFile(answer.bytes, trust)).publications;
    } catch (error) {
      if (!(error instanceof TempelError)) throw error;
      await this.#raise("publications-untrusted", `${api.url}|${answer.etag}`, {
        message: `${api.url} serves a publications file the cluster's authority did not sign: ${error.message}`,
        evidence: { detail: { node: api.url, problem: error.message, signature: error instanceof PkiError } },
      });
      return done();
    }
    const growth = comparePublications(this.#publications, records);
    if (growth.kind === "conflict") {
      const at = growth.offered.publishedData;
      await this.#raise("publications-rewritten", `${api.url}|${at.publicationTime}|${growth.reason}`, {
        message: `${api.url}'s publications file rewrites publication ${at.publicationTime} (${growth.reason})`,
        evidence: {
          ...(growth.held !== undefined && { expected: publicationEvidence("monitor", growth.held) }),
          found: publicationEvidence(api.url, growth.offered),
          detail: { reason: growth.reason },
        },
      });
      return done();
    }
    if (growth.kind !== "extends") return done();
    // A record past the newest certified root is checked in a later round, once a root covers it.
    if (growth.added.some((record) => record.publishedData.publicationTime > reference.time)) return;
    for (const record of growth.added) {
      if (!(await this.#publicationHolds(api, record, reference, signal))) return done();
    }
    this.#publications = records;
    done();
  }

  /** Whether a new publication is certified and is the calendar's root at its second. */
  async #publicationHolds(
    api: NodeApi,
    record: PublicationRecord,
    reference: Seen,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const { publicationTime: time, publishedHash: root } = record.publishedData;
    const found = publicationEvidence(api.url, record);
    const certificate = record.quorumCertificate;
    const check =
      certificate === undefined ? undefined : checkQuorumCertificate(certificate, this.#options.trust);
    if (
      certificate === undefined ||
      check?.status !== "certified" ||
      certificate.publishedData.publicationTime !== time ||
      !bytesEqual(certificate.publishedData.publishedHash, root)
    ) {
      await this.#raise("publication-mismatch", `${time}|${toHex(root)}|certificate`, {
        message: `${api.url} publishes root ${time} without a quorum certificate of it`,
        evidence: { found, detail: { check: check ?? "no certificate" } },
      });
      return false;
    }
    const consistency = await this.#consistency(
      this.#apis.get(reference.node)!,
      { time, root },
      reference,
      signal,
    );
    if (consistency === undefined) return false;
    if (consistency.verdict === "consistent") return true;
    await this.#raise("publication-mismatch", `${time}|${toHex(root)}|calendar`, {
      message: `${api.url} publishes a root for ${time} that is not the calendar's (${consistency.verdict} against ${reference.node}'s root at ${reference.time})`,
      evidence: { expected: rootEvidence(reference), found, ...proofOf(consistency) },
    });
    return false;
  }

  /**
   * Raise an alert once per `key`: a fault that persists (a forked node keeps serving its calendar)
   * is one finding, not one per round; the gauge stays up meanwhile.
   */
  async #raise(kind: AlertKind, key: string, alert: Pick<Alert, "message" | "evidence">): Promise<void> {
    const id = `${kind}|${key}`;
    if (this.#raised.has(id)) return;
    remember(this.#raised, id, MAX_REMEMBERED);
    const raised: Alert = { kind, raisedAt: this.#clock.now(), ...alert };
    this.metrics.alert(kind);
    this.#log("error", alert.message, { alert: raised });
    this.#onAlert?.(raised);
    const webhookUrl = this.#options.webhookUrl;
    if (webhookUrl === undefined) return;
    const problem = await postAlert(raised, {
      url: webhookUrl,
      timeoutMs: this.#options.timeoutMs,
      fetch: this.#fetch,
    });
    if (problem !== undefined) this.#log("warn", "alert not delivered to the webhook", { kind, problem });
  }

  #unanswered(api: NodeApi, error: unknown, signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new AbortedError(signal.reason);
    if (!(error instanceof TempelError)) throw error;
    this.#log("warn", "node did not answer", { node: api.url, problem: error.message });
  }
}

function rootEvidence(seen: Seen): RootEvidence {
  return evidenceOf(seen.node, seen.time, seen.root, seen.certificate);
}

function publicationEvidence(node: string, record: PublicationRecord): RootEvidence {
  const { publicationTime, publishedHash } = record.publishedData;
  return evidenceOf(node, publicationTime, publishedHash, record.quorumCertificate);
}

function evidenceOf(
  node: string,
  time: number,
  root: Imprint,
  certificate: QuorumCertificate | undefined,
): RootEvidence {
  return {
    node,
    time,
    root: toHex(root),
    ...(certificate !== undefined && {
      certificate: toBase64(encodeTlv(encodeQuorumCertificate(certificate))),
    }),
  };
}

function proofOf(consistency: Consistency): { proof?: ProofEvidence } {
  return consistency.proof === undefined ? {} : { proof: consistency.proof };
}

function remember(set: Set<string>, key: string, limit: number): void {
  if (set.size >= limit) set.delete(set.values().next().value!);
  set.add(key);
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

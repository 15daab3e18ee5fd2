import {
  bytesEqual,
  type CalendarHashChain,
  encodePublicationString,
  encodePublicationsFile,
  type Imprint,
  nextPublicationTime,
  type PublicationRecord,
  type PublicationSchedule,
  type PublicationsAuthority,
  type QuorumCertificate,
  type QuorumTrust,
  toHex,
} from "@tempel/proto";
import type { Logger } from "../logger/index.ts";
import { PublicationError } from "./errors.ts";
import type { PublicationMetrics } from "./metrics.ts";
import { judgeOfferedFile } from "./offered-file.ts";
import type { PublicationOptions } from "./options.ts";
import { fetchPeerFile } from "./peer-file.ts";
import type { PublicationStore } from "./publication-store.ts";
import type { PublicationsKey } from "./publications-key.ts";
import { publicationsFileContent, type ServedFile, servedFile } from "./served-file.ts";
import { storedPublicationProblems } from "./stored-check.ts";

/** What the genesis fixes about publications. */
export interface PublicationCluster {
  readonly genesisTime: number;
  readonly schedule: PublicationSchedule;
  readonly authority: PublicationsAuthority;
  /** The members' Ed25519 keys and the quorum: what each record's quorum certificate must satisfy. */
  readonly trust: QuorumTrust;
  /** DER calendar-authentication certificates of the members in genesis order. */
  readonly memberCertificates: readonly Uint8Array[];
  /** API base URLs of the other members. */
  readonly peerUrls: readonly string[];
}

/** The node's calendar as publications read it (NodeCalendar, plus `firstCertificate`). */
export interface PublicationCalendar {
  readonly genesisTime: number;
  readonly head: number;
  rootAt(time: number): Promise<Imprint>;
  chain(time: number, rootTime: number): Promise<CalendarHashChain>;
  certificate(time: number): Promise<QuorumCertificate | undefined>;
  /** The quorum certificate of the first certified second at or after `time`. */
  firstCertificate(time: number): Promise<QuorumCertificate | undefined>;
}

export interface PublicationModules {
  readonly store: Pick<PublicationStore, "load" | "append">;
  readonly calendar: PublicationCalendar;
  /** The publications key when this node publishes; without it the node mirrors its peers' file. */
  readonly key: PublicationsKey | undefined;
  readonly logger: Logger;
  readonly metrics: PublicationMetrics;
  /** Wall clock in milliseconds. */
  readonly now: () => number;
  readonly fetch: typeof globalThis.fetch;
}

/** How often the service looks whether a publication is due. */
const STEP_MS = 1000;
/** Publications checked at every start; `tempel-node check` checks them all. */
const STARTUP_CHECKED_RECORDS = 16;

/**
 * The cluster's publications on one node. At each publication time of the schedule, a node holding
 * the publications key takes the certified calendar root of that second (or, if that second was
 * never certified, of the first certified second after it) with its quorum certificate as a
 * publication record, appends it to the publications file and signs the file. Every node, the
 * publisher included, also takes a newer file from its peers once it has checked it (judgeOfferedFile),
 * so all nodes serve the publisher's bytes; see docs/publications.md for why one signer.
 */
export class PublicationService {
  readonly #options: PublicationOptions;
  readonly #cluster: PublicationCluster;
  readonly #modules: PublicationModules;
  #file: ServedFile | undefined;
  #nextPoll = 0;
  #timer: NodeJS.Timeout | undefined;
  #stepping: Promise<void> | undefined;
  #stopped = false;

  private constructor(
    options: PublicationOptions,
    cluster: PublicationCluster,
    modules: PublicationModules,
    file: ServedFile | undefined,
  ) {
    this.#options = options;
    this.#cluster = cluster;
    this.#modules = modules;
    this.#file = file;
  }

  /**
   * Load the stored publications, refusing (PublicationError STORE_CORRUPT) when the newest of them
   * do not check out (storedPublicationProblems): a node never serves a file it cannot vouch for.
   */
  static async open(
    options: PublicationOptions,
    cluster: PublicationCluster,
    modules: PublicationModules,
  ): Promise<PublicationService> {
    const file = await servedFile(cluster.memberCertificates, await modules.store.load());
    const problems = await storedPublicationProblems(file, {
      authority: cluster.authority,
      trust: cluster.trust,
      calendar: modules.calendar,
      recent: STARTUP_CHECKED_RECORDS,
    });
    if (problems.length > 0) {
      throw new PublicationError(
        "STORE_CORRUPT",
        `the stored publications are corrupt; refusing to serve them:\n  ${problems.join("\n  ")}`,
        { problems },
      );
    }
    const service = new PublicationService(options, cluster, modules, file);
    service.#reportHeld();
    return service;
  }

  /** The file served now; undefined before the cluster's first publication reached this node. */
  get file(): ServedFile | undefined {
    return this.#file;
  }

  start(): void {
    const loop = () => {
      if (this.#stopped) return;
      this.#stepping = this.step()
        .catch((error: unknown) => this.#modules.logger.error("publication step failed", { error }))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(loop, STEP_MS);
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#stepping;
  }

  /**
   * One pass, which the loop makes every second: when a publication is due and missing here, look at
   * the peers' files (at most every `pollSeconds`), then publish what is due if this node holds the key.
   */
  async step(): Promise<void> {
    const nowSeconds = Math.floor(this.#modules.now() / 1000);
    if (this.#nextDue() > nowSeconds) return;
    if (nowSeconds >= this.#nextPoll) {
      this.#nextPoll = nowSeconds + this.#options.pollSeconds;
      await this.#adoptFromPeers();
    }
    if (this.#modules.key !== undefined) await this.#publishDue(this.#modules.key, nowSeconds);
  }

  /** The next publication time after the last one held (after genesis when none is). */
  #nextDue(): number {
    const last = this.#file?.records.at(-1)?.publishedData.publicationTime;
    return nextPublicationTime(this.#cluster.schedule, last ?? this.#cluster.genesisTime - 1);
  }

  async #adoptFromPeers(): Promise<void> {
    const { logger, metrics, calendar } = this.#modules;
    for (const apiUrl of this.#cluster.peerUrls) {
      let answer: Awaited<ReturnType<typeof fetchPeerFile>>;
      try {
        answer = await fetchPeerFile({
          apiUrl,
          etag: this.#file?.etag,
          maxBytes: this.#options.maxFileBytes,
          timeoutMs: this.#options.peerTimeoutMs,
          fetch: this.#modules.fetch,
        });
      } catch (error) {
        logger.debug("peer publications file unavailable", { peer: apiUrl, error });
        continue;
      }
      if (answer.kind !== "file") continue;
      const verdict = await judgeOfferedFile(answer.bytes, {
        authority: this.#cluster.authority,
        trust: this.#cluster.trust,
        memberCertificates: this.#cluster.memberCertificates,
        held: this.#file?.records ?? [],
        calendar,
      });
      if (verdict.kind === "reject") {
        metrics.peerFileRejections.inc({ reason: verdict.reason });
        logger.error("peer's publications file refused", {
          peer: apiUrl,
          reason: verdict.reason,
          problem: verdict.message,
        });
      } else if (verdict.kind === "adopt") {
        await this.#append(verdict.added, verdict.signature);
        logger.info("publications file taken from a peer", {
          peer: apiUrl,
          publications: verdict.added.map((r) => r.publishedData.publicationTime),
        });
      }
    }
  }

  /** Publish every publication time that is due, in order, and sign the file once. */
  async #publishDue(key: PublicationsKey, nowSeconds: number): Promise<void> {
    const { calendar, logger } = this.#modules;
    const records: PublicationRecord[] = [];
    let last = this.#file?.records.at(-1)?.publishedData.publicationTime ?? this.#cluster.genesisTime - 1;
    for (;;) {
      const scheduled = nextPublicationTime(this.#cluster.schedule, last);
      if (scheduled > nowSeconds - this.#options.publishDelaySeconds) break;
      let certificate = await calendar.certificate(scheduled);
      if (certificate === undefined) {
        if (nowSeconds < scheduled + this.#options.certificationWaitSeconds) break;
        certificate = await calendar.firstCertificate(scheduled);
      }
      if (certificate === undefined || certificate.publishedData.publicationTime > calendar.head) break;
      const time = certificate.publishedData.publicationTime;
      const root = await calendar.rootAt(time);
      if (!bytesEqual(root, certificate.publishedData.publishedHash)) {
        // Agreement halts on such a contradiction; never publish either root.
        logger.error("quorum certificate contradicts the calendar; not publishing", { time });
        break;
      }
      records.push({
        publishedData: { publicationTime: time, publishedHash: root },
        references: [],
        repositoryUris: [],
        quorumCertificate: certificate,
      });
      last = time;
    }
    if (records.length === 0) return;
    const signedBytes = await encodePublicationsFile(
      publicationsFileContent(this.#cluster.memberCertificates, [...(this.#file?.records ?? []), ...records]),
    );
    await this.#append(records, await key.signer(last)(signedBytes));
    for (const record of records) {
      this.#modules.metrics.published.inc();
      logger.info("published", {
        time: record.publishedData.publicationTime,
        root: toHex(record.publishedData.publishedHash),
        publicationString: encodePublicationString(record.publishedData),
      });
    }
  }

  async #append(records: readonly PublicationRecord[], signature: Uint8Array): Promise<void> {
    await this.#modules.store.append(records, signature);
    this.#file = await servedFile(this.#cluster.memberCertificates, {
      records: [...(this.#file?.records ?? []), ...records],
      signature,
    });
    this.#reportHeld();
  }

  #reportHeld(): void {
    const last = this.#file?.records.at(-1);
    if (last !== undefined) this.#modules.metrics.latestPublication.set(last.publishedData.publicationTime);
  }
}

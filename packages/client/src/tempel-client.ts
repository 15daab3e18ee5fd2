import {
  AggregationTree,
  checkQuorumCertificate,
  firstPublicationCovering,
  type Hasher,
  type Imprint,
  type KsiSignature,
  MAX_AGGREGATION_LEVEL,
  MAX_PUBLICATIONS_FILE_BYTES,
  nobleHasher,
  type PublicationData,
  type PublicationRecord,
  type PublicationsFile,
  TempelError,
  type VerificationResult,
} from "@tempel/proto";
import { type CalendarHead, type CertifiedRoot, readCalendarHead } from "./cluster/calendar-head.ts";
import { type NodeStatusReport, readNodeStatus } from "./cluster/node-status.ts";
import { AbortedError, NetworkError, NotYetAvailableError, OptionsError, ProtocolError } from "./errors.ts";
import { extendedSignature, type RootRecords } from "./extending/extended-signature.ts";
import { requestCalendarChain } from "./extending/extender.ts";
import {
  agencyCredentials,
  checkEndpoints,
  chosenTransport,
  clientDefaults,
  type TempelClientOptions,
  usableAlgorithm,
} from "./options.ts";
import { Signature, type SignatureVerifier } from "./signature.ts";
import { requestSignature } from "./signing/aggregator.ts";
import { leafSignatures } from "./signing/local-tree.ts";
import { imprintOf, type SignInput } from "./signing/sign-input.ts";
import { type SignManyOptions, signInBatches, signManyDefaults } from "./signing/sign-many.ts";
import { bytesAnswer } from "./transport/bytes-answer.ts";
import { EndpointPool, type EndpointPoolOptions } from "./transport/endpoint-pool.ts";
import { jsonAnswer } from "./transport/json-request.ts";
import { KsiChannel } from "./transport/ksi-channel.ts";
import { PublicationsSource } from "./trust/publications-source.ts";
import { type PublicationsTrust, type ResolvedTrust, resolveTrust } from "./trust/trust-options.ts";
import { type VerifyOptions, verifyKsiSignature } from "./verification/verify.ts";

export interface SignOptions {
  /**
   * The level of an imprint in the caller's own aggregation tree (0 for a plain hash), at most the
   * node's maximum level (20 by default). The signature holds it in its first link's level
   * correction; verify with the same level.
   */
  readonly level?: number;
  readonly signal?: AbortSignal;
}

/**
 * Where to extend a signature to: a Unix second, the newest certified calendar root ("latest"), the
 * first publication of the cluster's publications file after the signing second ("publication"), or
 * a given publication (e.g. decoded from a printed publication code).
 */
export type ExtendTarget = number | "latest" | "publication" | PublicationData | PublicationRecord;

export interface ExtendOptions {
  /** Default: "latest". */
  readonly to?: ExtendTarget;
  readonly signal?: AbortSignal;
}

/** The calendar root a signature is to be extended to, and what certifies it. */
interface ExtensionGoal extends RootRecords {
  readonly publicationTime: number;
  /**
   * The root itself when a quorum or a checked publications file vouches for it: a node whose chain
   * does not reach it is treated as failed. A publication the caller gives is the caller's word, so a
   * chain that misses it contradicts the publication (PUB-01) instead.
   */
  readonly root?: Imprint;
}

function checkLevel(level = 0): number {
  if (!Number.isInteger(level) || level < 0 || level > MAX_AGGREGATION_LEVEL) {
    throw new OptionsError(`level ${level} is outside 0..${MAX_AGGREGATION_LEVEL}`);
  }
  return level;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new OptionsError(`${name} must be a positive integer`);
  return value;
}

/**
 * The Tempel SDK: signs, extends and verifies KSI signatures with a cluster's nodes, failing over
 * between them. Every call takes an AbortSignal; failures are typed (NetworkError: no node reachable,
 * ServiceError: a node refused, with the KSI status; ProtocolError: a node answered wrongly;
 * VerificationError: a signature contradicts the calendar).
 */
export class TempelClient implements SignatureVerifier {
  readonly #poolOptions: EndpointPoolOptions;
  readonly #pool: EndpointPool;
  readonly #channel: KsiChannel | undefined;
  readonly #trust: ResolvedTrust;
  readonly #publications: PublicationsSource | undefined;
  readonly #hashAlgorithm: number;
  /** What this client hashes with (TempelClientOptions.hasher). */
  readonly hasher: Hasher;

  constructor(options: TempelClientOptions) {
    checkEndpoints(options.endpoints);
    const transport = chosenTransport(options);
    this.#poolOptions = {
      endpoints: options.endpoints,
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.retries !== undefined && { retries: options.retries }),
      ...(options.hedgeAfterMs !== undefined && { hedgeAfterMs: options.hedgeAfterMs }),
      ...(options.backoffMs !== undefined && { backoffMs: options.backoffMs }),
      ...(options.quarantineMs !== undefined && { quarantineMs: options.quarantineMs }),
      ...(transport !== undefined && { transport }),
    };
    this.#pool = new EndpointPool(this.#poolOptions);
    this.hasher = options.hasher ?? nobleHasher;
    this.#hashAlgorithm = usableAlgorithm(
      options.hashAlgorithm ?? clientDefaults.hashAlgorithm,
      "hashAlgorithm",
    );
    const hmacAlgorithm = usableAlgorithm(
      options.hmacAlgorithm ?? clientDefaults.hmacAlgorithm,
      "hmacAlgorithm",
    );
    this.#channel =
      options.agency === undefined
        ? undefined
        : new KsiChannel(this.#pool, agencyCredentials(options.agency), hmacAlgorithm, this.hasher);
    this.#trust = resolveTrust(options.trust);
    const publications = this.#trust.publications;
    this.#publications =
      publications === undefined
        ? undefined
        : this.#publicationsSource(
            publications,
            options.publicationsTtlMs ?? clientDefaults.publicationsTtlMs,
          );
  }

  /**
   * The publications file from its own URL, or else from the nodes (GET /v1/publications) with failover.
   * Its signature, not its source, makes it trusted: when the named URL cannot be reached or answers
   * garbage, the nodes' copy serves as well.
   */
  #publicationsSource(trust: PublicationsTrust, ttlMs: number): PublicationsSource {
    const answer = bytesAnswer(MAX_PUBLICATIONS_FILE_BYTES, "publications file");
    const fromNodes = (signal?: AbortSignal) =>
      this.#pool.request("/v1/publications", { method: "GET" }, answer, signal);
    const url = trust.url === undefined ? undefined : new URL(trust.url);
    if (url === undefined) {
      return new PublicationsSource({
        where: "the cluster's nodes (/v1/publications)",
        load: fromNodes,
        signer: trust.signer,
        ttlMs,
        now: Date.now,
      });
    }
    const named = new EndpointPool({ ...this.#poolOptions, endpoints: [url.origin], retries: 0 });
    const path = `${url.pathname}${url.search}`;
    return new PublicationsSource({
      where: `${url.href} (else the cluster's nodes)`,
      load: (signal) =>
        named.request(path, { method: "GET" }, answer, signal).catch((error: unknown) => {
          if (error instanceof NetworkError || error instanceof ProtocolError) return fromNodes(signal);
          throw error;
        }),
      signer: trust.signer,
      ttlMs,
      now: Date.now,
    });
  }

  /** Hash `input` here and have the cluster sign the hash. */
  async sign(input: SignInput, options: SignOptions = {}): Promise<Signature> {
    const channel = this.#ksi();
    const level = checkLevel(options.level);
    const imprint = await imprintOf(input, this.#hashAlgorithm, options.signal, this.hasher);
    return this.#bound(
      await requestSignature(channel, imprint, level, this.#trust.quorumTrust, options.signal),
    );
  }

  /**
   * Sign many inputs: each batch of `batchSize` hashes is aggregated here into one tree whose root
   * the cluster signs, and `concurrency` batches are in flight at once. Signatures come back in input
   * order; the first failure cancels the rest.
   */
  async signMany(
    inputs: Iterable<SignInput> | AsyncIterable<SignInput>,
    options: SignManyOptions = {},
  ): Promise<Signature[]> {
    const channel = this.#ksi();
    const level = checkLevel(options.level);
    const batchSize = positiveInteger(options.batchSize ?? signManyDefaults.batchSize, "batchSize");
    const concurrency = positiveInteger(options.concurrency ?? signManyDefaults.concurrency, "concurrency");
    const signatures = await signInBatches(
      inputs,
      (input, signal) => imprintOf(input, this.#hashAlgorithm, signal, this.hasher),
      (imprints, signal) => this.#signBatch(channel, imprints, level, signal),
      { ...options, batchSize, concurrency },
    );
    return signatures.map((signature) => this.#bound(signature));
  }

  async #signBatch(
    channel: KsiChannel,
    imprints: readonly Imprint[],
    level: number,
    signal: AbortSignal,
  ): Promise<KsiSignature[]> {
    const trust = this.#trust.quorumTrust;
    if (imprints.length === 1) return [await requestSignature(channel, imprints[0]!, level, trust, signal)];
    const tree = new AggregationTree(
      imprints.map((imprint) => ({ imprint, level })),
      { algorithm: this.#hashAlgorithm, hasher: this.hasher },
    );
    // The root's signature is checked against the quorum; the leaves' only add this tree's links to it.
    return leafSignatures(tree, await requestSignature(channel, tree.root, tree.rootLevel, trust, signal));
  }

  /**
   * Extend `signature` to a later calendar root (default: the newest certified one), so that it
   * verifies against that root's certificate or publication without the records it had.
   */
  async extend(signature: Signature, options: ExtendOptions = {}): Promise<Signature> {
    const { signal } = options;
    const channel = this.#ksi();
    const goal = await this.#extensionGoal(signature, options.to ?? "latest", signal);
    const chain = await requestCalendarChain(
      channel,
      signature.aggregationTime,
      goal.publicationTime,
      signal,
      goal.root,
    );
    return this.#bound(await extendedSignature(signature.ksi, chain, goal, this.hasher));
  }

  async #extensionGoal(signature: Signature, to: ExtendTarget, signal?: AbortSignal): Promise<ExtensionGoal> {
    if (typeof to === "number") {
      if (!Number.isSafeInteger(to) || to < 0) throw new OptionsError(`to: ${to} is not a Unix second`);
      return { publicationTime: to };
    }
    if (to === "latest") {
      const certified = await this.#certifiedHead(signal);
      return {
        publicationTime: certified.time,
        quorumCertificate: certified.certificate,
        root: certified.root,
      };
    }
    if (to === "publication") {
      const file = await this.publications({ signal });
      const record = firstPublicationCovering(file.publications, signature.aggregationTime);
      if (record === undefined) {
        throw new NotYetAvailableError(
          "NOT_YET_PUBLISHED",
          "the publications file has no publication after the signing second yet: extend to the latest certified root, or wait for the next publication",
        );
      }
      return {
        publicationTime: record.publishedData.publicationTime,
        publicationRecord: record,
        root: record.publishedData.publishedHash,
      };
    }
    const record = "publishedData" in to ? to : { publishedData: to, references: [], repositoryUris: [] };
    return { publicationTime: record.publishedData.publicationTime, publicationRecord: record };
  }

  /**
   * The newest calendar root a quorum of the trusted members certified. A node whose head is not so
   * certified is treated as failed; without the members nothing a node says about its head can be
   * checked, so extending to "latest" needs them.
   */
  async #certifiedHead(signal: AbortSignal | undefined): Promise<CertifiedRoot> {
    const trust = this.#trust.quorumTrust;
    if (trust === undefined) {
      throw new OptionsError(
        'extending to "latest" needs the cluster\'s members to check the head\'s quorum certificate: give trust.genesis (or members and quorum), or extend to "publication"',
      );
    }
    const read = (json: unknown, endpoint: string): CertifiedRoot | undefined => {
      const { certified } = readCalendarHead(json, endpoint);
      const check =
        certified === undefined ? undefined : checkQuorumCertificate(certified.certificate, trust);
      if (check !== undefined && check.status !== "certified") {
        throw new ProtocolError(
          "BAD_CERTIFICATE",
          `${endpoint}: the calendar head's quorum certificate is not signed by a quorum of the trusted members (${check.status})`,
        );
      }
      return certified;
    };
    const certified = await this.#pool.request(
      "/v1/calendar/head",
      { method: "GET" },
      jsonAnswer(read),
      signal,
    );
    if (certified === undefined) {
      throw new NotYetAvailableError("NOT_YET_CERTIFIED", "the cluster has certified no calendar root yet");
    }
    return certified;
  }

  /**
   * Verify `signature` (against `document` when given) with this cluster's members and quorum, its
   * extender and its publications file, as far as the options name them.
   */
  verify(
    signature: Signature,
    document?: SignInput,
    options: VerifyOptions = {},
  ): Promise<VerificationResult> {
    const publications = this.#publications;
    const channel = this.#channel;
    return verifyKsiSignature(signature.ksi, document, options, {
      hasher: this.hasher,
      ...(this.#trust.quorumTrust !== undefined && { quorumTrust: this.#trust.quorumTrust }),
      ...(channel !== undefined && {
        extender: (time, publicationTime, signal) =>
          requestCalendarChain(channel, time, publicationTime, signal),
      }),
      ...(publications !== undefined && { publicationsFile: (signal) => publications.get(signal) }),
    });
  }

  /** A signature read from bytes, verified with this client's cluster. */
  decode(bytes: Uint8Array): Signature {
    return Signature.decode(bytes, this);
  }

  /** The cluster's publications file, checked against the trust anchors (cached for a while). */
  publications(options: { readonly signal?: AbortSignal } = {}): Promise<PublicationsFile> {
    if (this.#publications === undefined) {
      return Promise.reject(
        new OptionsError(
          "no publications file to trust: give trust.trustAnchors (and publicationsFileUrl), or a genesis that names a publications authority",
        ),
      );
    }
    return this.#publications.get(options.signal);
  }

  /** The calendar's end as one of the nodes sees it, with the newest certified root. */
  head(options: { readonly signal?: AbortSignal } = {}): Promise<CalendarHead> {
    return this.#pool.request(
      "/v1/calendar/head",
      { method: "GET" },
      jsonAnswer(readCalendarHead),
      options.signal,
    );
  }

  /** Every endpoint's own status, asked in parallel; a node that does not answer is reported with why. */
  status(options: { readonly signal?: AbortSignal } = {}): Promise<NodeStatusReport[]> {
    return Promise.all(
      this.#pool.endpoints.map(async (endpoint): Promise<NodeStatusReport> => {
        const single = new EndpointPool({ ...this.#poolOptions, endpoints: [endpoint], retries: 0 });
        try {
          const status = await single.request(
            "/v1/status",
            { method: "GET" },
            jsonAnswer(readNodeStatus),
            options.signal,
          );
          return { endpoint, status };
        } catch (error) {
          if (!(error instanceof TempelError) || error instanceof AbortedError) throw error;
          return { endpoint, error };
        }
      }),
    );
  }

  /** The KSI services speak only to a known agency. */
  #ksi(): KsiChannel {
    if (this.#channel === undefined) {
      throw new OptionsError("this client has no agency: give agency {loginId, key} to sign or extend");
    }
    return this.#channel;
  }

  #bound(signature: KsiSignature): Signature {
    return new Signature(signature, this);
  }
}

import { timingSafeEqual } from "node:crypto";
import {
  encodeTstInfo,
  type Hasher,
  parseTimeStampRequest,
  rejectionResponse,
  TimeStampRefusal,
  type TimeStampRequest,
  TokenWriter,
} from "@tempel/proto";
import type {
  Agency,
  AgencyRegistry,
  HashRequest,
  RoundAnswer,
  RoundPipeline,
} from "../aggregation/index.ts";
import { RoundRejection } from "../aggregation/index.ts";
import type { Logger } from "../logger/index.ts";
import { TsaError } from "./errors.ts";
import type { TsaMetrics } from "./metrics.ts";
import type { TsaOptions } from "./options.ts";
import type { TsaSigner } from "./signer.ts";
import type { SigningPool } from "./signing-pool.ts";

export interface TsaModules {
  readonly rounds: Pick<RoundPipeline, "submit">;
  readonly agencies: AgencyRegistry;
  readonly signer: TsaSigner;
  /** What the TSTInfo's messageDigest is computed with (node:crypto in the node). */
  readonly hasher: Hasher;
  /** Where tokens are signed: worker threads, or inline. */
  readonly signing: Pick<SigningPool, "sign">;
  /** This node's position among the genesis members: its part of every serial number. */
  readonly memberIndex: number;
  /** Hashes per second the open TSA may submit (access `open`), as one agency. */
  readonly openQuotaPerSecond: number;
  readonly metrics: TsaMetrics;
  readonly logger: Logger;
}

/** What the TLS layer says of a client's certificate. */
export interface ClientCertificate {
  readonly present: boolean;
  /** Chained to the client CA and valid now (node:tls checked it). */
  readonly authorized: boolean;
  readonly authorizationError?: string;
  /** The subject's one CN, if it has exactly one. */
  readonly commonName?: string;
}

/** Members a serial number can tell apart: 16 bits of it (the genesis allows far fewer). */
const MAX_MEMBERS = 1 << 16;
const LEAF_BITS = 32n;
const MEMBER_BITS = 16n;
const GRANTED_LABELS = { status: "granted", fail_info: "" } as const;
const OID_TEXT = /^[0-2](\.(0|[1-9]\d{0,40})){1,30}$/;

/**
 * Serial numbers unique across the cluster without coordination: genTime's second, the member's
 * index and the hash's leaf in that member's tree for the second. A member contributes at most one
 * local tree per certified second (a second is certified once; a missed round is carried into a later
 * second), a token is issued only for a leaf of the tree that was certified, and within the tree every
 * hash has its own leaf. About 80 bits, well inside the 160 RFC 3161 clients must take.
 */
export function tokenSerial(second: number, memberIndex: number, leaf: number): bigint {
  return (((BigInt(second) << MEMBER_BITS) | BigInt(memberIndex)) << LEAF_BITS) | BigInt(leaf);
}

/**
 * The node's RFC 3161 time-stamping authority. A request's imprint joins the node's one-second round
 * like any KSI request; once the round is certified, the token gets the round's second as genTime,
 * is signed with the node's TSA key, and carries the KSI signature of the imprint as an unsigned
 * attribute, so that the time stays provable without the TSA key.
 */
export class TimeStampAuthority {
  readonly #options: TsaOptions;
  readonly #modules: TsaModules;
  readonly #openAgency: Agency;
  readonly #writer: TokenWriter;

  constructor(options: TsaOptions, modules: TsaModules) {
    if (
      !Number.isInteger(modules.memberIndex) ||
      modules.memberIndex < 0 ||
      modules.memberIndex >= MAX_MEMBERS
    ) {
      throw new TsaError(
        "TSA_MEMBER_INDEX",
        `member index ${modules.memberIndex} does not fit a serial number`,
      );
    }
    if (!OID_TEXT.test(options.policy)) {
      throw new TsaError(
        "TSA_POLICY",
        `tsa.policy ${options.policy} is not an object identifier (e.g. 1.3.6.1.4.1.N.1)`,
      );
    }
    this.#options = options;
    this.#modules = modules;
    this.#writer = new TokenWriter(
      modules.signer.token,
      modules.signer.certificateHash,
      modules.hasher,
      (size) => Buffer.allocUnsafe(size),
    );
    this.#openAgency = {
      loginId: "tsa",
      key: new Uint8Array(0),
      quotaPerSecond: modules.openQuotaPerSecond,
      metadata: { clientId: "tsa" },
    };
  }

  /** Whether anyone gets tokens, without credentials (`tsa.access` open). */
  get open(): boolean {
    return this.#options.access === "open";
  }

  /**
   * The agency a request acts for, from its Authorization header; a TsaError UNAUTHENTICATED (an HTTP
   * 401, not a TimeStampResp: no TSA answer is owed to a stranger) when access is `basic` and the
   * header does not name an agency with its key.
   */
  authenticate(authorization: string | undefined): Agency {
    if (this.#options.access === "open") return this.#openAgency;
    if (this.#options.access === "certificate") {
      throw new TsaError(
        "UNAUTHENTICATED",
        `time-stamp over TLS with your agency's client certificate, at https://<this node>:${this.#options.tlsPort}/tsa`,
      );
    }
    const match = /^Basic ([A-Za-z0-9+/=]{1,1024})$/i.exec(authorization ?? "");
    const decoded = match === null ? "" : Buffer.from(match[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const agency = colon < 0 ? undefined : this.#modules.agencies.get(decoded.slice(0, colon));
    const given = Buffer.from(decoded.slice(colon + 1), "utf8");
    const known = agency?.key ?? new Uint8Array(given.length);
    const keyMatches = given.length === known.length && timingSafeEqual(given, known);
    if (agency === undefined || !keyMatches) {
      throw new TsaError(
        "UNAUTHENTICATED",
        "give an agency's login id and key with HTTP Basic authentication",
      );
    }
    return agency;
  }

  /**
   * The agency a TLS client certificate names: one the TLS layer verified against the agencies' CA
   * (`authorized`), whose subject CN is an agency's login id. No certificate: UNAUTHENTICATED (401);
   * one from another issuer, self-signed, expired, or naming no agency: CERTIFICATE_REFUSED (403).
   */
  authenticateCertificate(peer: ClientCertificate): Agency {
    if (!peer.present) {
      throw new TsaError(
        "UNAUTHENTICATED",
        "present your agency's client certificate (issued by the CA of tsa.clientCaFile)",
      );
    }
    if (!peer.authorized) {
      throw new TsaError(
        "CERTIFICATE_REFUSED",
        `the client certificate is not accepted (${peer.authorizationError ?? "not verified"}); use one issued to your agency by the node's client CA`,
      );
    }
    const agency = peer.commonName === undefined ? undefined : this.#modules.agencies.get(peer.commonName);
    if (agency === undefined) {
      throw new TsaError(
        "CERTIFICATE_REFUSED",
        "the client certificate's subject CN names no agency of this node: it must be the agency's login id",
      );
    }
    return agency;
  }

  /** The DER TimeStampResp for a request body: a token once the round is certified, or a rejection. */
  answer(body: Uint8Array, agency: Agency): Promise<Uint8Array> | Uint8Array {
    let request: TimeStampRequest;
    try {
      request = parseTimeStampRequest(body, this.#options.policy);
    } catch (error) {
      if (error instanceof TimeStampRefusal) return this.#refuse(error);
      throw error;
    }
    const started = performance.now();
    const hashes: HashRequest[] = [{ imprint: request.ksiImprint as HashRequest["imprint"], level: 0 }];
    let round: Promise<RoundAnswer>;
    try {
      round = this.#modules.rounds.submit(agency, hashes);
    } catch (error) {
      return this.#roundRefused(error);
    }
    return round
      .then((answer) => this.#token(request, answer, started))
      .catch((error: unknown) => this.#roundRefused(error));
  }

  /** Without an async frame of its own: at thousands of tokens a second each promise counts. */
  #token(request: TimeStampRequest, answer: RoundAnswer, requested: number): Promise<Uint8Array> {
    const started = performance.now();
    const tstInfo = encodeTstInfo({
      policy: this.#options.policy,
      messageImprint: request.messageImprint,
      serialNumber: tokenSerial(answer.aggregationTime, this.#modules.memberIndex, answer.firstLeaf),
      genTime: answer.aggregationTime,
      nonce: request.nonce,
    });
    const unsigned = this.#writer.prepare(tstInfo, request.certReq);
    const ksiSignature = answer.encode()[0]!;
    return this.#modules.signing.sign(unsigned.signedAttributes).then((signature) => {
      const reply = unsigned.response(signature, ksiSignature);
      const { metrics } = this.#modules;
      const now = performance.now();
      metrics.signingDuration.observe((now - started) / 1000);
      metrics.requestDuration.observe((now - requested) / 1000);
      metrics.responses.inc(GRANTED_LABELS);
      return reply;
    });
  }

  #refuse(refusal: TimeStampRefusal): Uint8Array {
    this.#modules.metrics.responses.inc({ status: "rejection", fail_info: refusal.failInfo });
    this.#modules.logger.info("time-stamp request refused", {
      failInfo: refusal.failInfo,
      message: refusal.message,
    });
    return rejectionResponse(refusal.failInfo, refusal.message);
  }

  /** A round that would not take the hash, a failed round or a failed signing: the reason as RFC 3161 can say it. */
  #roundRefused(error: unknown): Uint8Array {
    if (!(error instanceof RoundRejection)) {
      this.#modules.logger.error("time-stamp failed", { error });
      return this.#refuse(
        new TimeStampRefusal("systemFailure", "the node could not time-stamp this request"),
      );
    }
    // Without a quorum no second can be certified: the cluster's time is what is not available.
    const failInfo = error.code === "NO_QUORUM" ? "timeNotAvailable" : "systemFailure";
    return this.#refuse(
      new TimeStampRefusal(failInfo, `${error.message}; retry in a second or ask another node`),
    );
  }
}

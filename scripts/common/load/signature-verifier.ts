import {
  bytesEqual,
  encodeTlv,
  type Hasher,
  type Imprint,
  internalPolicy,
  type KsiSignature,
  keyPolicy,
  type QuorumTrust,
  type TlvElement,
  verifySignature,
} from "@tempel/proto";

/**
 * `internal`: KSI's internal policy (no keys). `quorum`: internal plus the cluster's quorum
 * certificate checked against the genesis members (KSI key-based policy with Tempel's certificate).
 */
export type VerificationPolicy = "internal" | "quorum";

/** "OK", or why not: `wrong_input` (a signature for another hash) or `<FAIL|NA>:<code>`. */
export type SignatureVerdict = string;

/** Certificate checks kept: one per node and round. */
const MAX_CERTIFICATE_CHECKS = 10_000;

/**
 * Verifies the signatures a load run gets back, cheaply enough to keep up with a cluster on the same
 * machine: node:crypto hashing, upper chains hashed once per round (proto's verification remembers
 * the chains and steps a batch shares), and the quorum certificate checked once per (calendar chain,
 * certificate) pair rather than per signature.
 */
export class SignatureVerifier {
  readonly #policy: VerificationPolicy;
  readonly #trust: QuorumTrust | undefined;
  readonly #hasher: Hasher;
  #certificateChecks = new Map<string, Promise<string>>();

  constructor(policy: VerificationPolicy, hasher: Hasher, trust?: QuorumTrust) {
    if (policy === "quorum" && trust === undefined)
      throw new TypeError("the quorum policy needs the cluster's members");
    this.#policy = policy;
    this.#trust = trust;
    this.#hasher = hasher;
  }

  /** Verify `signature`, which must be for `imprint`, the hash that was sent. */
  async verify(signature: KsiSignature, imprint: Imprint): Promise<SignatureVerdict> {
    if (!bytesEqual(signature.aggregationChains[0]!.inputHash, imprint)) return "wrong_input";
    const internal = await verifySignature(signature, { hasher: this.#hasher }, internalPolicy);
    if (internal.result !== "OK") return `${internal.result}:${internal.code}`;
    return this.#policy === "quorum" ? this.#certificateCheck(signature) : "OK";
  }

  /**
   * The key-based policy's verdict depends on the signature only through its calendar chain and
   * quorum certificate (no publications file is given, so the calendar auth record stays
   * inconclusive), so signatures sharing both share the verdict: Ed25519 runs once per round.
   */
  #certificateCheck(signature: KsiSignature): Promise<string> {
    const key =
      sourceKey(signature.calendarChain?.source) + "|" + sourceKey(signature.quorumCertificate?.source);
    let check = this.#certificateChecks.get(key);
    if (check === undefined) {
      check = verifySignature(signature, { hasher: this.#hasher, quorumTrust: this.#trust! }, keyPolicy).then(
        (result) => (result.result === "OK" ? "OK" : `${result.result}:${result.code}`),
      );
      if (this.#certificateChecks.size >= MAX_CERTIFICATE_CHECKS) this.#certificateChecks = new Map();
      this.#certificateChecks.set(key, check);
    }
    return check;
  }
}

function sourceKey(source: TlvElement | undefined): string {
  return source === undefined ? "-" : Buffer.from(encodeTlv(source)).toString("latin1");
}

import {
  decodeSignature,
  encodeSignature,
  type Hasher,
  type Imprint,
  type KsiSignature,
  type SignatureJson,
  signatureToJson,
  signedHash,
  type VerificationResult,
} from "@tempel/proto";
import type { SignInput } from "./signing/sign-input.ts";
import { type VerifyOptions, verifyKsiSignature } from "./verification/verify.ts";

/** Verifies a signature with what it knows of a cluster (a TempelClient). */
export interface SignatureVerifier {
  /** What the verifier hashes with, for the hashing done on its behalf (records, log blocks). */
  readonly hasher?: Hasher;
  verify(signature: Signature, document?: SignInput, options?: VerifyOptions): Promise<VerificationResult>;
}

/**
 * A KSI signature: the proof that a hash existed at `aggregationTime`. Signatures from a TempelClient
 * verify with the client's cluster (its members' keys, extender and publications); a decoded one
 * without a client verifies with what is given to `verify` alone.
 */
export class Signature {
  /** The signature model of @tempel/proto, for anything beyond this class. */
  readonly ksi: KsiSignature;
  readonly #verifier: SignatureVerifier | undefined;

  constructor(ksi: KsiSignature, verifier?: SignatureVerifier) {
    this.ksi = ksi;
    this.#verifier = verifier;
  }

  /** Reads a serialized signature (a .ksig file); throws FormatError for anything else. */
  static decode(bytes: Uint8Array, verifier?: SignatureVerifier): Signature {
    return new Signature(decodeSignature(bytes), verifier);
  }

  /** The signature's bytes; a decoded signature encodes to exactly the bytes it was read from. */
  encode(): Uint8Array {
    return encodeSignature(this.ksi);
  }

  toJSON(): SignatureJson {
    return signatureToJson(this.ksi);
  }

  /** The second the signature was made in (Unix seconds, UTC). */
  get aggregationTime(): number {
    return this.ksi.aggregationChains[0]!.aggregationTime;
  }

  /** The hash the signature covers. */
  get inputHash(): Imprint {
    return signedHash(this.ksi);
  }

  /** The client id of the first metadata record from the document up: the agency that asked. */
  get agency(): string | undefined {
    for (const chain of this.ksi.aggregationChains) {
      for (const link of chain.links) {
        if (link.sibling.kind === "metadata") return link.sibling.metadata.clientId;
      }
    }
    return undefined;
  }

  verify(document?: SignInput, options: VerifyOptions = {}): Promise<VerificationResult> {
    return this.#verifier === undefined
      ? verifyKsiSignature(this.ksi, document, options, {})
      : this.#verifier.verify(this, document, options);
  }
}

import { HashAlgorithm, type Hasher, type Imprint } from "@tempel/proto";
import type { Signature } from "../signature.ts";
import type { SignInput } from "../signing/sign-input.ts";
import type { SignManyOptions } from "../signing/sign-many.ts";
import { recordVersionHash } from "./canonical.ts";
import type { RecordVersion } from "./record-version.ts";

/** What signs many hashes at once: a TempelClient. */
export interface RecordSigner {
  /** What the versions are hashed with too; nobleHasher if absent. */
  readonly hasher?: Hasher;
  signMany(inputs: Iterable<SignInput>, options?: SignManyOptions): Promise<Signature[]>;
}

/** A version with its hash and the proof (KSI signature) of that hash, to be stored beside it. */
export interface SignedRecordVersion {
  readonly version: RecordVersion;
  readonly hash: Imprint;
  readonly proof: Signature;
}

export interface SignVersionsOptions extends SignManyOptions {
  /** KSI id of the algorithm versions are hashed with; default SHA-256. */
  readonly hashAlgorithm?: number;
}

/**
 * Sign `versions` (of any records, checkpoints included) with `signer.signMany`: their hashes are
 * aggregated here and each batch costs the cluster one request; every version gets a proof of its
 * own. Throws RecordFormatError before signing anything when a version has no canonical encoding.
 */
export async function signRecordVersions(
  signer: RecordSigner,
  versions: readonly RecordVersion[],
  options: SignVersionsOptions = {},
): Promise<SignedRecordVersion[]> {
  const { hashAlgorithm = HashAlgorithm.SHA2_256, ...signOptions } = options;
  const hashes = versions.map((version) => recordVersionHash(version, hashAlgorithm, signer.hasher));
  const proofs = await signer.signMany(
    hashes.map((imprint) => ({ imprint })),
    signOptions,
  );
  return versions.map((version, i) => ({ version, hash: hashes[i]!, proof: proofs[i]! }));
}

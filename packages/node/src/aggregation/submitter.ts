import type { KsiSignature } from "@tempel/proto";
import type { Agency } from "./agency.ts";
import type { HashRequest } from "./rounds.ts";

/**
 * One request's signatures, in request order, as the API hands them out: the core's RoundAnswer and a
 * gateway tier's answer both are one.
 */
export interface SignedHashes {
  readonly length: number;
  readonly aggregationTime: number;
  /** The bytes every encoded signature ends with, if they share any. */
  readonly tail: Uint8Array | undefined;
  /** The signature of the i-th hash, its level folded into its first link. */
  signature(i: number): KsiSignature;
  signatures(): KsiSignature[];
  /** Every signature encoded, as encodeSignatures would write `signatures()`. */
  encode(allocate?: (length: number) => Uint8Array): Uint8Array[];
}

/**
 * What the API needs of rounds: take an agency's hashes and answer with their signatures once their
 * round is done, or refuse at once with RoundRejection. The core's RoundPipeline and a gateway's
 * TierRounds both are one.
 */
export interface RoundSubmitter {
  submit(agency: Agency, hashes: readonly HashRequest[]): Promise<SignedHashes>;
}

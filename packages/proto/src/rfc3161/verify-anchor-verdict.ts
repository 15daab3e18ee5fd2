/**
 * What one of a token's two anchors says about its time. `held`: it proves the time. `not-held`: it
 * cannot vouch, and nothing is wrong (no CA given, certificate expired since, no KSI signature, no
 * publication to check against). `failed`: something is wrong: altered, mismatched or misissued.
 */
export type AnchorState = "held" | "not-held" | "failed";

export interface AnchorVerdict {
  readonly state: AnchorState;
  /** Stable code, e.g. TSA-CHAIN or KSI-TIME; KSI-OK and TSA-OK when held. */
  readonly code: string;
  readonly message: string;
}

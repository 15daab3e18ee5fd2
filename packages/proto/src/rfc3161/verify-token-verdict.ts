import type { AnchorVerdict } from "./verify-anchor-verdict.ts";

export interface TokenVerdict {
  readonly result: "OK" | "FAIL" | "NA";
  /** Which anchors prove the time: both, one, or none. */
  readonly heldBy: readonly ("tsa" | "ksi")[];
  readonly message: string;
}

/**
 * The verdict on a time-stamp token from its two anchors and, when a document was given, whether
 * the token's imprint is its hash. Anything wrong fails the token, even with the other anchor held:
 * a token that was altered or misissued is not one to keep. Otherwise one anchor that holds proves
 * the time, and the message says which, and what the time rests on when it is only one.
 */
export function tokenVerdict(
  documentMatches: boolean | undefined,
  tsa: AnchorVerdict,
  ksi: AnchorVerdict,
): TokenVerdict {
  const heldBy = [
    ...(tsa.state === "held" ? ["tsa" as const] : []),
    ...(ksi.state === "held" ? ["ksi" as const] : []),
  ];
  if (documentMatches === false) {
    return {
      result: "FAIL",
      heldBy: [],
      message: "the token time-stamps another document: its imprint is not the document's hash",
    };
  }
  const failed = [
    ...(tsa.state === "failed" ? [`TSA key anchor: ${tsa.message}`] : []),
    ...(ksi.state === "failed" ? [`KSI anchor: ${ksi.message}`] : []),
  ];
  if (failed.length > 0) {
    // The token is bad, but the user may still want to know whether the time itself stands.
    const still =
      heldBy[0] === "ksi"
        ? "; the KSI anchor alone still proves the imprint's time"
        : heldBy[0] === "tsa"
          ? "; the TSA's key alone still vouches for the time"
          : "";
    return { result: "FAIL", heldBy, message: `${failed.join("; ")}${still}` };
  }
  const covers =
    documentMatches === true
      ? "the document existed at the token's time"
      : "the imprint existed at the token's time (no document checked)";
  if (heldBy.length === 2) {
    return {
      result: "OK",
      heldBy,
      message: `${covers}: proven by both anchors, the TSA's key and the keyless KSI signature`,
    };
  }
  if (heldBy[0] === "ksi") {
    return {
      result: "OK",
      heldBy,
      message:
        `${covers}: proven by the keyless KSI signature alone, which holds whatever became of the TSA's key; ` +
        `the TSA key anchor does not hold (${tsa.code})`,
    };
  }
  if (heldBy[0] === "tsa") {
    return {
      result: "OK",
      heldBy,
      message:
        `${covers}: proven by the TSA's key alone, which holds only while that key is trusted (not retired, ` +
        `lost or stolen); the keyless KSI anchor does not hold (${ksi.code})`,
    };
  }
  return {
    result: "NA",
    heldBy,
    message: `nothing wrong found, but neither anchor proves the time (${tsa.code}, ${ksi.code})`,
  };
}

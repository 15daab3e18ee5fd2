import { VERIFICATION_CODES, type VerificationCode } from "./codes.ts";

/** OK: verified. FAIL: the signature is wrong. NA: inconclusive with what was given (not an error). */
export type VerificationStatus = "OK" | "FAIL" | "NA";

/**
 * The outcome of a rule or a whole policy. A bad signature is a FAIL or NA value, never an exception,
 * so callers can report it like any other result.
 */
export interface VerificationResult {
  readonly result: VerificationStatus;
  /** null exactly when `result` is OK. */
  readonly code: VerificationCode | null;
  readonly message: string;
  /** Name of the rule that decided the result. */
  readonly rule?: string;
}

export function ok(rule: string): VerificationResult {
  return { result: "OK", code: null, message: "Verification succeeded", rule };
}

/** The code's standard message, followed by `detail` when the reason is worth telling. */
function describe(code: VerificationCode, detail: string | undefined): string {
  const text = VERIFICATION_CODES[code];
  return detail === undefined ? text : `${text}: ${detail}`;
}

export function fail(rule: string, code: VerificationCode, detail?: string): VerificationResult {
  return { result: "FAIL", code, message: describe(code, detail), rule };
}

/**
 * NA: nothing proves the signature right or wrong. The code is GEN-02 except where KSI names the
 * rule that could not decide (libksi gives INT-05 for a calendar chain whose shape has no leaf), or a Tempel code (TEM-*) that says
 * more precisely what is missing.
 */
export function inconclusive(
  rule: string,
  detail: string,
  code: VerificationCode = "GEN-02",
): VerificationResult {
  return { result: "NA", code, message: describe(code, detail), rule };
}

/** A result's reason without its code's standard text. */
function reason(result: VerificationResult): string {
  const prefix = result.code === null ? undefined : `${VERIFICATION_CODES[result.code]}: `;
  return prefix !== undefined && result.message.startsWith(prefix)
    ? result.message.slice(prefix.length)
    : result.message;
}

/**
 * One inconclusive result that gives the reason of each of `results` (all inconclusive). A Tempel
 * code among them is kept: a root below quorum must not turn into a plain GEN-02 because another
 * alternative (a publication) could not decide either.
 */
export function inconclusiveAll(rule: string, results: readonly VerificationResult[]): VerificationResult {
  const code = results.some((r) => r.code === "TEM-01") ? "TEM-01" : "GEN-02";
  return inconclusive(rule, results.map(reason).join("; "), code);
}

/** The `tempel` exit codes: a stable contract for scripts, the same for every command. */
export const ExitCode = {
  /** Done: signed, verified, extended, listed. */
  OK: 0,
  /** FAIL: a signature or publications file is wrong or unreadable (monitor: alerts were raised). */
  FAIL: 1,
  /** Bad arguments or input: unusable files, no signature found, credentials the cluster refused. */
  USAGE: 2,
  /** A Tempel or KSI service needed for the answer could not be reached or could not answer. */
  UNAVAILABLE: 3,
  /** Inconclusive: nothing wrong found, but not enough given to decide, or not available yet. */
  INCONCLUSIVE: 4,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The one exit code table, in every command's help and in docs/cli.md. */
export const EXIT_CODES_HELP = `Exit codes (the same for every command):
  ${ExitCode.OK}  OK: done (signed, verified, extended, listed)
  ${ExitCode.FAIL}  FAIL: a signature or publications file is wrong or unreadable (monitor, watch: alerts raised)
  ${ExitCode.USAGE}  usage: bad arguments or input files, no signature found, credentials refused
  ${ExitCode.UNAVAILABLE}  unavailable: a service needed for the answer cannot be reached or cannot answer
  ${ExitCode.INCONCLUSIVE}  NA: inconclusive or not available yet; the message says what is missing`;

/** How bad each exit code is, for a command that ends many checks with the worst of them. */
const SEVERITY: readonly ExitCodeValue[] = [
  ExitCode.OK,
  ExitCode.INCONCLUSIVE,
  ExitCode.UNAVAILABLE,
  ExitCode.USAGE,
  ExitCode.FAIL,
];

/** The worse of two exit codes: FAIL over usage over unavailable over NA over OK. */
export function worstExit(a: ExitCodeValue, b: ExitCodeValue): ExitCodeValue {
  return SEVERITY.indexOf(a) >= SEVERITY.indexOf(b) ? a : b;
}

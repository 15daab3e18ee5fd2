/** The `tempel` exit codes: a stable contract for scripts. */
export const ExitCode = {
  /** Verified. */
  OK: 0,
  /** The signature is wrong, or cannot be read as one. */
  FAIL: 1,
  /** Bad arguments or unusable input files. */
  USAGE: 2,
  /** A Tempel or KSI service needed for the answer could not be reached. */
  UNAVAILABLE: 3,
  /** Inconclusive: nothing wrong found, but not enough given to decide. */
  INCONCLUSIVE: 4,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `Exit codes:
  ${ExitCode.OK}  OK: verified
  ${ExitCode.FAIL}  FAIL: the signature is wrong or unreadable
  ${ExitCode.USAGE}  usage error: bad arguments or unusable input files
  ${ExitCode.UNAVAILABLE}  a service needed for the answer is unavailable
  ${ExitCode.INCONCLUSIVE}  NA: inconclusive, more input is needed (the message says which)`;

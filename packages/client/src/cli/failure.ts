import { PduStatus, TempelError } from "@tempel/proto";
import {
  NetworkError,
  NotYetAvailableError,
  OptionsError,
  ProtocolError,
  ServiceError,
  VerificationError,
} from "../errors.ts";
import { ExitCode, type ExitCodeValue } from "./exit-codes.ts";

/** How a failed call to the cluster ends a command: its exit code and what to tell the user. */
export interface Failure {
  readonly exitCode: ExitCodeValue;
  readonly message: string;
}

const RETRY_LATER =
  "the cluster may be overloaded or failing: try again later; tempel status shows the nodes";

function refusedCredentials(error: ServiceError): boolean {
  return error.ksiStatus === PduStatus.AUTHENTICATION_FAILURE || error.httpStatus === 401;
}

/**
 * The exit code and message for a client error, or undefined for anything else (a bug, which is left
 * to surface with its stack).
 */
export function describeFailure(error: unknown): Failure | undefined {
  if (!(error instanceof TempelError)) return undefined;
  if (error instanceof OptionsError) return { exitCode: ExitCode.USAGE, message: error.message };
  if (error instanceof ServiceError && refusedCredentials(error)) {
    return {
      exitCode: ExitCode.USAGE,
      message: `${error.message}; check the agency's --login and --key-file (TEMPEL_LOGIN, TEMPEL_KEY_FILE or TEMPEL_KEY) against the nodes' config`,
    };
  }
  if (error instanceof NetworkError || (error instanceof ServiceError && !error.retryable)) {
    return { exitCode: ExitCode.UNAVAILABLE, message: error.message };
  }
  if (error instanceof ServiceError || error instanceof ProtocolError) {
    return { exitCode: ExitCode.UNAVAILABLE, message: `${error.message}; ${RETRY_LATER}` };
  }
  if (error instanceof VerificationError) return { exitCode: ExitCode.FAIL, message: error.message };
  if (error instanceof NotYetAvailableError)
    return { exitCode: ExitCode.INCONCLUSIVE, message: error.message };
  return undefined;
}

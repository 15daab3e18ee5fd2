import { TempelError } from "../errors.ts";

/**
 * A PDU failure carrying the KSI status it maps to: what a server answers a bad request with, or what a
 * client was answered. `code` stays specific (e.g. the TLV fault); `status` is the protocol-level verdict.
 */
export class PduError extends TempelError {
  readonly status: number;

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
    this.status = status;
  }
}

/** Runs `decode`, turning any other TempelError it throws into a PduError with `status`. */
export function withStatus<T>(status: number, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof PduError || !(error instanceof TempelError)) throw error;
    throw new PduError(status, error.code, error.message, error.details);
  }
}

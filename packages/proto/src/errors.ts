/**
 * Every expected failure in Tempel is a typed error with a stable `code`, so callers (HTTP layer, CLI,
 * verification) can map it without parsing messages.
 */
export class TempelError extends Error {
  readonly code: string;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

/** Malformed bytes: TLV framing, integers, strings, element cardinality, unknown critical elements. */
export class FormatError extends TempelError {}

/** An imprint or hash algorithm that is unknown, reserved, unsupported or of the wrong length. */
export class HashAlgorithmError extends TempelError {}

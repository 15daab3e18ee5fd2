/**
 * Every expected failure in Tempel is a typed error with a stable `code`, so callers (HTTP layer, CLI,
 * verification) can map it without parsing messages. A subclass names its codes as a union
 * (`class StoreError extends TempelError<StoreErrorCode>`), so that a misspelt code does not compile.
 */
export class TempelError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly details?: Record<string, unknown>;

  constructor(code: Code, message: string, details?: Record<string, unknown>) {
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

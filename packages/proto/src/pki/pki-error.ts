import { TempelError } from "../errors.ts";

/** A certificate, signature or CMS structure that cannot be parsed, trusted or checked. */
export class PkiError extends TempelError {}

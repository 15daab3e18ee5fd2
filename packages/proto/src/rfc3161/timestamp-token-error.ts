import { TempelError } from "../errors.ts";

/** Bytes that are no RFC 3161 time-stamp token, or a token whose status says it was refused. */
export class TimestampTokenError extends TempelError {}

import { TempelError } from "@tempel/proto";

/** A TSA key, certificate or CA that is missing, unreadable or unfit. */
export class TsaError extends TempelError {}

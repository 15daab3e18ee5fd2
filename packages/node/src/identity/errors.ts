import { TempelError } from "@tempel/proto";

/** A key, certificate or genesis file that is missing, unreadable or inconsistent. */
export class IdentityError extends TempelError {}

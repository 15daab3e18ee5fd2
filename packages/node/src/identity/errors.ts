import { TempelError } from "@tempel/proto";

export type IdentityErrorCode =
  | "CALENDAR_CERTIFICATE_INVALID"
  | "CALENDAR_KEY_INVALID"
  | "CALENDAR_KEY_MISMATCH"
  | "CERTIFICATE_MISMATCH"
  | "GENESIS_FILE"
  | "GENESIS_INVALID"
  | "GENESIS_MEMBER"
  | "GENESIS_MEMBER_ADDRESS"
  | "GENESIS_MEMBER_CERTIFICATE"
  | "GENESIS_MEMBER_DUPLICATE"
  | "GENESIS_MEMBER_HAS_RUN"
  | "GENESIS_PUBLICATIONS"
  | "GENESIS_PUBLICATIONS_AUTHORITY"
  | "IDENTITY_FILE"
  | "INIT_EXISTS"
  | "INIT_FILE"
  | "KEY_FILE_EXPOSED"
  | "NODE_KEY_INVALID"
  | "NODE_KEY_MISSING"
  | "NOT_A_MEMBER";

/** A key, certificate or genesis file that is missing, unreadable or inconsistent. */
export class IdentityError extends TempelError<IdentityErrorCode> {}

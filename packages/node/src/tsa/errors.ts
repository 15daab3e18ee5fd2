import { TempelError } from "@tempel/proto";

export type TsaErrorCode =
  | "UNAUTHENTICATED"
  | "CERTIFICATE_REFUSED"
  | "TSA_TLS_CONFIG"
  | "USAGE"
  | "TSA_CA_KEY_MISMATCH"
  | "TSA_CERTIFICATE_INVALID"
  | "TSA_FILE"
  | "TSA_FILE_EXISTS"
  | "TSA_KEY_EXPOSED"
  | "TSA_KEY_INVALID"
  | "TSA_STOPPING"
  | "TSA_MEMBER_INDEX"
  | "TSA_POLICY"
  | "TSA_KEY_TYPE"
  | "TSA_KEY_MISMATCH"
  | "TSA_CERTIFICATE_UNFIT"
  | "TSA_CERTIFICATE_EXPIRED";

/** A TSA key, certificate or CA that is missing, unreadable or unfit, or a query without credentials. */
export class TsaError extends TempelError<TsaErrorCode> {}

import { TempelError } from "@tempel/proto";

export type PublicationErrorCode =
  | "AUTHORITY_EXISTS"
  | "AUTHORITY_FILE"
  | "AUTHORITY_FOLDER"
  | "KEY_FILE_EXPOSED"
  | "PEER_FILE_UNAVAILABLE"
  | "PUBLICATIONS_KEY_FILE"
  | "PUBLICATIONS_KEY_INCOMPLETE"
  | "PUBLICATIONS_KEY_INVALID"
  | "PUBLICATIONS_KEY_UNTRUSTED"
  | "PUBLICATION_STORE_CORRUPT"
  | "STORE_CORRUPT"
  | "USAGE";

/** The publications key, certificate or stored publications cannot be used. */
export class PublicationError extends TempelError<PublicationErrorCode> {}

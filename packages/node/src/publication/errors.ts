import { TempelError } from "@tempel/proto";

/** The publications key, certificate or stored publications cannot be used. */
export class PublicationError extends TempelError {}

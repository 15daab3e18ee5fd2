import type { Hasher } from "../hash/hasher.ts";
import { MAX_TLV16_LENGTH } from "../tlv/element.ts";

/** A PDU is one TLV16 element, so nothing longer can be one. */
export const MAX_PDU_BYTES = 4 + MAX_TLV16_LENGTH;
export const DEFAULT_MAX_PAYLOADS = 1024;
export const MAX_LOGIN_ID_BYTES = 256;
export const MAX_ERROR_MESSAGE_BYTES = 1024;
export const MAX_URI_BYTES = 2048;
export const MAX_PARENT_URIS = 16;

export interface PduDecodeOptions {
  /** Largest PDU accepted, in bytes; capped at MAX_PDU_BYTES. */
  readonly maxBytes?: number;
  /** Most request or response payloads accepted in one PDU. */
  readonly maxPayloads?: number;
  /** What the HMAC check hashes with; nobleHasher if absent. */
  readonly hasher?: Hasher;
}

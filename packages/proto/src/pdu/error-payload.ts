import { readBoundedString } from "../signature/readers.ts";
import { PduChildTag, type PduTag, ResponseTag } from "../signature/tags.ts";
import { encodeTlvSequence } from "../tlv/codec.ts";
import { type TlvElement, tlv } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { decodeSafeUint, stringTlv, uintTlv } from "../tlv/values.ts";
import { encodeUnauthenticatedPdu } from "./envelope.ts";
import { MAX_ERROR_MESSAGE_BYTES } from "./limits.ts";

/** PDU child 0x03: a failure of the whole request, as opposed to the status of one response payload. */
export interface ErrorPayload {
  readonly status: number;
  readonly errorMessage?: string;
}

/** Field specs of status and message; response payloads include them too. */
export const STATUS_SPECS = [
  { type: ResponseTag.STATUS, name: "status", min: 1 },
  { type: ResponseTag.ERROR_MESSAGE, name: "error message" },
] as const;

/** Status and optional message, as the error payload and every response payload carry them. */
export function readStatus(fields: Fields): ErrorPayload {
  const message = fields.optional(ResponseTag.ERROR_MESSAGE);
  return {
    status: decodeSafeUint(fields.required(ResponseTag.STATUS)),
    ...(message !== undefined && {
      errorMessage: readBoundedString(message, MAX_ERROR_MESSAGE_BYTES, "error message"),
    }),
  };
}

export function decodeErrorPayload(element: TlvElement): ErrorPayload {
  return readStatus(new Fields(element, STATUS_SPECS, "error payload"));
}

/** The status and optional message that response payloads and the error payload share. */
export function statusElements(status: number, errorMessage: string | undefined): TlvElement[] {
  const out = [uintTlv(ResponseTag.STATUS, status)];
  if (errorMessage !== undefined) out.push(stringTlv(ResponseTag.ERROR_MESSAGE, errorMessage));
  return out;
}

export function encodeErrorPayload(error: ErrorPayload): TlvElement {
  return tlv(PduChildTag.ERROR, encodeTlvSequence(statusElements(error.status, error.errorMessage)));
}

export type ResponsePduType = typeof PduTag.AGGREGATION_RESPONSE | typeof PduTag.EXTEND_RESPONSE;

/**
 * The reduced response for a request the server could not authenticate or parse: just the error, with
 * no header or HMAC, since it has no key to compute one with.
 */
export function encodeErrorResponsePdu(type: ResponsePduType, error: ErrorPayload): Uint8Array {
  return encodeUnauthenticatedPdu(type, encodeErrorPayload(error));
}

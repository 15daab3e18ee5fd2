import { PduChildTag } from "../signature/tags.ts";
import { type TlvElement, tlv } from "../tlv/element.ts";
import type { Fields } from "../tlv/fields.ts";
import type { OpenedPdu, PduHeader } from "./envelope.ts";
import { decodeErrorPayload, type ErrorPayload } from "./error-payload.ts";
import { PduError } from "./errors.ts";
import { PduStatus } from "./status.ts";

/** The parts aggregation and extension PDUs share beyond the frame. */

/** What every response PDU carries; the aggregation response adds an acknowledgment. */
export interface ResponseBody<Payload, Config> {
  /** Absent in a reduced error response, which has nothing but `error`. */
  readonly header?: PduHeader;
  readonly responses: readonly Payload[];
  readonly error?: ErrorPayload;
  readonly config?: Config;
}

/** A configuration request: the empty 0x04 element. */
export const CONFIG_REQUEST = tlv(PduChildTag.CONFIG, new Uint8Array(0));

/**
 * Whether the request asks for the configuration (an empty 0x04 element). A request that asks for
 * nothing at all is invalid.
 */
export function readConfigRequest(fields: Fields, what: string): boolean {
  const config = fields.optional(PduChildTag.CONFIG);
  if (config !== undefined && config.value.length !== 0) {
    throw new PduError(
      PduStatus.INVALID_PAYLOAD,
      "PDU_CONFIG_REQUEST_NOT_EMPTY",
      `${what}: configuration request must be empty`,
    );
  }
  const asks =
    config !== undefined ||
    fields.optional(PduChildTag.PAYLOAD) !== undefined ||
    fields.optional(PduChildTag.ACK) !== undefined;
  if (!asks) throw new PduError(PduStatus.INVALID_REQUEST, "PDU_EMPTY", `${what}: asks for nothing`);
  return config !== undefined;
}

export function readResponseBody<Payload, Config>(
  opened: OpenedPdu,
  what: string,
  decodePayload: (element: TlvElement) => Payload,
  decodeConfig: (element: TlvElement) => Config,
): ResponseBody<Payload, Config> {
  const { header, fields } = opened;
  const error = fields.optional(PduChildTag.ERROR);
  const unauthenticatedExtra = fields.children.some((child) => child !== error && !child.nonCritical);
  if (header === undefined && (error === undefined || unauthenticatedExtra)) {
    throw new PduError(
      PduStatus.INVALID_REQUEST,
      "PDU_UNAUTHENTICATED_CONTENT",
      `${what}: without header and HMAC it may carry only an error`,
    );
  }
  const config = fields.optional(PduChildTag.CONFIG);
  return {
    ...(header !== undefined && { header }),
    responses: fields.all(PduChildTag.PAYLOAD).map(decodePayload),
    ...(error !== undefined && { error: decodeErrorPayload(error) }),
    ...(config !== undefined && { config: decodeConfig(config) }),
  };
}

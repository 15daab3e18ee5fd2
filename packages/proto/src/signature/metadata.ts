import { FormatError } from "../errors.ts";
import { encodeTlvSequence } from "../tlv/codec.ts";
import { tlv } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { decodeString, decodeUint, stringTlv, uintTlv } from "../tlv/values.ts";
import { LinkTag, MetadataTag } from "./tags.ts";
import type { Metadata } from "./types.ts";

export type MetadataInput = Pick<Metadata, "clientId" | "machineId" | "sequenceNumber" | "requestTime">;

/**
 * Guardtime's aggregators write every metadata field non-critical + forward; Tempel does the same so
 * its records look like theirs to every parser.
 */
const FIELD_FLAGS = { nonCritical: true, forward: true } as const;

const PADDING_ODD = Uint8Array.of(0x01);
const PADDING_EVEN = Uint8Array.of(0x01, 0x01);

/**
 * The value of a 0x04 metadata link element. The step hash uses these bytes where it would use a
 * sibling imprint, so they must never parse as one: the padding element comes first (its header byte
 * 0x7E is no algorithm id) and makes the total length even (every imprint is odd), spec §2.1.
 */
export function encodeMetadataValue(metadata: MetadataInput): Uint8Array {
  const fields = [stringTlv(MetadataTag.CLIENT_ID, metadata.clientId, FIELD_FLAGS)];
  if (metadata.machineId !== undefined) {
    fields.push(stringTlv(MetadataTag.MACHINE_ID, metadata.machineId, FIELD_FLAGS));
  }
  if (metadata.sequenceNumber !== undefined) {
    fields.push(uintTlv(MetadataTag.SEQUENCE_NUMBER, metadata.sequenceNumber, FIELD_FLAGS));
  }
  if (metadata.requestTime !== undefined) {
    fields.push(uintTlv(MetadataTag.REQUEST_TIME, metadata.requestTime, FIELD_FLAGS));
  }
  const body = encodeTlvSequence(fields);
  // A TLV8 padding element is 2 header bytes plus 1 or 2 value bytes: pick the one that makes the sum even.
  const padding = tlv(MetadataTag.PADDING, body.length % 2 === 1 ? PADDING_ODD : PADDING_EVEN, FIELD_FLAGS);
  return encodeTlvSequence([padding, ...fields]);
}

const SPECS = [
  { type: MetadataTag.PADDING, name: "padding", max: Number.POSITIVE_INFINITY },
  { type: MetadataTag.CLIENT_ID, name: "client id", min: 1 },
  { type: MetadataTag.MACHINE_ID, name: "machine id" },
  { type: MetadataTag.SEQUENCE_NUMBER, name: "sequence number" },
  { type: MetadataTag.REQUEST_TIME, name: "request time" },
] as const;

/**
 * Parses a metadata value. Padding after another field is malformed (the test pack's `parsing` rows);
 * padding with wrong flags, form or value, several paddings, or a value that looks like an imprint still
 * parse: verification reports those as INT-11 from the raw bytes kept in the link sibling.
 */
export function decodeMetadata(value: Uint8Array): Metadata {
  const fields = new Fields(tlv(LinkTag.METADATA, value), SPECS, "metadata");
  let fieldSeen = false;
  for (const child of fields.children) {
    if (child.type !== MetadataTag.PADDING) fieldSeen = true;
    else if (fieldSeen) {
      throw new FormatError("METADATA_PADDING_NOT_FIRST", "metadata: padding must precede every other field");
    }
  }
  const padding = fields.optional(MetadataTag.PADDING);
  const machineId = fields.optional(MetadataTag.MACHINE_ID);
  const sequenceNumber = fields.optional(MetadataTag.SEQUENCE_NUMBER);
  const requestTime = fields.optional(MetadataTag.REQUEST_TIME);
  return {
    ...(padding !== undefined && { padding: padding.value }),
    clientId: decodeString(fields.required(MetadataTag.CLIENT_ID)),
    ...(machineId !== undefined && { machineId: decodeString(machineId) }),
    ...(sequenceNumber !== undefined && { sequenceNumber: decodeUint(sequenceNumber) }),
    ...(requestTime !== undefined && { requestTime: decodeUint(requestTime) }),
  };
}

import { hashAlgorithm } from "../hash/algorithms.ts";
import { type Hasher, nobleHasher } from "../hash/hasher.ts";
import { makeImprint } from "../hash/imprint.ts";
import { expectType, readBoundedString, readImprint } from "../signature/readers.ts";
import { PduChildTag, PduHeaderTag } from "../signature/tags.ts";
import { decodeTlv, encodeTlv, encodeTlvSequence } from "../tlv/codec.ts";
import { composite, partLength, type TlvPart, writePart } from "../tlv/composite.ts";
import { type TlvElement, tlv } from "../tlv/element.ts";
import { type FieldSpec, Fields } from "../tlv/fields.ts";
import { decodeUint, stringTlv, uintTlv } from "../tlv/values.ts";
import { PduError, withStatus } from "./errors.ts";
import { computePduHmac, constantTimeEqual } from "./hmac.ts";
import { DEFAULT_MAX_PAYLOADS, MAX_LOGIN_ID_BYTES, MAX_PDU_BYTES, type PduDecodeOptions } from "./limits.ts";
import { PduStatus } from "./status.ts";

/** The frame every PDU v2 shares: header first, service-specific elements, HMAC last. */

export interface PduHeader {
  /** Names the client, and so the HMAC key. */
  readonly loginId: string;
  /** Grows on every restart of the sender; with `messageId`, lets a server drop replays. */
  readonly instanceId?: bigint;
  readonly messageId?: bigint;
}

export interface PduHmac {
  readonly algorithm: number;
  /**
   * Whether the PDU's HMAC is right under `key`. The caller looks the key up by the header's login id
   * first, so a PDU is never trusted before its sender is known.
   */
  check(key: Uint8Array): boolean;
}

/** A decoded request: its HMAC is always present, and unchecked until `hmac.check` says so. */
export interface DecodedRequestPdu<T> {
  readonly pdu: T;
  readonly hmac: PduHmac;
}

/** A decoded response; without HMAC only when the server sent a reduced error response. */
export interface DecodedResponsePdu<T> {
  readonly pdu: T;
  readonly hmac?: PduHmac;
}

const HEADER_SPECS = [
  { type: PduHeaderTag.LOGIN_ID, name: "login id", min: 1 },
  { type: PduHeaderTag.INSTANCE_ID, name: "instance id" },
  { type: PduHeaderTag.MESSAGE_ID, name: "message id" },
] as const;

function decodeHeader(element: TlvElement): PduHeader {
  const fields = new Fields(element, HEADER_SPECS, "PDU header");
  const instanceId = fields.optional(PduHeaderTag.INSTANCE_ID);
  const messageId = fields.optional(PduHeaderTag.MESSAGE_ID);
  return {
    loginId: readBoundedString(fields.required(PduHeaderTag.LOGIN_ID), MAX_LOGIN_ID_BYTES, "login id"),
    ...(instanceId !== undefined && { instanceId: decodeUint(instanceId) }),
    ...(messageId !== undefined && { messageId: decodeUint(messageId) }),
  };
}

function encodeHeader(header: PduHeader): TlvElement {
  const children = [stringTlv(PduHeaderTag.LOGIN_ID, header.loginId)];
  if (header.instanceId !== undefined) children.push(uintTlv(PduHeaderTag.INSTANCE_ID, header.instanceId));
  if (header.messageId !== undefined) children.push(uintTlv(PduHeaderTag.MESSAGE_ID, header.messageId));
  return tlv(PduChildTag.HEADER, encodeTlvSequence(children));
}

export interface OpenedPdu {
  /** Absent only where `authentication` was "optional" (a reduced error response). */
  readonly header?: PduHeader;
  readonly hmac?: PduHmac;
  /** All children, header and HMAC included, checked against the body specs. */
  readonly fields: Fields;
}

function openHmac(bytes: Uint8Array, element: TlvElement, hasher: Hasher): PduHmac {
  const imprint = readImprint(element, "PDU HMAC");
  const algorithm = imprint[0]!;
  const info = hashAlgorithm(algorithm);
  if (!info.implemented) {
    throw new PduError(
      PduStatus.AUTHENTICATION_FAILURE,
      "PDU_HMAC_ALGORITHM",
      `HMAC algorithm ${info.name} is not supported`,
    );
  }
  // The HMAC element is the PDU's last child, so its digest is the input's last bytes.
  const digest = imprint.subarray(1);
  return {
    algorithm,
    check: (key) => constantTimeEqual(computePduHmac(bytes, key, algorithm, hasher), digest),
  };
}

/**
 * One kind of PDU as its decoder sees it: its type, its children besides header, payloads and HMAC,
 * and whether header and HMAC may be absent (a reduced error response). A module constant, so that
 * the spec list of its frame is built once per payload limit rather than per PDU: Fields compiles each
 * new list, and a fresh list per request cost more than decoding it.
 */
export class PduKind {
  readonly type: number;
  readonly what: string;
  readonly authentication: "required" | "optional";
  readonly #payload: string;
  readonly #others: readonly FieldSpec[];
  /** The last list built and its payload limit: a process decodes with one limit. */
  #specs: readonly FieldSpec[] = [];
  #maxPayloads = -1;

  constructor(
    type: number,
    what: string,
    payload: string,
    others: readonly FieldSpec[],
    authentication: "required" | "optional",
  ) {
    this.type = type;
    this.what = what;
    this.#payload = payload;
    this.#others = others;
    this.authentication = authentication;
  }

  /** Header, payloads (at most `maxPayloads`), the other children, HMAC. */
  specs(maxPayloads: number): readonly FieldSpec[] {
    if (maxPayloads !== this.#maxPayloads) {
      const min = this.authentication === "required" ? 1 : 0;
      this.#specs = [
        { type: PduChildTag.HEADER, name: "header", min },
        { type: PduChildTag.PAYLOAD, name: this.#payload, max: maxPayloads },
        ...this.#others,
        { type: PduChildTag.HMAC, name: "HMAC", min },
      ];
      this.#maxPayloads = maxPayloads;
    }
    return this.#specs;
  }
}

/**
 * Checks size, type and frame of a PDU and parses its header; every fault is a PduError with status
 * INVALID_REQUEST (or AUTHENTICATION_FAILURE for an HMAC this build cannot compute). Where the kind's
 * authentication is "optional", a PDU without header has no HMAC either.
 */
export function openPdu(bytes: Uint8Array, kind: PduKind, options: PduDecodeOptions): OpenedPdu {
  const what = kind.what;
  const maxBytes = Math.min(options.maxBytes ?? MAX_PDU_BYTES, MAX_PDU_BYTES);
  if (bytes.length > maxBytes) {
    throw new PduError(
      PduStatus.INVALID_REQUEST,
      "PDU_TOO_LARGE",
      `${what} of ${bytes.length} bytes exceeds ${maxBytes}`,
    );
  }
  const maxPayloads = options.maxPayloads ?? DEFAULT_MAX_PAYLOADS;
  return withStatus(PduStatus.INVALID_REQUEST, () =>
    openFrame(bytes, kind, maxPayloads, options.hasher ?? nobleHasher),
  );
}

function openFrame(bytes: Uint8Array, kind: PduKind, maxPayloads: number, hasher: Hasher): OpenedPdu {
  const what = kind.what;
  const element = decodeTlv(bytes);
  expectType(element, kind.type, what);
  const fields = new Fields(element, kind.specs(maxPayloads), what);
  const header = fields.optional(PduChildTag.HEADER);
  const hmac = fields.optional(PduChildTag.HMAC);
  const children = fields.children;
  if (header !== undefined && children[0] !== header) {
    throw new PduError(
      PduStatus.INVALID_REQUEST,
      "PDU_HEADER_NOT_FIRST",
      `${what}: the header must come first`,
    );
  }
  if (hmac !== undefined && children[children.length - 1] !== hmac) {
    throw new PduError(PduStatus.INVALID_REQUEST, "PDU_HMAC_NOT_LAST", `${what}: the HMAC must come last`);
  }
  if ((header === undefined) !== (hmac === undefined)) {
    throw new PduError(
      PduStatus.INVALID_REQUEST,
      "PDU_HMAC_HEADER_PAIR",
      `${what}: header and HMAC go together`,
    );
  }
  return header === undefined || hmac === undefined
    ? { fields }
    : { header: decodeHeader(header), hmac: openHmac(bytes, hmac, hasher), fields };
}

/**
 * Where a PDU is serialized: exactly `length` bytes, whose content does not matter (every byte is
 * written). A server answering thousands of small PDUs a second takes them from a pool: a fresh
 * Uint8Array of that size has a backing store of its own, which costs more to allocate and collect.
 */
export type PduAllocator = (length: number) => Uint8Array;

const newBytes: PduAllocator = (length) => new Uint8Array(length);

/** Serializes a PDU and writes its HMAC under `key` as the last element. */
export function sealPdu(
  type: number,
  header: PduHeader,
  body: readonly TlvPart[],
  key: Uint8Array,
  algorithm: number,
  allocate: PduAllocator = newBytes,
  hasher: Hasher = nobleHasher,
): Uint8Array {
  const digestLength = hashAlgorithm(algorithm).digestLength;
  const placeholder = tlv(PduChildTag.HMAC, makeImprint(algorithm, new Uint8Array(digestLength)));
  const frame = composite(type, [encodeHeader(header), ...body, placeholder]);
  const bytes = allocate(partLength(frame));
  writePart(frame, bytes, 0);
  bytes.set(computePduHmac(bytes, key, algorithm, hasher), bytes.length - digestLength);
  return bytes;
}

/** A response the server cannot authenticate (unknown login, unreadable request): the error alone. */
export function encodeUnauthenticatedPdu(type: number, body: TlvElement): Uint8Array {
  return encodeTlv(tlv(type, encodeTlv(body)));
}

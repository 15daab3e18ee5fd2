import { FormatError } from "../errors.ts";
import { bytesEqual } from "../util/bytes.ts";
import {
  contextTag,
  type DerElement,
  DerFields,
  derAlgorithm,
  readAlgorithm,
  readBoolean,
  readInteger,
  readOid,
  readSingle,
  TAG,
} from "./der.ts";
import { TimeStampRefusal } from "./failure.ts";
import { TSA_HASHES } from "./oids.ts";

/** A TimeStampReq (RFC 3161 §2.4.1) a node can answer. */
export interface TimeStampRequest {
  /** The MessageImprint's DER: echoed byte for byte in TSTInfo. */
  readonly messageImprint: Uint8Array;
  readonly hashAlgorithm: string;
  readonly hashedMessage: Uint8Array;
  /** KSI imprint of the same hash: the algorithm id, then the digest. */
  readonly ksiImprint: Uint8Array;
  readonly reqPolicy: string | undefined;
  /** The nonce INTEGER's DER, echoed as it came. */
  readonly nonce: Uint8Array | undefined;
  readonly certReq: boolean;
}

/**
 * The accepted hashes' AlgorithmIdentifiers as clients write them (parameters NULL or absent), read
 * once: a query's is matched by its bytes, and only another one is read (and refused) in full.
 */
const KNOWN_ALGORITHMS = [...TSA_HASHES.keys()].flatMap((oid) =>
  [derAlgorithm(oid, true), derAlgorithm(oid)].map((der) => ({ der, read: readAlgorithm(readSingle(der)) })),
);

function readHashAlgorithm(element: DerElement): ReturnType<typeof readAlgorithm> {
  return KNOWN_ALGORITHMS.find((known) => bytesEqual(known.der, element.der))?.read ?? readAlgorithm(element);
}

/**
 * Parse and check a DER TimeStampReq; refuses (TimeStampRefusal) with the failure RFC 3161 names:
 * undecodable → badDataFormat, version ≠ 1 → badRequest, a hash other than SHA-256/384/512 or with
 * parameters other than NULL → badAlg, a digest of the wrong length → badDataFormat, a reqPolicy other
 * than `policy` → unacceptedPolicy, any extension → unacceptedExtension.
 */
export function parseTimeStampRequest(bytes: Uint8Array, policy: string): TimeStampRequest {
  let fields: DerFields;
  let version: bigint;
  let imprint: DerElement;
  let reqPolicy: string | undefined;
  let nonce: DerElement | undefined;
  let certReq = false;
  let extensions: DerElement | undefined;
  let algorithm: ReturnType<typeof readAlgorithm>;
  let hashed: DerElement;
  try {
    fields = new DerFields(readSingle(bytes));
    version = readInteger(fields.take(TAG.INTEGER, "version"));
    imprint = fields.take(TAG.SEQUENCE, "messageImprint");
    const policyField = fields.optional(TAG.OID);
    reqPolicy = policyField === undefined ? undefined : readOid(policyField);
    nonce = fields.optional(TAG.INTEGER);
    if (nonce !== undefined) readInteger(nonce);
    const certReqField = fields.optional(TAG.BOOLEAN);
    if (certReqField !== undefined) certReq = readBoolean(certReqField);
    extensions = fields.optional(contextTag(0));
    fields.end("the request");
    const imprintFields = new DerFields(imprint);
    algorithm = readHashAlgorithm(imprintFields.take(TAG.SEQUENCE, "hashAlgorithm"));
    hashed = imprintFields.take(TAG.OCTET_STRING, "hashedMessage");
    imprintFields.end("messageImprint");
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    throw new TimeStampRefusal("badDataFormat", `not a DER TimeStampReq: ${error.message}`);
  }
  if (version !== 1n) throw new TimeStampRefusal("badRequest", `request version ${version}; only 1 is known`);
  const hash = TSA_HASHES.get(algorithm.oid);
  if (hash === undefined) {
    throw new TimeStampRefusal(
      "badAlg",
      `hash algorithm ${algorithm.oid} is not accepted; use SHA-256, -384 or -512`,
    );
  }
  const parameters = algorithm.parameters;
  if (parameters !== undefined && !(parameters.tag === TAG.NULL && parameters.value.length === 0)) {
    throw new TimeStampRefusal("badAlg", "the hash algorithm's parameters must be absent or NULL");
  }
  if (hashed.value.length !== hash.length) {
    throw new TimeStampRefusal(
      "badDataFormat",
      `the message imprint has ${hashed.value.length} bytes; its algorithm makes ${hash.length}`,
    );
  }
  if (reqPolicy !== undefined && reqPolicy !== policy) {
    throw new TimeStampRefusal(
      "unacceptedPolicy",
      `policy ${reqPolicy} is not served here; this TSA's is ${policy}`,
    );
  }
  if (extensions !== undefined) {
    throw new TimeStampRefusal("unacceptedExtension", "this TSA implements no request extensions");
  }
  const ksiImprint = new Uint8Array(1 + hash.length);
  ksiImprint[0] = hash.ksiId;
  ksiImprint.set(hashed.value, 1);
  return {
    messageImprint: imprint.der,
    hashAlgorithm: algorithm.oid,
    hashedMessage: hashed.value,
    ksiImprint,
    reqPolicy,
    nonce: nonce?.der,
    certReq,
  };
}

import { FormatError } from "../errors.ts";
import {
  contextTag,
  type DerElement,
  DerFields,
  der,
  readAlgorithm,
  readChildren,
  readInteger,
  readOid,
  readSingle,
  readTime,
  TAG,
} from "./der.ts";
import { OID, TEMPEL_KSI_SIGNATURE_ATTRIBUTE } from "./oids.ts";

/** A TimeStampResp as read: the status, the failure bits set, and the token when granted. */
export interface TimeStampResponse {
  readonly status: number;
  readonly statusText: readonly string[];
  /** Numbers of the PKIFailureInfo bits set (FailInfo). */
  readonly failInfo: readonly number[];
  readonly token: Uint8Array | undefined;
}

export function readTimeStampResponse(bytes: Uint8Array): TimeStampResponse {
  const outer = new DerFields(readSingle(bytes));
  const statusInfo = new DerFields(outer.take(TAG.SEQUENCE, "status"));
  const status = Number(readInteger(statusInfo.take(TAG.INTEGER, "status")));
  const text = statusInfo.optional(TAG.SEQUENCE);
  const bits = statusInfo.optional(TAG.BIT_STRING);
  statusInfo.end("PKIStatusInfo");
  const token = outer.optional(TAG.SEQUENCE);
  outer.end("TimeStampResp");
  const failInfo: number[] = [];
  if (bits !== undefined) {
    bits.value.subarray(1).forEach((octet, i) => {
      for (let b = 0; b < 8; b++) if (octet & (0x80 >> b)) failInfo.push(i * 8 + b);
    });
  }
  return {
    status,
    statusText: text === undefined ? [] : readChildren(text).map((s) => new TextDecoder().decode(s.value)),
    failInfo,
    token: token?.der,
  };
}

export interface TstInfo {
  readonly policy: string;
  /** The MessageImprint's DER. */
  readonly messageImprint: Uint8Array;
  readonly hashAlgorithm: string;
  readonly hashedMessage: Uint8Array;
  readonly serialNumber: bigint;
  /** Unix seconds (fractions dropped). */
  readonly genTime: number;
  readonly nonce: bigint | undefined;
}

export interface SignerInfoParts {
  readonly issuer: Uint8Array;
  readonly serialNumber: Uint8Array;
  readonly digestAlgorithm: string;
  /** The signed attributes as signed: DER SET OF (tag 0x31), not the stored [0]. */
  readonly signedAttributes: Uint8Array;
  readonly attributes: ReadonlyMap<string, readonly DerElement[]>;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  readonly unsignedAttributes: ReadonlyMap<string, readonly DerElement[]>;
}

/** A TimeStampToken's parts (RFC 3161 §2.4.2 over RFC 5652 §5); what they prove is the verifier's to check. */
export interface TimeStampToken {
  readonly tstInfo: TstInfo;
  /** The eContent octets: DER TSTInfo, what messageDigest is computed over. */
  readonly tstInfoDer: Uint8Array;
  readonly certificates: readonly Uint8Array[];
  readonly signerInfo: SignerInfoParts;
}

function attributesOf(set: DerElement | undefined): Map<string, DerElement[]> {
  const out = new Map<string, DerElement[]>();
  for (const attribute of set === undefined ? [] : readChildren(set)) {
    const fields = new DerFields(attribute);
    const oid = readOid(fields.take(TAG.OID, "attrType"));
    out.set(oid, readChildren(fields.take(TAG.SET, "attrValues")));
    fields.end("attribute");
  }
  return out;
}

export function readTimeStampToken(bytes: Uint8Array): TimeStampToken {
  const contentInfo = new DerFields(readSingle(bytes));
  if (readOid(contentInfo.take(TAG.OID, "contentType")) !== OID.signedData) {
    throw new FormatError("TSA_TOKEN_MALFORMED", "not a CMS SignedData");
  }
  const explicit = contentInfo.take(contextTag(0), "content");
  contentInfo.end("ContentInfo");
  const signedData = new DerFields(readSingle(explicit.value));
  signedData.take(TAG.INTEGER, "version");
  signedData.take(TAG.SET, "digestAlgorithms");
  const encapsulated = new DerFields(signedData.take(TAG.SEQUENCE, "encapContentInfo"));
  const eContentType = readOid(encapsulated.take(TAG.OID, "eContentType"));
  const eContent = octets(readSingle(encapsulated.take(contextTag(0), "eContent").value));
  encapsulated.end("encapContentInfo");
  if (eContentType !== OID.tstInfo) {
    throw new FormatError("TSA_TOKEN_MALFORMED", "the token's content is not a TSTInfo");
  }
  const certificates = signedData.optional(contextTag(0));
  signedData.optional(contextTag(1));
  const signerInfos = readChildren(signedData.take(TAG.SET, "signerInfos"));
  signedData.end("SignedData");
  if (signerInfos.length !== 1)
    throw new FormatError("TSA_TOKEN_MALFORMED", `a token has one signer, this one ${signerInfos.length}`);
  return {
    tstInfo: readTstInfo(eContent),
    tstInfoDer: eContent,
    certificates: certificates === undefined ? [] : readChildren(certificates).map((c) => c.der),
    signerInfo: readSignerInfo(signerInfos[0]!),
  };
}

/**
 * An OCTET STRING's octets. CMS is BER: some TSAs (pkijs among them) wrap eContent in a constructed
 * OCTET STRING of primitive segments, which is taken here, one level deep.
 */
function octets(element: DerElement): Uint8Array {
  if (element.tag === TAG.OCTET_STRING) return element.value;
  if (element.tag !== (TAG.OCTET_STRING | 0x20)) {
    throw new FormatError("TSA_TOKEN_MALFORMED", "the token's content is not an OCTET STRING");
  }
  const segments = readChildren(element).map((segment) => {
    if (segment.tag !== TAG.OCTET_STRING)
      throw new FormatError("TSA_TOKEN_MALFORMED", "a segment is not an OCTET STRING");
    return segment.value;
  });
  const out = new Uint8Array(segments.reduce((n, s) => n + s.length, 0));
  let at = 0;
  for (const segment of segments) {
    out.set(segment, at);
    at += segment.length;
  }
  return out;
}

function readSignerInfo(element: DerElement): SignerInfoParts {
  const fields = new DerFields(element);
  fields.take(TAG.INTEGER, "version");
  const sid = new DerFields(fields.take(TAG.SEQUENCE, "issuerAndSerialNumber"));
  const issuer = sid.take(TAG.SEQUENCE, "issuer").der;
  const serialNumber = sid.take(TAG.INTEGER, "serialNumber").der;
  const digestAlgorithm = readAlgorithm(fields.take(TAG.SEQUENCE, "digestAlgorithm")).oid;
  const signed = fields.take(contextTag(0), "signedAttrs");
  const signatureAlgorithm = readAlgorithm(fields.take(TAG.SEQUENCE, "signatureAlgorithm")).oid;
  const signature = fields.take(TAG.OCTET_STRING, "signature").value;
  const unsigned = fields.optional(contextTag(1));
  fields.end("SignerInfo");
  return {
    issuer,
    serialNumber,
    digestAlgorithm,
    signedAttributes: der(TAG.SET, signed.value),
    attributes: attributesOf(signed),
    signatureAlgorithm,
    signature,
    unsignedAttributes: attributesOf(unsigned),
  };
}

function readTstInfo(bytes: Uint8Array): TstInfo {
  const fields = new DerFields(readSingle(bytes));
  if (readInteger(fields.take(TAG.INTEGER, "version")) !== 1n)
    throw new FormatError("TSA_TOKEN_MALFORMED", "TSTInfo version is not 1");
  const policy = readOid(fields.take(TAG.OID, "policy"));
  const imprint = fields.take(TAG.SEQUENCE, "messageImprint");
  const imprintFields = new DerFields(imprint);
  const hashAlgorithm = readAlgorithm(imprintFields.take(TAG.SEQUENCE, "hashAlgorithm")).oid;
  const hashedMessage = imprintFields.take(TAG.OCTET_STRING, "hashedMessage").value;
  const serialNumber = readInteger(fields.take(TAG.INTEGER, "serialNumber"));
  const genTime = readTime(fields.take(TAG.GENERALIZED_TIME, "genTime"));
  fields.optional(TAG.SEQUENCE);
  fields.optional(TAG.BOOLEAN);
  const nonce = fields.optional(TAG.INTEGER);
  return {
    policy,
    messageImprint: imprint.der,
    hashAlgorithm,
    hashedMessage,
    serialNumber,
    genTime,
    nonce: nonce === undefined ? undefined : readInteger(nonce),
  };
}

/** The KSI signature (TLV 0x0800) a Tempel token carries in id-aa-tempelKsiSignature, if it has one. */
export function tempelKsiSignatureOf(token: TimeStampToken): Uint8Array | undefined {
  const values = token.signerInfo.unsignedAttributes.get(TEMPEL_KSI_SIGNATURE_ATTRIBUTE);
  if (values?.length !== 1 || values[0]!.tag !== TAG.OCTET_STRING) return undefined;
  return values[0]!.value;
}

import { FormatError } from "../errors.ts";
import { type Imprint, makeImprint } from "../hash/imprint.ts";
import { OID } from "../pki/oids.ts";
import { concatBytes } from "../util/bytes.ts";
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
import { TEMPEL_KSI_SIGNATURE_ATTRIBUTE, TSA_HASHES } from "./oids.ts";
import { TimestampTokenError } from "./timestamp-token-error.ts";

/** A token with its chain and a KSI signature is a few kilobytes; this leaves room and no more. */
export const MAX_TIMESTAMP_TOKEN_BYTES = 256 * 1024;

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
  /** The imprint hash algorithm's OID, one of TSA_HASHES. */
  readonly hashAlgorithm: string;
  readonly hashedMessage: Uint8Array;
  /** The same hash as a KSI imprint (algorithm byte ‖ digest), for the KSI anchor's input hash. */
  readonly imprint: Imprint;
  readonly serialNumber: bigint;
  /** Unix seconds (fractions dropped). */
  readonly genTime: number;
  readonly nonce: bigint | undefined;
}

/** An attribute type and its values, as a SignerInfo carries them. */
export type Attributes = ReadonlyMap<string, readonly DerElement[]>;

export interface SignerInfoParts {
  /** The signer certificate's issuer Name and serialNumber INTEGER, both DER (as readCertificate gives them). */
  readonly issuer: Uint8Array;
  readonly serialNumber: Uint8Array;
  readonly digestAlgorithm: string;
  /** The signed attributes as signed: DER SET OF (tag 0x31), not the stored [0] (RFC 5652 §5.4). */
  readonly signedAttributesDer: Uint8Array;
  readonly signedAttributes: Attributes;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  readonly unsignedAttributes: Attributes;
}

/** A TimeStampToken's parts (RFC 3161 §2.4.2 over RFC 5652 §5); what they prove is the verifier's to check. */
export interface TimeStampToken {
  readonly tstInfo: TstInfo;
  /** The eContent octets: DER TSTInfo, what messageDigest is computed over. */
  readonly tstInfoDer: Uint8Array;
  /** DER certificates the token carries (present when the request asked for them). */
  readonly certificates: readonly Uint8Array[];
  readonly signerInfo: SignerInfoParts;
}

function malformed(message: string): TimestampTokenError {
  return new TimestampTokenError("TOKEN_MALFORMED", message);
}

function attributesOf(set: DerElement | undefined, what: string): Attributes {
  const out = new Map<string, DerElement[]>();
  for (const attribute of set === undefined ? [] : readChildren(set)) {
    const fields = new DerFields(attribute);
    const oid = readOid(fields.take(TAG.OID, `${what} attribute type`));
    const values = readChildren(fields.take(TAG.SET, `${what} attribute ${oid} values`));
    fields.end(`${what} attribute ${oid}`);
    if (out.has(oid)) throw malformed(`${what} attribute ${oid} appears twice`);
    out.set(oid, values);
  }
  return out;
}

/** An AlgorithmIdentifier's OID; digest and signature algorithms carry NULL parameters or none (RFC 5754 §2). */
function algorithmOf(element: DerElement, what: string): string {
  const { oid, parameters } = readAlgorithm(element);
  if (parameters !== undefined && parameters.tag !== TAG.NULL) {
    throw malformed(`${what} has parameters this reader does not take`);
  }
  return oid;
}

/** The ContentInfo of a bare token, or of the token inside a granted TimeStampResp. */
function contentInfoOf(root: DerElement): DerElement {
  const [first, token] = readChildren(root);
  if (first?.tag !== TAG.SEQUENCE) return root;
  // A TimeStampResp: status first, then the token, present only when granted.
  const status = Number(readInteger(new DerFields(first).take(TAG.INTEGER, "PKIStatus")));
  if (status > 1 || token === undefined) {
    throw new TimestampTokenError(
      "TOKEN_REFUSED",
      `the TSA refused the request (PKIStatus ${status}): the reply holds no token`,
    );
  }
  return token;
}

/**
 * Read an RFC 3161 time-stamp token, bare (ContentInfo, as `openssl ts -reply -token_out` writes it)
 * or inside a TimeStampResp (a `.tsr` reply). Strict DER but for a BER-segmented eContent; throws
 * TimestampTokenError saying what is wrong. Nothing is verified here.
 */
export function readTimeStampToken(bytes: Uint8Array): TimeStampToken {
  if (bytes.length > MAX_TIMESTAMP_TOKEN_BYTES) {
    throw new TimestampTokenError(
      "TOKEN_TOO_LARGE",
      `${bytes.length} bytes exceed the ${MAX_TIMESTAMP_TOKEN_BYTES} a time-stamp token may have`,
    );
  }
  try {
    return readToken(bytes);
  } catch (error) {
    if (error instanceof FormatError) throw new TimestampTokenError(error.code, error.message);
    throw error;
  }
}

function readToken(bytes: Uint8Array): TimeStampToken {
  const contentInfo = new DerFields(contentInfoOf(readSingle(bytes)));
  if (readOid(contentInfo.take(TAG.OID, "contentType")) !== OID.signedData) {
    throw malformed("the token is not a CMS SignedData");
  }
  const explicit = contentInfo.take(contextTag(0), "content");
  contentInfo.end("ContentInfo");
  const signedData = new DerFields(readSingle(explicit.value));
  signedData.take(TAG.INTEGER, "version");
  signedData.take(TAG.SET, "digestAlgorithms");
  const encapsulated = new DerFields(signedData.take(TAG.SEQUENCE, "encapContentInfo"));
  const eContentType = readOid(encapsulated.take(TAG.OID, "eContentType"));
  const eContent = readOctets(readSingle(encapsulated.take(contextTag(0), "eContent").value));
  encapsulated.end("encapContentInfo");
  if (eContentType !== OID.tstInfo) throw malformed("the signed content is not a TSTInfo");
  const certificates = signedData.optional(contextTag(0));
  signedData.optional(contextTag(1)); // CRLs: revocation is not checked from the token
  const signerInfos = readChildren(signedData.take(TAG.SET, "signerInfos"));
  signedData.end("SignedData");
  if (signerInfos.length !== 1)
    throw malformed(`a time-stamp token has one signer, this one ${signerInfos.length}`);
  return {
    tstInfo: readTstInfo(eContent),
    tstInfoDer: eContent,
    // Other certificate choices (attribute certificates) name no signer here.
    certificates:
      certificates === undefined
        ? []
        : readChildren(certificates)
            .filter((c) => c.tag === TAG.SEQUENCE)
            .map((c) => c.der),
    signerInfo: readSignerInfo(signerInfos[0]!),
  };
}

/**
 * An OCTET STRING's octets. CMS is BER: some TSAs (pkijs among them) wrap eContent in a constructed
 * OCTET STRING of primitive segments, which is taken here, one level deep.
 */
export function readOctets(element: DerElement): Uint8Array {
  if (element.tag === TAG.OCTET_STRING) return element.value;
  if (element.tag !== (TAG.OCTET_STRING | 0x20))
    throw malformed("the token's content is not an OCTET STRING");
  const segments = readChildren(element).map((segment) => {
    if (segment.tag !== TAG.OCTET_STRING)
      throw malformed("a segment of the token's content is not an OCTET STRING");
    return segment.value;
  });
  return concatBytes(...segments);
}

function readSignerInfo(element: DerElement): SignerInfoParts {
  const fields = new DerFields(element);
  if (readInteger(fields.take(TAG.INTEGER, "SignerInfo version")) !== 1n) {
    throw malformed("the SignerInfo does not name its certificate by issuer and serial number (version 1)");
  }
  const sid = new DerFields(fields.take(TAG.SEQUENCE, "issuerAndSerialNumber"));
  const issuer = sid.take(TAG.SEQUENCE, "issuer").der;
  const serialNumber = sid.take(TAG.INTEGER, "serialNumber").der;
  sid.end("issuerAndSerialNumber");
  const digestAlgorithm = algorithmOf(
    fields.take(TAG.SEQUENCE, "digestAlgorithm"),
    "SignerInfo digestAlgorithm",
  );
  const signed = fields.take(contextTag(0), "signedAttrs");
  const signatureAlgorithm = algorithmOf(
    fields.take(TAG.SEQUENCE, "signatureAlgorithm"),
    "SignerInfo signatureAlgorithm",
  );
  const signature = fields.take(TAG.OCTET_STRING, "signature").value;
  const unsigned = fields.optional(contextTag(1));
  fields.end("SignerInfo");
  return {
    issuer,
    serialNumber,
    digestAlgorithm,
    signedAttributesDer: der(TAG.SET, signed.value),
    signedAttributes: attributesOf(signed, "signed"),
    signatureAlgorithm,
    signature,
    unsignedAttributes: attributesOf(unsigned, "unsigned"),
  };
}

function readTstInfo(bytes: Uint8Array): TstInfo {
  const fields = new DerFields(readSingle(bytes));
  if (readInteger(fields.take(TAG.INTEGER, "version")) !== 1n) throw malformed("TSTInfo version is not 1");
  const policy = readOid(fields.take(TAG.OID, "policy"));
  const imprint = fields.take(TAG.SEQUENCE, "messageImprint");
  const imprintFields = new DerFields(imprint);
  const hashAlgorithm = algorithmOf(
    imprintFields.take(TAG.SEQUENCE, "hashAlgorithm"),
    "messageImprint hashAlgorithm",
  );
  const hashedMessage = imprintFields.take(TAG.OCTET_STRING, "hashedMessage").value;
  imprintFields.end("messageImprint");
  const known = TSA_HASHES.get(hashAlgorithm);
  if (known === undefined) {
    throw new TimestampTokenError(
      "TOKEN_HASH_UNSUPPORTED",
      `the token's imprint uses hash ${hashAlgorithm}; only SHA-256, SHA-384 and SHA-512 are accepted`,
    );
  }
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
    imprint: makeImprint(known.ksiId, hashedMessage),
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

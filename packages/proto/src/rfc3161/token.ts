import { type Hasher, nobleHasher } from "../hash/index.ts";
import { OID } from "../pki/oids.ts";
import {
  contextTag,
  der,
  derAlgorithm,
  derGeneralizedTime,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derSetOf,
  readElement,
  TAG,
} from "./der.ts";
import { TEMPEL_KSI_SIGNATURE_ATTRIBUTE } from "./oids.ts";

const SHA2_256 = 0x01;

/** The TSA's signing identity as a token names it. */
export interface TokenSigner {
  /** The TSA certificate's DER. */
  readonly certificate: Uint8Array;
  /** Its issuer Name and serial number INTEGER, copied from the certificate (the SignerInfo's sid). */
  readonly issuer: Uint8Array;
  readonly serialNumber: Uint8Array;
  /** Certificates the TSA certificate chains to, included with it when a request asks (certReq). */
  readonly chain: readonly Uint8Array[];
  /** The SignerInfo's signatureAlgorithm (ecdsa-with-SHA256 or sha256WithRSAEncryption). */
  readonly signatureAlgorithm: Uint8Array;
}

export interface TstInfoFields {
  readonly policy: string;
  /** DER MessageImprint, as the request had it. */
  readonly messageImprint: Uint8Array;
  readonly serialNumber: bigint;
  /** Unix seconds. */
  readonly genTime: number;
  /** DER INTEGER of the request's nonce, if it had one. */
  readonly nonce: Uint8Array | undefined;
}

/** The ESS signingCertificateV2 value for a certificate: SHA-256 (the DEFAULT, so omitted) of its DER. */
export function signingCertificateV2(certificateHash: Uint8Array): Uint8Array {
  return derSequence(derSequence(derSequence(derOctetString(certificateHash))));
}

const VERSION_1 = derInteger(1);
const ACCURACY_ONE_SECOND = derSequence(derInteger(1));

/** The last genTime encoded: a round's tokens all share their second. */
let lastGenTime: { second: number; der: Uint8Array } = { second: Number.NaN, der: new Uint8Array(0) };

function genTimeDer(second: number): Uint8Array {
  if (lastGenTime.second !== second) lastGenTime = { second, der: derGeneralizedTime(second) };
  return lastGenTime.der;
}

/** TSTInfo with accuracy 1 s and ordering absent (RFC 3161 §2.4.2). */
export function encodeTstInfo(fields: TstInfoFields): Uint8Array {
  return derSequence(
    VERSION_1,
    derOid(fields.policy),
    fields.messageImprint,
    derInteger(fields.serialNumber),
    genTimeDer(fields.genTime),
    ACCURACY_ONE_SECOND,
    ...(fields.nonce === undefined ? [] : [fields.nonce]),
  );
}

export const encodeAttribute = (oid: string, ...values: readonly Uint8Array[]): Uint8Array =>
  derSequence(derOid(oid), derSetOf(values));

/** A token waiting for its signature: `signedAttributes` (a DER SET) is what the TSA key signs. */
export interface UnsignedToken {
  readonly signedAttributes: Uint8Array;
  /**
   * The TimeStampToken (ContentInfo) with `signature`, and with the KSI signature of the imprint as
   * its unsigned attribute id-aa-tempelKsiSignature when one is given.
   */
  token(signature: Uint8Array, ksiSignature?: Uint8Array): Uint8Array;
  /** The same token inside a granted TimeStampResp, written at once rather than copied into it. */
  response(signature: Uint8Array, ksiSignature?: Uint8Array): Uint8Array;
}

const GRANTED = derSequence(derInteger(0));
const SIGNED_DATA_TYPE = derOid(OID.signedData);
const SIGNED_DATA_HEAD = concat(derInteger(3), derSetOf([derAlgorithm(OID.sha256)]));
const TST_INFO_TYPE = derOid(OID.tstInfo);
const KSI_ATTRIBUTE_TYPE = derOid(TEMPEL_KSI_SIGNATURE_ATTRIBUTE);
const DIGEST_BYTES = 32;

/**
 * Writes the CMS SignedData of tokens (RFC 3161 §2.4.2, RFC 5652 §5) for one TSA key: version 3, one
 * SignerInfo v1 naming the signer by issuer and serial number, signed attributes contentType,
 * messageDigest and signingCertificateV2, sorted as DER wants (BouncyCastle, so X-Road, re-sorts them
 * before verifying). What does not change from token to token — the signed attributes but for the
 * digest, the signer's identity, the certificates — is encoded once; a token is then one allocation
 * with the lengths computed up front, instead of a dozen nested copies of the KSI signature.
 */
export class TokenWriter {
  readonly #signer: TokenSigner;
  readonly #hasher: Hasher;
  /** The DER SET of signed attributes with a zero messageDigest, and where the digest goes. */
  readonly #attributes: Uint8Array;
  readonly #digestAt: number;
  /** Octets of the SET's tag and length: the token stores the SET's contents under [0] IMPLICIT. */
  readonly #attributesHeader: number;
  /** SignerInfo's version, sid and digestAlgorithm. */
  readonly #signerHead: Uint8Array;
  /** SignedData's [0] certificates: the TSA certificate and its chain. */
  readonly #certificates: Uint8Array;

  /** Where each token is written; every octet of it is, so it need not come zeroed. */
  readonly #allocate: (size: number) => Uint8Array;

  /**
   * `certificateHash` is SHA-256 of the signer's certificate (its ESSCertIDv2). `allocate` gives a
   * token's buffer: Node's pooled Buffer.allocUnsafe spares the node an ArrayBuffer per token.
   */
  constructor(
    signer: TokenSigner,
    certificateHash: Uint8Array,
    hasher: Hasher = nobleHasher,
    allocate: (size: number) => Uint8Array = (size) => new Uint8Array(size),
  ) {
    this.#signer = signer;
    this.#allocate = allocate;
    this.#hasher = hasher;
    const digestAttribute = encodeAttribute(OID.messageDigest, derOctetString(new Uint8Array(DIGEST_BYTES)));
    // The three attributes differ in length, so their DER order is the same whatever the digest.
    this.#attributes = derSetOf([
      encodeAttribute(OID.contentType, derOid(OID.tstInfo)),
      digestAttribute,
      encodeAttribute(OID.signingCertificateV2, signingCertificateV2(certificateHash)),
    ]);
    this.#attributesHeader = this.#attributes.length - readElement(this.#attributes).value.length;
    this.#digestAt = indexOf(this.#attributes, digestAttribute) + digestAttribute.length - DIGEST_BYTES;
    this.#signerHead = concat(
      derInteger(1),
      derSequence(signer.issuer, signer.serialNumber),
      derAlgorithm(OID.sha256),
    );
    this.#certificates = der(contextTag(0), signer.certificate, ...signer.chain);
  }

  /** The token for `tstInfo`, to be signed; with the certificates when the request asked (certReq). */
  prepare(tstInfo: Uint8Array, includeCertificates: boolean): UnsignedToken {
    const signedAttributes = this.#attributes.slice();
    signedAttributes.set(this.#hasher(SHA2_256, tstInfo), this.#digestAt);
    const write = (granted: boolean, signature: Uint8Array, ksiSignature: Uint8Array | undefined) =>
      this.#write(granted, tstInfo, signedAttributes, signature, ksiSignature, includeCertificates);
    return {
      signedAttributes,
      token: (signature, ksiSignature) => write(false, signature, ksiSignature),
      response: (signature, ksiSignature) => write(true, signature, ksiSignature),
    };
  }

  #write(
    granted: boolean,
    tstInfo: Uint8Array,
    signedAttributes: Uint8Array,
    signature: Uint8Array,
    ksiSignature: Uint8Array | undefined,
    includeCertificates: boolean,
  ): Uint8Array {
    const algorithm = this.#signer.signatureAlgorithm;
    // Content lengths, innermost first; tlv(n) is the whole element around n content octets.
    const eContent = tlv(tlv(tstInfo.length));
    const encapsulated = TST_INFO_TYPE.length + eContent;
    const ksiValues = ksiSignature === undefined ? 0 : tlv(tlv(ksiSignature.length));
    const ksiAttribute = KSI_ATTRIBUTE_TYPE.length + ksiValues;
    const signerInfo =
      this.#signerHead.length +
      signedAttributes.length +
      algorithm.length +
      tlv(signature.length) +
      (ksiSignature === undefined ? 0 : tlv(tlv(ksiAttribute)));
    const signedData =
      SIGNED_DATA_HEAD.length +
      tlv(encapsulated) +
      (includeCertificates ? this.#certificates.length : 0) +
      tlv(tlv(signerInfo));
    const contentInfo = SIGNED_DATA_TYPE.length + tlv(tlv(signedData));
    const out = new Writer(
      this.#allocate(granted ? tlv(GRANTED.length + tlv(contentInfo)) : tlv(contentInfo)),
    );
    if (granted) out.header(TAG.SEQUENCE, GRANTED.length + tlv(contentInfo)).bytes(GRANTED);
    out.header(TAG.SEQUENCE, contentInfo).bytes(SIGNED_DATA_TYPE);
    out.header(contextTag(0), tlv(signedData)).header(TAG.SEQUENCE, signedData).bytes(SIGNED_DATA_HEAD);
    out.header(TAG.SEQUENCE, encapsulated).bytes(TST_INFO_TYPE);
    out.header(contextTag(0), tlv(tstInfo.length)).header(TAG.OCTET_STRING, tstInfo.length).bytes(tstInfo);
    if (includeCertificates) out.bytes(this.#certificates);
    out.header(TAG.SET, tlv(signerInfo)).header(TAG.SEQUENCE, signerInfo).bytes(this.#signerHead);
    // Stored under [0] IMPLICIT: the same bytes as signed, retagged.
    const attributes = signedAttributes.subarray(this.#attributesHeader);
    out.header(contextTag(0), attributes.length).bytes(attributes);
    out.bytes(algorithm).header(TAG.OCTET_STRING, signature.length).bytes(signature);
    if (ksiSignature !== undefined) {
      out
        .header(contextTag(1), tlv(ksiAttribute))
        .header(TAG.SEQUENCE, ksiAttribute)
        .bytes(KSI_ATTRIBUTE_TYPE);
      out.header(TAG.SET, tlv(ksiSignature.length)).header(TAG.OCTET_STRING, ksiSignature.length);
      out.bytes(ksiSignature);
    }
    return out.done();
  }
}

/** Octets of an element with `length` content octets: tag, length, content. */
function tlv(length: number): number {
  return 1 + lengthOctets(length) + length;
}

function lengthOctets(length: number): number {
  return length < 0x80 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : length < 0x1000000 ? 4 : 5;
}

/** Writes DER headers and bytes into one buffer of a size known up front. */
class Writer {
  readonly #out: Uint8Array;
  #at = 0;

  constructor(out: Uint8Array) {
    this.#out = out;
  }

  header(tag: number, length: number): this {
    const out = this.#out;
    out[this.#at++] = tag;
    const octets = lengthOctets(length);
    if (octets === 1) out[this.#at++] = length;
    else {
      out[this.#at++] = 0x80 | (octets - 1);
      for (let i = octets - 2; i >= 0; i--) out[this.#at++] = (length / 256 ** i) & 0xff;
    }
    return this;
  }

  bytes(part: Uint8Array): this {
    this.#out.set(part, this.#at);
    this.#at += part.length;
    return this;
  }

  done(): Uint8Array {
    if (this.#at !== this.#out.length) throw new RangeError("token writer: lengths do not add up");
    return this.#out;
  }
}

function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  for (let i = 0; i + needle.length <= haystack.length; i++) {
    let j = 0;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  throw new RangeError("token writer: the messageDigest attribute is not in the signed attributes");
}

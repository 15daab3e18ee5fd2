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
} from "./der.ts";

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

/** TSTInfo with accuracy 1 s and ordering absent (RFC 3161 §2.4.2). */
export function encodeTstInfo(fields: TstInfoFields): Uint8Array {
  return derSequence(
    derInteger(1),
    derOid(fields.policy),
    fields.messageImprint,
    derInteger(fields.serialNumber),
    derGeneralizedTime(fields.genTime),
    derSequence(derInteger(1)),
    ...(fields.nonce === undefined ? [] : [fields.nonce]),
  );
}

export const encodeAttribute = (oid: string, ...values: readonly Uint8Array[]): Uint8Array =>
  derSequence(derOid(oid), derSetOf(values));

/** A token waiting for its signature: `signedAttributes` (a DER SET) is what the TSA key signs. */
export interface UnsignedToken {
  readonly signedAttributes: Uint8Array;
  /** The TimeStampToken (ContentInfo) with `signature` and the unsigned attributes given. */
  finish(signature: Uint8Array, unsignedAttributes?: readonly Uint8Array[]): Uint8Array;
}

/**
 * The CMS SignedData of a token (RFC 3161 §2.4.2, RFC 5652 §5) around `tstInfo`: version 3, one
 * SignerInfo v1 naming the signer by issuer and serial number, signed attributes contentType,
 * messageDigest and signingCertificateV2, sorted as DER wants (BouncyCastle, so X-Road, re-sorts them
 * before verifying). `certificateHash` is SHA-256 of the signer's certificate, computed once per key.
 */
export function prepareToken(
  tstInfo: Uint8Array,
  signer: TokenSigner,
  certificateHash: Uint8Array,
  includeCertificates: boolean,
  hasher: Hasher = nobleHasher,
): UnsignedToken {
  const digest = hasher(SHA2_256, tstInfo);
  const signedAttributes = derSetOf([
    encodeAttribute(OID.contentType, derOid(OID.tstInfo)),
    encodeAttribute(OID.messageDigest, derOctetString(digest)),
    encodeAttribute(OID.signingCertificateV2, signingCertificateV2(certificateHash)),
  ]);
  return {
    signedAttributes,
    finish: (signature, unsignedAttributes = []) => {
      const signerInfo = derSequence(
        derInteger(1),
        derSequence(signer.issuer, signer.serialNumber),
        derAlgorithm(OID.sha256),
        // Stored under [0] IMPLICIT: the same bytes as signed, retagged.
        der(contextTag(0), readElement(signedAttributes).value),
        signer.signatureAlgorithm,
        derOctetString(signature),
        ...(unsignedAttributes.length === 0 ? [] : [derSetOf(unsignedAttributes, contextTag(1))]),
      );
      const signedData = derSequence(
        derInteger(3),
        derSetOf([derAlgorithm(OID.sha256)]),
        derSequence(derOid(OID.tstInfo), der(contextTag(0), derOctetString(tstInfo))),
        ...(includeCertificates ? [der(contextTag(0), signer.certificate, ...signer.chain)] : []),
        derSetOf([signerInfo]),
      );
      return derSequence(derOid(OID.signedData), der(contextTag(0), signedData));
    },
  };
}

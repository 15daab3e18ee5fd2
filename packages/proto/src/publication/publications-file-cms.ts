import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { parseCertificate } from "../pki/certificate.ts";
import { OID } from "../pki/oids.ts";
import { PkiError } from "../pki/pki-error.ts";
import type { PublicationsFileSigner } from "./publications-file.ts";

export interface PublicationsCmsSignerOptions {
  /** An RSASSA-PKCS1-v1_5 key with SHA-256: its signatures are deterministic. */
  readonly privateKey: CryptoKey;
  /** DER of the key's certificate, issued by the cluster's publications CA. */
  readonly certificate: Uint8Array;
  /** Unix second written as the signing-time attribute: the file's publication time, not the clock. */
  readonly signingTime: number;
}

/** RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise. */
const UTC_TIME_END = Date.UTC(2050, 0, 1);

function signingTimeValue(seconds: number): asn1js.BaseBlock {
  const date = new Date(seconds * 1000);
  return date.getTime() < UTC_TIME_END
    ? new asn1js.UTCTime({ valueDate: date })
    : new asn1js.GeneralizedTime({ valueDate: date });
}

/**
 * A publications-file signer making a detached CMS SignedData (what KSI verifiers and `openssl cms
 * -verify` check) that is a function of its inputs only: RSA PKCS#1 v1.5 has no randomness, and the
 * signing time is the publication time. The same file content signed by the same key therefore gives
 * the same bytes on every node and after every restart. The signed attributes are in DER order
 * (content type, signing time, message digest), because verifiers re-encode them before checking.
 */
export function publicationsCmsSigner(options: PublicationsCmsSignerOptions): PublicationsFileSigner {
  const { privateKey } = options;
  const algorithm = privateKey.algorithm as RsaHashedKeyAlgorithm;
  if (algorithm.name !== "RSASSA-PKCS1-v1_5" || algorithm.hash?.name !== "SHA-256") {
    throw new PkiError(
      "CMS_KEY_UNSUPPORTED",
      `the publications key must be RSASSA-PKCS1-v1_5 with SHA-256 (deterministic), not ${algorithm.name}`,
    );
  }
  if (!Number.isSafeInteger(options.signingTime) || options.signingTime < 0) {
    throw new PkiError("CMS_SIGNING_TIME", `signing time ${options.signingTime} is not a Unix second`);
  }
  const certificate = parseCertificate(options.certificate).parsed;
  return async (signedBytes) => {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", signedBytes.slice()));
    const attribute = (type: string, value: asn1js.BaseBlock) =>
      new pkijs.Attribute({ type, values: [value] });
    const signedData = new pkijs.SignedData({
      version: 1,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
      signerInfos: [
        new pkijs.SignerInfo({
          version: 1,
          sid: new pkijs.IssuerAndSerialNumber({
            issuer: certificate.issuer,
            serialNumber: certificate.serialNumber,
          }),
          signedAttrs: new pkijs.SignedAndUnsignedAttributes({
            type: 0,
            attributes: [
              attribute(OID.contentType, new asn1js.ObjectIdentifier({ value: OID.data })),
              attribute(OID.signingTime, signingTimeValue(options.signingTime)),
              attribute(OID.messageDigest, new asn1js.OctetString({ valueHex: digest })),
            ],
          }),
        }),
      ],
      certificates: [certificate],
    });
    await signedData.sign(privateKey, 0, "SHA-256", signedBytes.slice().buffer);
    const contentInfo = new pkijs.ContentInfo({
      contentType: OID.signedData,
      content: signedData.toSchema(true),
    });
    return new Uint8Array(contentInfo.toSchema().toBER(false));
  };
}

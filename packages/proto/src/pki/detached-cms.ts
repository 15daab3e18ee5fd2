import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { BER_LIMITS, parseCertificate, subjectAttributes, type X509Certificate } from "./certificate.ts";
import { OID } from "./oids.ts";
import { PkiError } from "./pki-error.ts";

/** Subject attribute OID of the e-mail address (KSI's `E=` constraint). */
export const EMAIL_ADDRESS_OID: string = OID.emailAddress;
export const COMMON_NAME_OID: string = OID.commonName;

/** Required subject attributes of the signer's certificate: attribute type OID → exact value. */
export type SignerConstraints = Readonly<Record<string, string>>;

export interface DetachedCmsOptions {
  /** DER certificates the signer's chain must end in. */
  readonly trustAnchors: readonly Uint8Array[];
  readonly constraints?: SignerConstraints;
  /** When the chain must be valid; now by default. */
  readonly at?: Date;
}

function decodeSignedData(cms: Uint8Array): pkijs.SignedData {
  const asn1 = asn1js.fromBER(cms, BER_LIMITS);
  if (asn1.offset === -1 || asn1.offset !== cms.length) {
    throw new PkiError("CMS_MALFORMED", "the signature is not one BER-encoded CMS structure");
  }
  let signedData: pkijs.SignedData;
  try {
    const contentInfo = new pkijs.ContentInfo({ schema: asn1.result });
    if (contentInfo.contentType !== OID.signedData) {
      throw new PkiError(
        "CMS_NOT_SIGNED_DATA",
        `CMS content type ${contentInfo.contentType} is not SignedData`,
      );
    }
    signedData = new pkijs.SignedData({ schema: contentInfo.content });
  } catch (error) {
    if (error instanceof PkiError) throw error;
    throw new PkiError("CMS_MALFORMED", `not a CMS SignedData: ${(error as Error).message}`);
  }
  // With content inside, pkijs would verify that content instead of the bytes we name.
  if (signedData.encapContentInfo.eContent !== undefined) {
    throw new PkiError(
      "CMS_NOT_DETACHED",
      "the CMS signature carries its own content instead of signing the file",
    );
  }
  if (signedData.signerInfos.length !== 1) {
    throw new PkiError("CMS_SIGNERS", `expected one signer, found ${signedData.signerInfos.length}`);
  }
  return signedData;
}

function checkConstraints(signer: pkijs.Certificate, constraints: SignerConstraints): void {
  const subject = subjectAttributes(signer);
  for (const [type, value] of Object.entries(constraints)) {
    if (!subject.some((attribute) => attribute.type === type && attribute.value === value)) {
      throw new PkiError("CMS_SIGNER_CONSTRAINT", `the signer's certificate lacks subject ${type}=${value}`, {
        type,
        value,
      });
    }
  }
}

/**
 * Verify a CMS SignedData signature over external `content`: the signature itself, the signer's
 * certificate chain up to one of the trust anchors (valid at `at`), and the signer constraints.
 * Returns the signer's certificate; throws PkiError saying what did not hold.
 */
export async function verifyDetachedCms(
  cms: Uint8Array,
  content: Uint8Array,
  options: DetachedCmsOptions,
): Promise<X509Certificate> {
  const signedData = decodeSignedData(cms);
  const anchors = options.trustAnchors.map((der) => parseCertificate(der).parsed);
  let verification: pkijs.SignedDataVerifyResult;
  try {
    verification = await signedData.verify({
      signer: 0,
      data: content.slice().buffer,
      trustedCerts: anchors,
      checkChain: true,
      checkDate: options.at ?? new Date(),
      extendedMode: true,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PkiError("CMS_NOT_VERIFIED", `the CMS signature does not verify: ${message}`);
  }
  if (verification.signatureVerified !== true || verification.signerCertificate == null) {
    throw new PkiError("CMS_NOT_VERIFIED", "the CMS signature does not verify");
  }
  const signer = verification.signerCertificate;
  checkConstraints(signer, options.constraints ?? {});
  return parseCertificate(new Uint8Array(signer.toSchema().toBER()));
}

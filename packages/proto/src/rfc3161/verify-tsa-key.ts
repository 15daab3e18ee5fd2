import * as pkijs from "pkijs";
import { FormatError } from "../errors.ts";
import { HashAlgorithm } from "../hash/algorithms.ts";
import { nobleHash } from "../hash/hasher.ts";
import { parseCertificate, type X509Certificate } from "../pki/certificate.ts";
import { OID } from "../pki/oids.ts";
import { PkiError } from "../pki/pki-error.ts";
import { verifyRawSignature } from "../pki/verify-raw-signature.ts";
import { bytesEqual } from "../util/bytes.ts";
import { readExtendedKeyUsage } from "./certificate.ts";
import { type DerElement, DerFields, readAlgorithm, readOid, readSingle, TAG } from "./der.ts";
import { TSA_HASHES } from "./oids.ts";
import { TimestampTokenError } from "./timestamp-token-error.ts";
import type { TimeStampToken } from "./token-reader.ts";
import type { AnchorVerdict } from "./verify-anchor-verdict.ts";

export interface TsaKeyOptions {
  /** DER CA certificates the TSA's certificate must chain to; none: the chain is not checked. */
  readonly trustAnchors: readonly Uint8Array[];
  /** Unix seconds of the check: a certificate expired by then no longer vouches. */
  readonly now: number;
}

export interface TsaKeyVerdict extends AnchorVerdict {
  /** The signer's certificate, once found among the token's and the given ones. */
  readonly certificate?: {
    readonly subject: string;
    readonly notBefore: number;
    readonly notAfter: number;
  };
}

const DIGESTS: ReadonlyMap<string, number> = new Map([
  [OID.sha1, HashAlgorithm.SHA1],
  ...[...TSA_HASHES].map(([oid, hash]) => [oid, hash.ksiId] as const),
]);

/** OpenSSL names its RSA signatures rsaEncryption with the digest given apart (RFC 5652 allows it). */
const RSA_WITH: ReadonlyMap<string, string> = new Map([
  [OID.sha256, OID.sha256WithRsa],
  [OID.sha384, OID.sha384WithRsa],
  [OID.sha512, OID.sha512WithRsa],
]);

/**
 * The digest of `data`. SHA-1 only where RFC 2634's ESSCertID names a certificate by it: over the
 * TSTInfo or the signed attributes, a SHA-1 collision would let one signature serve two times.
 */
function digest(algorithmOid: string, data: Uint8Array, what: string, sha1 = false): Uint8Array {
  const id = DIGESTS.get(algorithmOid);
  if (id === undefined || (id === HashAlgorithm.SHA1 && !sha1))
    throw new TimestampTokenError("TSA-ALGORITHM", `${what} uses hash ${algorithmOid}, not one known here`);
  return nobleHash(id)(data);
}

function singleValue(token: TimeStampToken, oid: string, name: string): DerElement {
  const values = token.signerInfo.signedAttributes.get(oid);
  if (values?.length !== 1) {
    throw new TimestampTokenError("TSA-ATTRIBUTES", `the TSA's signed attributes lack one ${name} value`);
  }
  return values[0]!;
}

function subjectText(certificate: X509Certificate): string {
  return certificate.subject.map((a) => `${a.type === OID.commonName ? "CN" : a.type}=${a.value}`).join(", ");
}

/** The certificate the SignerInfo names by issuer and serial number, among `candidates`. */
function findSigner(token: TimeStampToken, candidates: readonly Uint8Array[]): X509Certificate | undefined {
  for (const der of candidates) {
    // Only the two fields that name it: a full read would refuse CA files over what the chain check judges.
    const tbs = new DerFields(new DerFields(readSingle(der)).take(TAG.SEQUENCE, "tbsCertificate"));
    tbs.optional(0xa0);
    const serial = tbs.take(TAG.INTEGER, "certificate serialNumber").der;
    tbs.take(TAG.SEQUENCE, "certificate signature");
    const issuer = tbs.take(TAG.SEQUENCE, "certificate issuer").der;
    if (bytesEqual(serial, token.signerInfo.serialNumber) && bytesEqual(issuer, token.signerInfo.issuer)) {
      return parseCertificate(der);
    }
  }
  return undefined;
}

/** The content-type and message-digest attributes bind the signature to this TSTInfo (RFC 5652 §5.6). */
function checkContent(token: TimeStampToken): void {
  if (readOid(singleValue(token, OID.contentType, "content-type")) !== OID.tstInfo) {
    throw new TimestampTokenError("TSA-CONTENT-TYPE", "the signed content-type attribute is not TSTInfo");
  }
  const claimed = singleValue(token, OID.messageDigest, "message-digest");
  if (
    claimed.tag !== TAG.OCTET_STRING ||
    !bytesEqual(claimed.value, digest(token.signerInfo.digestAlgorithm, token.tstInfoDer, "the SignerInfo"))
  ) {
    throw new TimestampTokenError(
      "TSA-DIGEST",
      "the TSTInfo (time, imprint) is not the one the TSA signed: its digest differs from the signed message-digest",
    );
  }
}

async function checkSignature(token: TimeStampToken, certificate: X509Certificate): Promise<void> {
  const { signatureAlgorithm, digestAlgorithm } = token.signerInfo;
  const algorithm =
    signatureAlgorithm === OID.rsaEncryption
      ? (RSA_WITH.get(digestAlgorithm) ?? signatureAlgorithm)
      : signatureAlgorithm;
  if (algorithm === OID.sha1WithRsa) {
    throw new TimestampTokenError(
      "TSA-ALGORITHM",
      "the TSA signed with SHA-1, which is no longer collision-resistant",
    );
  }
  let verified: boolean;
  try {
    verified = await verifyRawSignature(
      certificate,
      algorithm,
      token.signerInfo.signature,
      token.signerInfo.signedAttributesDer,
    );
  } catch (error) {
    if (error instanceof PkiError) throw new TimestampTokenError("TSA-SIGNATURE", error.message);
    throw error;
  }
  if (!verified) {
    throw new TimestampTokenError(
      "TSA-SIGNATURE",
      "the TSA's CMS signature does not verify with the key of its certificate",
    );
  }
}

/**
 * The signing-certificate attribute (RFC 5035 ESSCertIDv2, or RFC 2634's SHA-1 ESSCertID) names the
 * certificate by hash, so a certificate with the same issuer and serial but another key or use is
 * not taken for the TSA's.
 */
function checkSigningCertificate(token: TimeStampToken, certificate: X509Certificate): void {
  const v2 = token.signerInfo.signedAttributes.has(OID.signingCertificateV2);
  const oid = v2 ? OID.signingCertificateV2 : OID.signingCertificate;
  if (!v2 && !token.signerInfo.signedAttributes.has(oid)) {
    throw new TimestampTokenError(
      "TSA-ESS",
      "the token has no signing-certificate attribute naming the TSA's certificate",
    );
  }
  const certs = new DerFields(singleValue(token, oid, "signing-certificate")).take(
    TAG.SEQUENCE,
    "SigningCertificate certs",
  );
  const fields = new DerFields(new DerFields(certs).take(TAG.SEQUENCE, "ESSCertID"));
  let hashAlgorithm: string = OID.sha1;
  if (v2) {
    const named = fields.optional(TAG.SEQUENCE);
    hashAlgorithm = named === undefined ? OID.sha256 : readAlgorithm(named).oid;
  }
  const certHash = fields.take(TAG.OCTET_STRING, "ESSCertID certHash").value;
  if (
    !bytesEqual(certHash, digest(hashAlgorithm, certificate.der, "the signing-certificate attribute", true))
  ) {
    throw new TimestampTokenError(
      "TSA-ESS",
      "the signing-certificate attribute names another certificate than the one that signed (its hash differs)",
    );
  }
  const issuerSerial = fields.optional(TAG.SEQUENCE);
  if (issuerSerial !== undefined) {
    const serial = new DerFields(issuerSerial);
    serial.take(TAG.SEQUENCE, "IssuerSerial issuer");
    if (!bytesEqual(serial.take(TAG.INTEGER, "IssuerSerial serial").der, token.signerInfo.serialNumber)) {
      throw new TimestampTokenError(
        "TSA-ESS",
        "the signing-certificate attribute names another serial number than the signer's",
      );
    }
  }
}

/** RFC 3161 §2.3: one critical extended key usage, id-kp-timeStamping alone; key usage, if any, signing only. */
function checkTimeStampingUse(certificate: X509Certificate): void {
  const extensions = certificate.parsed.extensions ?? [];
  const eku = extensions.filter((extension) => extension.extnID === OID.extKeyUsage);
  const purposes = eku.length === 1 ? readExtendedKeyUsage(eku[0]!.extnValue.valueBlock.valueHexView) : [];
  if (
    eku.length !== 1 ||
    eku[0]!.critical !== true ||
    purposes.length !== 1 ||
    purposes[0] !== OID.timeStamping
  ) {
    throw new TimestampTokenError(
      "TSA-EKU",
      "the signer's certificate is not a TSA certificate: RFC 3161 asks for one critical extended key usage, id-kp-timeStamping alone",
    );
  }
  const keyUsage = extensions.find((extension) => extension.extnID === OID.keyUsage);
  if (keyUsage !== undefined) {
    const bits = readSingle(keyUsage.extnValue.valueBlock.valueHexView);
    if (bits.tag !== TAG.BIT_STRING) throw new FormatError("DER_MALFORMED", "keyUsage is not a BIT STRING");
    // digitalSignature (0x80) and nonRepudiation (0x40) in the first octet; nothing else.
    if ((bits.value[1] ?? 0) & 0x3f || bits.value.subarray(2).some((byte) => byte !== 0)) {
      throw new TimestampTokenError(
        "TSA-EKU",
        "the signer's certificate may be used for more than signing (its key usage)",
      );
    }
  }
}

/** The chain from the signer up to one of the anchors, valid at `at` (Unix seconds). */
async function checkChain(
  certificate: X509Certificate,
  token: TimeStampToken,
  anchors: readonly Uint8Array[],
  at: number,
): Promise<readonly X509Certificate[]> {
  // The CA file may hold the TSA's own certificate too, for tokens that carry none: it is the end of
  // the chain, not an anchor of it.
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: anchors
      .filter((der) => !bytesEqual(der, certificate.der))
      .map((der) => parseCertificate(der).parsed),
    certs: [certificate.parsed, ...token.certificates.map((der) => parseCertificate(der).parsed)],
    checkDate: new Date(at * 1000),
  });
  const result = await engine.verify({ passedWhenNotRevValues: true });
  if (!result.result) {
    throw new TimestampTokenError(
      "TSA-CHAIN",
      `the TSA's certificate does not chain to the TSA CA given at the token's time: ${result.resultMessage}`,
    );
  }
  return (result.certificatePath ?? []).map((c) =>
    parseCertificate(new Uint8Array(c.toSchema().toBER(false))),
  );
}

function describe(certificate: X509Certificate): Pick<TsaKeyVerdict, "certificate"> {
  return {
    certificate: {
      subject: subjectText(certificate),
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
    },
  };
}

function isoSeconds(unix: number): string {
  return new Date(unix * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * Whether the TSA's key vouches for the token's time: the CMS signature over the TSTInfo, the
 * signing-certificate attribute, the certificate's time-stamping use, and its chain to the given CA
 * at genTime. A certificate that has expired by `now` no longer vouches: its key may since have been
 * retired, lost or stolen, and whoever holds it can sign any past time. Revocation is not checked.
 */
export async function verifyTsaKey(token: TimeStampToken, options: TsaKeyOptions): Promise<TsaKeyVerdict> {
  let certificate: X509Certificate | undefined;
  try {
    certificate = findSigner(token, [...token.certificates, ...options.trustAnchors]);
    if (certificate === undefined) {
      return {
        state: "not-held",
        code: "TSA-NO-CERTIFICATE",
        message:
          "the token carries no certificate of its signer (it was requested without certReq) and none of the " +
          "TSA CA certificates given is it: add the TSA's certificate to them",
      };
    }
    checkContent(token);
    await checkSignature(token, certificate);
    // genTime is ± accuracy; past a second ahead of the verifier's clock it was never true.
    if (token.tstInfo.genTime > options.now + 1) {
      throw new TimestampTokenError(
        "TSA-FUTURE",
        `the TSA signed a time still to come (${isoSeconds(token.tstInfo.genTime)}): its clock or its key is not to be trusted`,
      );
    }
    checkSigningCertificate(token, certificate);
    checkTimeStampingUse(certificate);
    const described = describe(certificate);
    if (options.trustAnchors.length === 0) {
      return {
        state: "not-held",
        code: "TSA-NO-CA",
        message: "the TSA's signature is intact, but no TSA CA was given to trust its certificate by",
        ...described,
      };
    }
    const path = await checkChain(certificate, token, options.trustAnchors, token.tstInfo.genTime);
    const expired =
      path.find((c) => c.notAfter < options.now) ??
      (certificate.notAfter < options.now ? certificate : undefined);
    if (expired !== undefined) {
      return {
        state: "not-held",
        code: "TSA-EXPIRED",
        message:
          `the TSA's certificate chain was valid at the token's time but ${subjectText(expired)} expired at ` +
          `${isoSeconds(expired.notAfter)}: after that the TSA key may have been retired or exposed, so its ` +
          "signature alone no longer proves when the token was made",
        ...described,
      };
    }
    return {
      state: "held",
      code: "TSA-OK",
      message:
        "the TSA's signature verifies and its certificate chains to the TSA CA (revocation not checked)",
      ...described,
    };
  } catch (error) {
    if (error instanceof TimestampTokenError && error.code.startsWith("TSA-")) {
      return {
        state: "failed",
        code: error.code,
        message: error.message,
        ...(certificate !== undefined && describe(certificate)),
      };
    }
    if (error instanceof TimestampTokenError || error instanceof PkiError || error instanceof FormatError) {
      return {
        state: "failed",
        code: "TSA-MALFORMED",
        message: `the TSA's part of the token is malformed: ${error.message}`,
      };
    }
    throw error;
  }
}

import * as pkijs from "pkijs";
import { HashAlgorithm } from "../hash/algorithms.ts";
import { nobleHash } from "../hash/hasher.ts";
import { parseCertificate, type X509Certificate } from "../pki/certificate.ts";
import { COMMON_NAME_OID } from "../pki/detached-cms.ts";
import { PkiError } from "../pki/pki-error.ts";
import { verifyRawSignature } from "../pki/verify-raw-signature.ts";
import { bytesEqual } from "../util/bytes.ts";
import type { AnchorVerdict } from "./anchor-verdict.ts";
import { children, type Der, DerTag, expectTag, oidText, readOne } from "./der.ts";
import { OID, type TimestampToken } from "./timestamp-token.ts";
import { TimestampTokenError } from "./timestamp-token-error.ts";

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
  [OID.SHA1, HashAlgorithm.SHA1],
  [OID.SHA256, HashAlgorithm.SHA2_256],
  [OID.SHA384, HashAlgorithm.SHA2_384],
  [OID.SHA512, HashAlgorithm.SHA2_512],
]);

/** OpenSSL names its RSA signatures rsaEncryption with the digest given apart (RFC 5652 allows it). */
const RSA_WITH: ReadonlyMap<string, string> = new Map([
  [OID.SHA256, "1.2.840.113549.1.1.11"],
  [OID.SHA384, "1.2.840.113549.1.1.12"],
  [OID.SHA512, "1.2.840.113549.1.1.13"],
]);
const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const SHA1_WITH_RSA = "1.2.840.113549.1.1.5";

const EXTENDED_KEY_USAGE = "2.5.29.37";
const KEY_USAGE = "2.5.29.15";
const ID_KP_TIME_STAMPING = "1.3.6.1.5.5.7.3.8";

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

function singleValue(token: TimestampToken, oid: string, name: string): Der {
  const values = token.signer.signedAttributes.get(oid);
  if (values?.length !== 1) {
    throw new TimestampTokenError("TSA-ATTRIBUTES", `the TSA's signed attributes lack one ${name} value`);
  }
  return values[0]!;
}

function subjectText(certificate: X509Certificate): string {
  return certificate.subject
    .map((a) => `${a.type === COMMON_NAME_OID ? "CN" : a.type}=${a.value}`)
    .join(", ");
}

/** The certificate the SignerInfo names by issuer and serial number, among `candidates`. */
function findSigner(token: TimestampToken, candidates: readonly Uint8Array[]): X509Certificate | undefined {
  for (const der of candidates) {
    const tbs = children(children(readOne(der))[0]!);
    const offset = tbs[0]!.tag === DerTag.context(0) ? 1 : 0;
    const serial = expectTag(tbs[offset], DerTag.INTEGER, "certificate serialNumber").content;
    const issuer = expectTag(tbs[offset + 2], DerTag.SEQUENCE, "certificate issuer").bytes;
    if (bytesEqual(serial, token.signer.serialNumber) && bytesEqual(issuer, token.signer.issuer)) {
      return parseCertificate(der);
    }
  }
  return undefined;
}

/** The content-type and message-digest attributes bind the signature to this TSTInfo (RFC 5652 §5.6). */
function checkContent(token: TimestampToken): void {
  if (oidText(singleValue(token, OID.CONTENT_TYPE, "content-type"), "content-type") !== OID.TST_INFO) {
    throw new TimestampTokenError("TSA-CONTENT-TYPE", "the signed content-type attribute is not TSTInfo");
  }
  const claimed = expectTag(
    singleValue(token, OID.MESSAGE_DIGEST, "message-digest"),
    DerTag.OCTET_STRING,
    "message-digest",
  ).content;
  if (!bytesEqual(claimed, digest(token.signer.digestAlgorithm, token.eContent, "the SignerInfo"))) {
    throw new TimestampTokenError(
      "TSA-DIGEST",
      "the TSTInfo (time, imprint) is not the one the TSA signed: its digest differs from the signed message-digest",
    );
  }
}

async function checkSignature(token: TimestampToken, certificate: X509Certificate): Promise<void> {
  const { signatureAlgorithm, digestAlgorithm } = token.signer;
  const algorithm =
    signatureAlgorithm === RSA_ENCRYPTION
      ? (RSA_WITH.get(digestAlgorithm) ?? signatureAlgorithm)
      : signatureAlgorithm;
  if (algorithm === SHA1_WITH_RSA) {
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
      token.signer.signature,
      token.signer.signedAttributesDer,
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
function checkSigningCertificate(token: TimestampToken, certificate: X509Certificate): void {
  const v2 = token.signer.signedAttributes.has(OID.SIGNING_CERTIFICATE_V2);
  const oid = v2 ? OID.SIGNING_CERTIFICATE_V2 : OID.SIGNING_CERTIFICATE;
  if (!v2 && !token.signer.signedAttributes.has(oid)) {
    throw new TimestampTokenError(
      "TSA-ESS",
      "the token has no signing-certificate attribute naming the TSA's certificate",
    );
  }
  const [certs] = children(
    expectTag(singleValue(token, oid, "signing-certificate"), DerTag.SEQUENCE, "SigningCertificate"),
  );
  const [first] = children(expectTag(certs, DerTag.SEQUENCE, "SigningCertificate certs"));
  const fields = children(expectTag(first, DerTag.SEQUENCE, "ESSCertID"));
  let hashAlgorithm: string = OID.SHA1;
  if (v2) {
    hashAlgorithm = OID.SHA256;
    if (fields[0]?.tag === DerTag.SEQUENCE) {
      hashAlgorithm = oidText(children(fields.shift()!)[0], "ESSCertIDv2 hashAlgorithm");
    }
  }
  const certHash = expectTag(fields[0], DerTag.OCTET_STRING, "ESSCertID certHash").content;
  if (
    !bytesEqual(certHash, digest(hashAlgorithm, certificate.der, "the signing-certificate attribute", true))
  ) {
    throw new TimestampTokenError(
      "TSA-ESS",
      "the signing-certificate attribute names another certificate than the one that signed (its hash differs)",
    );
  }
  const issuerSerial = fields[1];
  if (issuerSerial !== undefined) {
    const serial = expectTag(
      children(expectTag(issuerSerial, DerTag.SEQUENCE, "IssuerSerial"))[1],
      DerTag.INTEGER,
      "IssuerSerial serial",
    );
    if (!bytesEqual(serial.content, token.signer.serialNumber)) {
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
  const eku = extensions.filter((extension) => extension.extnID === EXTENDED_KEY_USAGE);
  const purposes =
    eku.length === 1
      ? children(readOne(eku[0]!.extnValue.valueBlock.valueHexView)).map((p) => oidText(p, "key purpose"))
      : [];
  if (
    eku.length !== 1 ||
    eku[0]!.critical !== true ||
    purposes.length !== 1 ||
    purposes[0] !== ID_KP_TIME_STAMPING
  ) {
    throw new TimestampTokenError(
      "TSA-EKU",
      "the signer's certificate is not a TSA certificate: RFC 3161 asks for one critical extended key usage, id-kp-timeStamping alone",
    );
  }
  const keyUsage = extensions.find((extension) => extension.extnID === KEY_USAGE);
  if (keyUsage !== undefined) {
    const bits = expectTag(
      readOne(keyUsage.extnValue.valueBlock.valueHexView),
      DerTag.BIT_STRING,
      "keyUsage",
    ).content;
    // digitalSignature (0x80) and nonRepudiation (0x40) in the first octet; nothing else.
    if ((bits[1] ?? 0) & 0x3f || bits.subarray(2).some((byte) => byte !== 0)) {
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
  token: TimestampToken,
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
export async function verifyTsaKey(token: TimestampToken, options: TsaKeyOptions): Promise<TsaKeyVerdict> {
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
    if (error instanceof TimestampTokenError || error instanceof PkiError) {
      return {
        state: "failed",
        code: "TSA-MALFORMED",
        message: `the TSA's part of the token is malformed: ${error.message}`,
      };
    }
    throw error;
  }
}

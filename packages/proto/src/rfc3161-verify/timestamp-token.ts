import { HashAlgorithm } from "../hash/algorithms.ts";
import { type Imprint, makeImprint } from "../hash/imprint.ts";
import { toHex } from "../util/bytes.ts";
import {
  children,
  type Der,
  DerTag,
  expectTag,
  generalizedTime,
  oidText,
  readOne,
  smallInteger,
} from "./der.ts";
import { TimestampTokenError } from "./timestamp-token-error.ts";

/** A token with its chain and a KSI signature is a few kilobytes; this leaves room and no more. */
export const MAX_TIMESTAMP_TOKEN_BYTES = 256 * 1024;

export const OID = {
  SIGNED_DATA: "1.2.840.113549.1.7.2",
  TST_INFO: "1.2.840.113549.1.9.16.1.4",
  CONTENT_TYPE: "1.2.840.113549.1.9.3",
  MESSAGE_DIGEST: "1.2.840.113549.1.9.4",
  SIGNING_CERTIFICATE: "1.2.840.113549.1.9.16.2.12",
  SIGNING_CERTIFICATE_V2: "1.2.840.113549.1.9.16.2.47",
  SHA1: "1.3.14.3.2.26",
  SHA256: "2.16.840.1.101.3.4.2.1",
  SHA384: "2.16.840.1.101.3.4.2.2",
  SHA512: "2.16.840.1.101.3.4.2.3",
  /** Tempel's arc (a UUID OID, X.667): `.1.1` the default TSA policy, `.2.1` the KSI signature attribute. */
  TEMPEL_ARC: "2.25.162000868886308349449106160060397384410",
  TEMPEL_TSA_POLICY: "2.25.162000868886308349449106160060397384410.1.1",
  TEMPEL_KSI_SIGNATURE: "2.25.162000868886308349449106160060397384410.2.1",
} as const;

/** Imprint hash algorithms a token may use, with the KSI algorithm id of the same hash. */
export const IMPRINT_ALGORITHMS: ReadonlyMap<string, { readonly name: string; readonly ksiId: number }> =
  new Map([
    [OID.SHA256, { name: "SHA-256", ksiId: HashAlgorithm.SHA2_256 }],
    [OID.SHA384, { name: "SHA-384", ksiId: HashAlgorithm.SHA2_384 }],
    [OID.SHA512, { name: "SHA-512", ksiId: HashAlgorithm.SHA2_512 }],
  ]);

/** An attribute type and its values, as a SignerInfo carries them. */
export type Attributes = ReadonlyMap<string, readonly Der[]>;

export interface TstInfo {
  readonly policy: string;
  /** The imprint hash algorithm's OID. */
  readonly hashAlgorithm: string;
  readonly hashedMessage: Uint8Array;
  /** The same hash as a KSI imprint (algorithm byte ‖ digest), for the KSI anchor's input hash. */
  readonly imprint: Imprint;
  readonly serialNumber: string;
  /** Unix seconds, whole (any fraction dropped). */
  readonly genTime: number;
}

export interface TimestampToken {
  /** The DER TSTInfo, the content the TSA signed. */
  readonly eContent: Uint8Array;
  readonly tstInfo: TstInfo;
  /** DER certificates the token carries (present when the request asked for them). */
  readonly certificates: readonly Uint8Array[];
  readonly signer: {
    /** The signer certificate's issuer Name (DER) and serial number (INTEGER content octets). */
    readonly issuer: Uint8Array;
    readonly serialNumber: Uint8Array;
    readonly digestAlgorithm: string;
    /** The signed attributes as DER `SET OF`, the bytes the signature covers. */
    readonly signedAttributesDer: Uint8Array;
    readonly signedAttributes: Attributes;
    readonly signatureAlgorithm: string;
    readonly signature: Uint8Array;
    readonly unsignedAttributes: Attributes;
  };
}

function malformed(message: string): TimestampTokenError {
  return new TimestampTokenError("TOKEN_MALFORMED", message);
}

function attributes(node: Der, what: string): Attributes {
  const out = new Map<string, Der[]>();
  for (const attribute of children(node)) {
    const [type, values, extra] = children(expectTag(attribute, DerTag.SEQUENCE, `${what} attribute`));
    const oid = oidText(type, `${what} attribute type`);
    if (extra !== undefined) throw malformed(`${what} attribute ${oid} has extra fields`);
    if (out.has(oid)) throw malformed(`${what} attribute ${oid} appears twice`);
    out.set(oid, children(expectTag(values, DerTag.SET, `${what} attribute ${oid} values`)));
  }
  return out;
}

/** An AlgorithmIdentifier's OID; digest algorithms may carry NULL parameters or none (RFC 5754 §2). */
function algorithm(node: Der | undefined, what: string): string {
  const [oid, parameters, extra] = children(expectTag(node, DerTag.SEQUENCE, what));
  if (extra !== undefined || (parameters !== undefined && parameters.tag !== DerTag.NULL)) {
    throw malformed(`${what} has parameters this verifier does not take`);
  }
  return oidText(oid, what);
}

function parseTstInfo(der: Uint8Array): TstInfo {
  const fields = children(expectTag(readOne(der), DerTag.SEQUENCE, "TSTInfo"));
  if (smallInteger(fields[0], "TSTInfo version") !== 1) throw malformed("TSTInfo version is not 1");
  const policy = oidText(fields[1], "TSTInfo policy");
  const [hashAlgorithmNode, hashed, extra] = children(
    expectTag(fields[2], DerTag.SEQUENCE, "TSTInfo messageImprint"),
  );
  if (extra !== undefined) throw malformed("messageImprint has extra fields");
  const hashAlgorithm = algorithm(hashAlgorithmNode, "messageImprint hashAlgorithm");
  const hashedMessage = expectTag(hashed, DerTag.OCTET_STRING, "messageImprint hashedMessage").content;
  const known = IMPRINT_ALGORITHMS.get(hashAlgorithm);
  if (known === undefined) {
    throw new TimestampTokenError(
      "TOKEN_HASH_UNSUPPORTED",
      `the token's imprint uses hash ${hashAlgorithm}; only SHA-256, SHA-384 and SHA-512 are accepted`,
    );
  }
  const imprint = makeImprint(known.ksiId, hashedMessage);
  return {
    policy,
    hashAlgorithm,
    hashedMessage,
    imprint,
    serialNumber: toHex(expectTag(fields[3], DerTag.INTEGER, "TSTInfo serialNumber").content),
    genTime: generalizedTime(fields[4], "TSTInfo genTime"),
  };
}

/** The SignedData inside a ContentInfo, after unwrapping a TimeStampResp if that is what was given. */
function signedData(root: Der): Der[] {
  let contentInfo = root;
  const first = children(root)[0];
  if (first?.tag === DerTag.SEQUENCE) {
    // A TimeStampResp: status first, then the token, present only when granted.
    const [status, token] = children(root);
    const code = smallInteger(children(status!)[0], "PKIStatus");
    if (code > 1 || token === undefined) {
      throw new TimestampTokenError(
        "TOKEN_REFUSED",
        `the TSA refused the request (PKIStatus ${code}): the reply holds no token`,
      );
    }
    contentInfo = expectTag(token, DerTag.SEQUENCE, "TimeStampToken");
  }
  const [type, content] = children(contentInfo);
  if (oidText(type, "ContentInfo contentType") !== OID.SIGNED_DATA) {
    throw malformed("the token is not a CMS SignedData");
  }
  const [body, extra] = children(expectTag(content, DerTag.context(0), "ContentInfo content"));
  if (extra !== undefined) throw malformed("ContentInfo content holds more than the SignedData");
  return children(expectTag(body, DerTag.SEQUENCE, "SignedData"));
}

/**
 * Parse an RFC 3161 time-stamp token, bare (ContentInfo, as `openssl ts -reply -token_out` writes it)
 * or inside a TimeStampResp (a `.tsr` reply). Strict DER; throws TimestampTokenError saying what is
 * wrong. Nothing is verified here.
 */
export function parseTimestampToken(bytes: Uint8Array): TimestampToken {
  if (bytes.length > MAX_TIMESTAMP_TOKEN_BYTES) {
    throw new TimestampTokenError(
      "TOKEN_TOO_LARGE",
      `${bytes.length} bytes exceed the ${MAX_TIMESTAMP_TOKEN_BYTES} a time-stamp token may have`,
    );
  }
  const fields = signedData(expectTag(readOne(bytes), DerTag.SEQUENCE, "the token"));
  let i = 0;
  smallInteger(fields[i++], "SignedData version");
  expectTag(fields[i++], DerTag.SET, "SignedData digestAlgorithms");
  const [eContentType, eContentWrapper] = children(
    expectTag(fields[i++], DerTag.SEQUENCE, "encapContentInfo"),
  );
  if (oidText(eContentType, "eContentType") !== OID.TST_INFO) {
    throw malformed("the signed content is not a TSTInfo");
  }
  const [octets] = children(expectTag(eContentWrapper, DerTag.context(0), "eContent"));
  const eContent = expectTag(octets, DerTag.OCTET_STRING, "eContent").content;
  const certificates: Uint8Array[] = [];
  if (fields[i]?.tag === DerTag.context(0)) {
    for (const certificate of children(fields[i++]!)) {
      if (certificate.tag === DerTag.SEQUENCE) certificates.push(certificate.bytes);
    }
  }
  if (fields[i]?.tag === DerTag.context(1)) i++; // CRLs: revocation is not checked from the token
  const signerInfos = children(expectTag(fields[i++], DerTag.SET, "SignedData signerInfos"));
  if (i !== fields.length) throw malformed("SignedData has fields after its signerInfos");
  if (signerInfos.length !== 1) {
    throw malformed(`a time-stamp token has one signer, this one ${signerInfos.length}`);
  }
  const signer = children(expectTag(signerInfos[0], DerTag.SEQUENCE, "SignerInfo"));
  if (smallInteger(signer[0], "SignerInfo version") !== 1) {
    throw malformed("the SignerInfo does not name its certificate by issuer and serial number (version 1)");
  }
  const [issuer, serial] = children(expectTag(signer[1], DerTag.SEQUENCE, "SignerInfo sid"));
  const signedAttributesNode = expectTag(signer[3], DerTag.context(0), "signedAttrs");
  // The signature covers the attributes as a SET OF (RFC 5652 §5.4), not the [0] they are stored as.
  const signedAttributesDer = signedAttributesNode.bytes.slice();
  signedAttributesDer[0] = DerTag.SET;
  const unsigned = signer[6];
  if (signer.length > 7 || (unsigned !== undefined && unsigned.tag !== DerTag.context(1))) {
    throw malformed("SignerInfo has fields after its unsignedAttrs");
  }
  return {
    eContent,
    tstInfo: parseTstInfo(eContent),
    certificates,
    signer: {
      issuer: expectTag(issuer, DerTag.SEQUENCE, "sid issuer").bytes,
      serialNumber: expectTag(serial, DerTag.INTEGER, "sid serialNumber").content,
      digestAlgorithm: algorithm(signer[2], "SignerInfo digestAlgorithm"),
      signedAttributesDer,
      signedAttributes: attributes(signedAttributesNode, "signed"),
      signatureAlgorithm: algorithm(signer[4], "SignerInfo signatureAlgorithm"),
      signature: expectTag(signer[5], DerTag.OCTET_STRING, "SignerInfo signature").content,
      unsignedAttributes: unsigned === undefined ? new Map() : attributes(unsigned, "unsigned"),
    },
  };
}

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { COMMON_NAME_OID, EMAIL_ADDRESS_OID } from "../../src/pki/index.ts";

/** Test certificates and signatures made with WebCrypto and pkijs, as a CA or a calendar node would. */

export type KeyKind = "RSA" | "ECDSA";

export interface TestIdentity {
  readonly der: Uint8Array;
  readonly certificate: pkijs.Certificate;
  readonly privateKey: CryptoKey;
  readonly kind: KeyKind;
}

export interface IdentityOptions {
  readonly kind: KeyKind;
  readonly commonName: string;
  readonly email?: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Signs the certificate; self-signed (a CA) when absent. */
  readonly issuer?: TestIdentity;
  readonly ca?: boolean;
  readonly serial: number;
}

const KEY_PARAMS: Record<KeyKind, RsaHashedKeyGenParams | EcKeyGenParams> = {
  RSA: {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  },
  ECDSA: { name: "ECDSA", namedCurve: "P-256" },
};

/** The OID each key kind signs calendar auth records with here. */
export const SIGNATURE_OID: Record<KeyKind, string> = {
  RSA: "1.2.840.113549.1.1.11",
  ECDSA: "1.2.840.10045.4.3.2",
};

function name(commonName: string, email: string | undefined): pkijs.RelativeDistinguishedNames {
  const typesAndValues = [
    new pkijs.AttributeTypeAndValue({
      type: COMMON_NAME_OID,
      value: new asn1js.Utf8String({ value: commonName }),
    }),
  ];
  if (email !== undefined) {
    typesAndValues.push(
      new pkijs.AttributeTypeAndValue({
        type: EMAIL_ADDRESS_OID,
        value: new asn1js.IA5String({ value: email }),
      }),
    );
  }
  return new pkijs.RelativeDistinguishedNames({ typesAndValues });
}

export async function makeIdentity(options: IdentityOptions): Promise<TestIdentity> {
  const keys = (await crypto.subtle.generateKey(KEY_PARAMS[options.kind], true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const certificate = new pkijs.Certificate();
  certificate.version = 2;
  certificate.serialNumber = new asn1js.Integer({ value: options.serial });
  certificate.subject = name(options.commonName, options.email);
  certificate.issuer = options.issuer?.certificate.subject ?? certificate.subject;
  certificate.notBefore.value = options.notBefore;
  certificate.notAfter.value = options.notAfter;
  if (options.ca === true) {
    certificate.extensions = [
      new pkijs.Extension({
        extnID: "2.5.29.19",
        critical: true,
        extnValue: new pkijs.BasicConstraints({ cA: true }).toSchema().toBER(false),
        parsedValue: new pkijs.BasicConstraints({ cA: true }),
      }),
    ];
  }
  await certificate.subjectPublicKeyInfo.importKey(keys.publicKey);
  await certificate.sign(options.issuer?.privateKey ?? keys.privateKey, "SHA-256");
  return {
    der: new Uint8Array(certificate.toSchema().toBER(false)),
    certificate,
    privateKey: keys.privateKey,
    kind: options.kind,
  };
}

/** A signature as X.509 and KSI carry it: PKCS#1 v1.5 bytes, or a DER-encoded ECDSA (r, s). */
export async function signRaw(identity: TestIdentity, data: Uint8Array): Promise<Uint8Array> {
  if (identity.kind === "RSA") {
    return new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", identity.privateKey, data.slice()));
  }
  const p1363 = await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    identity.privateKey,
    data.slice(),
  );
  return new Uint8Array(pkijs.createCMSECDSASignature(p1363));
}

/** A detached CMS SignedData over `content` by `signer`, carrying `chain` (the signer's certificate first). */
export async function signDetachedCms(
  signer: TestIdentity,
  chain: readonly TestIdentity[],
  content: Uint8Array,
): Promise<Uint8Array> {
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: "1.2.840.113549.1.7.1" }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({
          issuer: signer.certificate.issuer,
          serialNumber: signer.certificate.serialNumber,
        }),
      }),
    ],
    certificates: chain.map((identity) => identity.certificate),
  });
  await signedData.sign(signer.privateKey, 0, "SHA-256", content.slice());
  const contentInfo = new pkijs.ContentInfo({
    contentType: "1.2.840.113549.1.7.2",
    content: signedData.toSchema(true),
  });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

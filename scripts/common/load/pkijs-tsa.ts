import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { OID } from "@tempel/proto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { pem } from "../../../packages/node/src/identity/index.ts";
import { issueCertificate, nameOf } from "../../../packages/node/src/tsa/certificates.ts";

const POLICY = "1.3.6.1.4.1.32473.1";

/**
 * The comparison point of the bench's RFC 3161 section: a per-request TSA built on a maintained
 * library, pkijs, as an application would write one — parse the query, build the TSTInfo and a CMS
 * SignedData with contentType, messageDigest and ESS signingCertificateV2, sign it with RSA-2048
 * through WebCrypto, one signature per query at the time it arrives.
 */
export class PkijsTsa {
  readonly certificatePem: string;
  readonly #certificate: pkijs.Certificate;
  readonly #certificateHash: ArrayBuffer;
  readonly #key: Promise<CryptoKey>;
  #serial = 0;

  constructor() {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const der = new Uint8Array(selfSignedTsaCertificate(privateKey));
    this.certificatePem = pem("CERTIFICATE", der);
    this.#certificate = pkijs.Certificate.fromBER(der);
    this.#certificateHash = new Uint8Array(createHash("sha256").update(der).digest()).buffer;
    const pkcs8 = privateKey.export({ type: "pkcs8", format: "der" });
    this.#key = crypto.subtle.importKey(
      "pkcs8",
      pkcs8,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["sign"],
    );
  }

  /** The DER TimeStampResp for a DER TimeStampReq (a rejection when it does not parse). */
  async answer(query: Uint8Array): Promise<Uint8Array> {
    let request: pkijs.TimeStampReq;
    try {
      request = pkijs.TimeStampReq.fromBER(new Uint8Array(query));
    } catch {
      const refused = new pkijs.TimeStampResp({
        status: new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.rejection }),
      });
      return new Uint8Array(refused.toSchema().toBER());
    }
    const tstInfo = new pkijs.TSTInfo({
      version: 1,
      policy: POLICY,
      messageImprint: request.messageImprint,
      serialNumber: new asn1js.Integer({ value: ++this.#serial }),
      genTime: new Date(Math.floor(Date.now() / 1000) * 1000),
      accuracy: new pkijs.Accuracy({ seconds: 1 }),
      ...(request.nonce !== undefined && { nonce: request.nonce }),
    });
    const content = tstInfo.toSchema().toBER();
    const digest = await crypto.subtle.digest("SHA-256", content);
    const attribute = (type: string, value: asn1js.AsnType) => new pkijs.Attribute({ type, values: [value] });
    const essCertIdV2 = new asn1js.Sequence({
      value: [
        new asn1js.Sequence({
          value: [
            new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: this.#certificateHash })] }),
          ],
        }),
      ],
    });
    const signed = new pkijs.SignedData({
      version: 3,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({
        eContentType: OID.tstInfo,
        eContent: new asn1js.OctetString({ valueHex: content }),
      }),
      signerInfos: [
        new pkijs.SignerInfo({
          version: 1,
          sid: new pkijs.IssuerAndSerialNumber({
            issuer: this.#certificate.issuer,
            serialNumber: this.#certificate.serialNumber,
          }),
          // In DER order already: the three encodings sort by their lengths.
          signedAttrs: new pkijs.SignedAndUnsignedAttributes({
            type: 0,
            attributes: [
              attribute(OID.contentType, new asn1js.ObjectIdentifier({ value: OID.tstInfo })),
              attribute(OID.messageDigest, new asn1js.OctetString({ valueHex: digest })),
              attribute(OID.signingCertificateV2, essCertIdV2),
            ],
          }),
        }),
      ],
      ...(request.certReq === true && { certificates: [this.#certificate] }),
    });
    await signed.sign(await this.#key, 0, "SHA-256");
    const reply = new pkijs.TimeStampResp({
      status: new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.granted }),
      timeStampToken: new pkijs.ContentInfo({
        contentType: OID.signedData,
        content: signed.toSchema(true),
      }),
    });
    return new Uint8Array(reply.toSchema().toBER());
  }
}

function selfSignedTsaCertificate(key: KeyObject): Uint8Array {
  const name = nameOf("pkijs baseline TSA");
  const publicKey = new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));
  return issueCertificate({ key, name }, name, publicKey, "tsa", Math.floor(Date.now() / 1000));
}

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  EMAIL_ADDRESS_OID,
  PkiError,
  parseCertificate,
  verifyDetachedCms,
  verifyPublicationsFile,
  verifyRawSignature,
} from "../../src/pki/index.ts";
import { encodePublicationsFile } from "../../src/publication/index.ts";
import { makeIdentity, SIGNATURE_OID, signDetachedCms, signRaw, type TestIdentity } from "./pki-fixtures.ts";

const YEAR_2020 = new Date("2020-01-01T00:00:00Z");
const YEAR_2040 = new Date("2040-01-01T00:00:00Z");
const EMAIL = "publications@tempel.test";

async function rejection(promise: Promise<unknown>): Promise<PkiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PkiError);
  return error as PkiError;
}

describe("parseCertificate", () => {
  let rsa: TestIdentity;
  beforeAll(async () => {
    rsa = await makeIdentity({
      kind: "RSA",
      commonName: "node-1",
      email: EMAIL,
      notBefore: YEAR_2020,
      notAfter: YEAR_2040,
      serial: 1,
    });
  });

  it("reads the validity bounds in Unix seconds and the subject attributes", () => {
    const certificate = parseCertificate(rsa.der);
    expect(certificate.notBefore).toBe(YEAR_2020.getTime() / 1000);
    expect(certificate.notAfter).toBe(YEAR_2040.getTime() / 1000);
    expect(certificate.subject).toContainEqual({ type: EMAIL_ADDRESS_OID, value: EMAIL });
    expect(certificate.subject).toContainEqual({ type: "2.5.4.3", value: "node-1" });
  });

  it("rejects bytes after the certificate", () => {
    const padded = new Uint8Array([...rsa.der, 0]);
    expect(() => parseCertificate(padded)).toThrow(
      expect.objectContaining({ code: "CERTIFICATE_MALFORMED" }),
    );
  });

  it("rejects bytes that are not a certificate", () => {
    expect(() => parseCertificate(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))).toThrow(PkiError);
    expect(() => parseCertificate(new Uint8Array([0xff, 0xff]))).toThrow(PkiError);
  });

  it("rejects a certificate larger than the bound before parsing it", () => {
    expect(() => parseCertificate(new Uint8Array(64 * 1024 + 1))).toThrow(
      expect.objectContaining({ code: "CERTIFICATE_TOO_LARGE" }),
    );
  });
});

describe("verifyRawSignature", () => {
  const data = new TextEncoder().encode("published data");
  const identities: Record<string, TestIdentity> = {};
  beforeAll(async () => {
    for (const kind of ["RSA", "ECDSA"] as const) {
      identities[kind] = await makeIdentity({
        kind,
        commonName: kind,
        notBefore: YEAR_2020,
        notAfter: YEAR_2040,
        serial: 2,
      });
    }
  });

  for (const kind of ["RSA", "ECDSA"] as const) {
    it(`accepts a ${kind} signature over the data and rejects it over other data`, async () => {
      const identity = identities[kind]!;
      const certificate = parseCertificate(identity.der);
      const signature = await signRaw(identity, data);
      expect(await verifyRawSignature(certificate, SIGNATURE_OID[kind], signature, data)).toBe(true);
      expect(await verifyRawSignature(certificate, SIGNATURE_OID[kind], signature, data.subarray(1))).toBe(
        false,
      );
    });
  }

  it("treats an ECDSA signature that is not DER as not verified", async () => {
    const certificate = parseCertificate(identities.ECDSA!.der);
    expect(await verifyRawSignature(certificate, SIGNATURE_OID.ECDSA, new Uint8Array(64).fill(7), data)).toBe(
      false,
    );
  });

  it("refuses an algorithm outside the supported list (md5WithRSAEncryption)", async () => {
    const certificate = parseCertificate(identities.RSA!.der);
    const error = await rejection(
      verifyRawSignature(certificate, "1.2.840.113549.1.1.4", new Uint8Array(256), data),
    );
    expect(error.code).toBe("SIGNATURE_ALGORITHM_UNSUPPORTED");
  });

  it("refuses an RSA algorithm with an elliptic-curve key", async () => {
    const certificate = parseCertificate(identities.ECDSA!.der);
    const error = await rejection(
      verifyRawSignature(certificate, SIGNATURE_OID.RSA, new Uint8Array(256), data),
    );
    expect(error.code).toBe("SIGNATURE_ALGORITHM_KEY_MISMATCH");
  });
});

describe("verifyPublicationsFile", () => {
  let ca: TestIdentity;
  let signer: TestIdentity;
  let otherCa: TestIdentity;
  let content: Parameters<typeof encodePublicationsFile>[0];
  const at = new Date("2030-01-01T00:00:00Z");

  beforeAll(async () => {
    ca = await makeIdentity({
      kind: "ECDSA",
      commonName: "Tempel CA",
      notBefore: YEAR_2020,
      notAfter: YEAR_2040,
      ca: true,
      serial: 10,
    });
    otherCa = await makeIdentity({
      kind: "ECDSA",
      commonName: "Other CA",
      notBefore: YEAR_2020,
      notAfter: YEAR_2040,
      ca: true,
      serial: 11,
    });
    signer = await makeIdentity({
      kind: "RSA",
      commonName: "Tempel publications",
      email: EMAIL,
      notBefore: YEAR_2020,
      notAfter: YEAR_2040,
      issuer: ca,
      serial: 12,
    });
    content = {
      header: { version: 1, creationTime: 1_900_000_000 },
      certificates: [{ id: new Uint8Array([1, 2, 3, 4]), der: signer.der }],
      publications: [
        {
          publishedData: {
            publicationTime: 1_899_000_000,
            publishedHash: new Uint8Array([1, ...new Uint8Array(32).fill(9)]),
          },
          references: ["Test Gazette, 2030-03-15"],
          repositoryUris: [],
        },
      ],
    };
  });

  const sign = (identity: () => TestIdentity) => (bytes: Uint8Array) =>
    signDetachedCms(identity(), [identity()], bytes);

  it("returns the decoded file when the CMS signature chains to the anchor and meets the constraint", async () => {
    const bytes = await encodePublicationsFile(
      content,
      sign(() => signer),
    );
    const file = await verifyPublicationsFile(bytes, {
      trustAnchors: [ca.der],
      constraints: { [EMAIL_ADDRESS_OID]: EMAIL },
      at,
    });
    expect(file.publications[0]!.publishedData.publicationTime).toBe(1_899_000_000);
    expect(file.certificates[0]!.der).toEqual(signer.der);
  });

  it("rejects a file whose signed bytes were changed after signing", async () => {
    const bytes = await encodePublicationsFile(
      content,
      sign(() => signer),
    );
    const tampered = bytes.slice();
    const reference = new TextEncoder().encode("Gazette");
    const offset = tampered.findIndex((_, i) => reference.every((b, j) => tampered[i + j] === b));
    expect(offset).toBeGreaterThan(0);
    tampered[offset] = "H".charCodeAt(0);
    const error = await rejection(verifyPublicationsFile(tampered, { trustAnchors: [ca.der], at }));
    expect(error.code).toBe("CMS_NOT_VERIFIED");
  });

  it("rejects a signer that does not chain to the given anchors", async () => {
    const bytes = await encodePublicationsFile(
      content,
      sign(() => signer),
    );
    const error = await rejection(verifyPublicationsFile(bytes, { trustAnchors: [otherCa.der], at }));
    expect(error.code).toBe("CMS_NOT_VERIFIED");
  });

  it("rejects a signer whose certificate is not valid at the checking time", async () => {
    const bytes = await encodePublicationsFile(
      content,
      sign(() => signer),
    );
    const error = await rejection(
      verifyPublicationsFile(bytes, { trustAnchors: [ca.der], at: new Date("2041-01-01T00:00:00Z") }),
    );
    expect(error.code).toBe("CMS_NOT_VERIFIED");
  });

  it("rejects a trusted signer without the constrained subject attribute", async () => {
    const bytes = await encodePublicationsFile(
      content,
      sign(() => signer),
    );
    const error = await rejection(
      verifyPublicationsFile(bytes, {
        trustAnchors: [ca.der],
        constraints: { [EMAIL_ADDRESS_OID]: "someone@else" },
        at,
      }),
    );
    expect(error.code).toBe("CMS_SIGNER_CONSTRAINT");
  });

  it("rejects a CMS structure that carries its own content instead of signing the file", async () => {
    const signedBytes = await encodePublicationsFile(content);
    const attached = await signDetachedCms(signer, [signer], signedBytes);
    // The same SignedData with the content embedded: pkijs would verify that content, not the file.
    const contentInfo = new pkijs.ContentInfo({ schema: asn1js.fromBER(attached).result });
    const signedData = new pkijs.SignedData({ schema: contentInfo.content });
    signedData.encapContentInfo.eContent = new asn1js.OctetString({ valueHex: signedBytes });
    const wrapped = new pkijs.ContentInfo({
      contentType: contentInfo.contentType,
      content: signedData.toSchema(true),
    });
    const error = await rejection(
      verifyDetachedCms(new Uint8Array(wrapped.toSchema().toBER(false)), new Uint8Array([1]), {
        trustAnchors: [signer.der],
        at,
      }),
    );
    expect(error.code).toBe("CMS_NOT_DETACHED");
  });

  it("rejects a signature element that is not CMS", async () => {
    const bytes = await encodePublicationsFile(content, () => new Uint8Array([0x04, 0x01, 0x00]));
    const error = await rejection(verifyPublicationsFile(bytes, { trustAnchors: [ca.der], at }));
    expect(error.code).toBe("CMS_MALFORMED");
  });
});

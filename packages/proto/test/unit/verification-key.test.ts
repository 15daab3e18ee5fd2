import { ed25519 } from "@noble/curves/ed25519.js";
import { beforeAll, describe, expect, it } from "vitest";
import { calendarChainOutput } from "../../src/calendar/index.ts";
import { TempelError } from "../../src/errors.ts";
import {
  decodePublicationsFile,
  encodePublicationsFile,
  type PublicationsFile,
} from "../../src/publication/index.ts";
import { encodePublicationData } from "../../src/signature/publication-data.ts";
import type { CertificateShare, KsiSignature, PublicationData } from "../../src/signature/types.ts";
import { encodeTlv } from "../../src/tlv/codec.ts";
import {
  checkQuorumCertificate,
  keyPolicy,
  type QuorumTrust,
  type VerificationResult,
  verifySignature,
} from "../../src/verification/index.ts";
import { type KeyKind, makeIdentity, SIGNATURE_OID, signRaw, type TestIdentity } from "./pki-fixtures.ts";
import { imprintOf, type SignedCalendar, signedCalendar } from "./verification-fixtures.ts";

const CERTIFICATE_ID = new Uint8Array([0x7a, 0x11, 0x0c, 0x02]);

function expectResult(
  result: VerificationResult,
  status: VerificationResult["result"],
  code: string | null,
): void {
  expect({ result: result.result, code: result.code }, result.message).toEqual({ result: status, code });
}

function flipLast(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out[out.length - 1]! ^= 1;
  return out;
}

/** The bytes a calendar auth record's signature and a quorum share sign: the 0x10 TLV, header included. */
function signedBytes(data: PublicationData): Uint8Array {
  return encodeTlv(encodePublicationData(data));
}

async function fileWith(certificates: { id: Uint8Array; der: Uint8Array }[]): Promise<PublicationsFile> {
  const bytes = await encodePublicationsFile(
    { header: { version: 1, creationTime: 1_800_000_000 }, certificates, publications: [] },
    () => new Uint8Array([0x30, 0x00]),
  );
  return decodePublicationsFile(bytes);
}

describe("key-based policy with a calendar authentication record", () => {
  let made: SignedCalendar;
  let root: PublicationData;
  const nodes: Partial<Record<KeyKind, TestIdentity>> = {};
  let notYetValid: TestIdentity;

  beforeAll(async () => {
    made = await signedCalendar();
    const chain = made.signature.calendarChain!;
    root = { publicationTime: chain.publicationTime, publishedHash: calendarChainOutput(chain) };
    const validity = { notBefore: new Date("2020-01-01Z"), notAfter: new Date("2040-01-01Z") };
    for (const kind of ["RSA", "ECDSA"] as const) {
      nodes[kind] = await makeIdentity({ kind, commonName: `node ${kind}`, serial: 20, ...validity });
    }
    notYetValid = await makeIdentity({
      kind: "RSA",
      commonName: "future node",
      serial: 21,
      notBefore: new Date("2030-01-01Z"),
      notAfter: new Date("2040-01-01Z"),
    });
  });

  async function signedBy(identity: TestIdentity, oid = SIGNATURE_OID[identity.kind]): Promise<KsiSignature> {
    return {
      ...made.signature,
      calendarAuthRecord: {
        publishedData: root,
        signatureData: {
          signatureType: oid,
          signatureValue: await signRaw(identity, signedBytes(root)),
          certificateId: CERTIFICATE_ID,
        },
      },
    };
  }

  for (const kind of ["RSA", "ECDSA"] as const) {
    it(`accepts a record signed by the ${kind} certificate the publications file lists`, async () => {
      const identity = nodes[kind]!;
      const publicationsFile = await fileWith([{ id: CERTIFICATE_ID, der: identity.der }]);
      expectResult(
        await verifySignature(await signedBy(identity), { publicationsFile }, keyPolicy),
        "OK",
        null,
      );
    });
  }

  it("says KEY-02 when the signature value was altered", async () => {
    const signature = await signedBy(nodes.RSA!);
    const record = signature.calendarAuthRecord!;
    const altered: KsiSignature = {
      ...signature,
      calendarAuthRecord: {
        ...record,
        signatureData: {
          ...record.signatureData,
          signatureValue: flipLast(record.signatureData.signatureValue),
        },
      },
    };
    const publicationsFile = await fileWith([{ id: CERTIFICATE_ID, der: nodes.RSA!.der }]);
    expectResult(await verifySignature(altered, { publicationsFile }, keyPolicy), "FAIL", "KEY-02");
  });

  it("says KEY-02 when the certificate under the id belongs to another key", async () => {
    const publicationsFile = await fileWith([{ id: CERTIFICATE_ID, der: nodes.ECDSA!.der }]);
    // An ECDSA signature from a different ECDSA key than the listed one.
    const stranger = await makeIdentity({
      kind: "ECDSA",
      commonName: "stranger",
      serial: 22,
      notBefore: new Date("2020-01-01Z"),
      notAfter: new Date("2040-01-01Z"),
    });
    expectResult(
      await verifySignature(await signedBy(stranger), { publicationsFile }, keyPolicy),
      "FAIL",
      "KEY-02",
    );
  });

  it("says KEY-03 when the certificate was not valid at the signing second", async () => {
    const publicationsFile = await fileWith([{ id: CERTIFICATE_ID, der: notYetValid.der }]);
    expectResult(
      await verifySignature(await signedBy(notYetValid), { publicationsFile }, keyPolicy),
      "FAIL",
      "KEY-03",
    );
  });

  it("is inconclusive when the certificate is not in the file, no file is given, or the algorithm is unsupported", async () => {
    const signature = await signedBy(nodes.RSA!);
    const otherId = await fileWith([{ id: new Uint8Array([1]), der: nodes.RSA!.der }]);
    expectResult(await verifySignature(signature, { publicationsFile: otherId }, keyPolicy), "NA", "GEN-02");
    expectResult(await verifySignature(signature, {}, keyPolicy), "NA", "GEN-02");
    const md5 = await signedBy(nodes.RSA!, "1.2.840.113549.1.1.4");
    const publicationsFile = await fileWith([{ id: CERTIFICATE_ID, der: nodes.RSA!.der }]);
    expectResult(await verifySignature(md5, { publicationsFile }, keyPolicy), "NA", "GEN-02");
  });

  it("is inconclusive for a signature without calendar chain", async () => {
    const { calendarChain: _, ...bare } = made.signature;
    expectResult(await verifySignature(bare, {}, keyPolicy), "NA", "GEN-02");
  });
});

describe("key-based policy with a quorum certificate", () => {
  let made: SignedCalendar;
  let root: PublicationData;
  const secretKeys = [0, 1, 2].map(() => ed25519.utils.randomSecretKey());
  const trust: QuorumTrust = {
    members: secretKeys.map((key, i) => ({ id: `member-${i}`, publicKey: ed25519.getPublicKey(key) })),
    quorum: 2,
  };

  beforeAll(async () => {
    made = await signedCalendar();
    const chain = made.signature.calendarChain!;
    root = { publicationTime: chain.publicationTime, publishedHash: calendarChainOutput(chain) };
  });

  function share(member: number, data: PublicationData = root): CertificateShare {
    return { memberId: `member-${member}`, signature: ed25519.sign(signedBytes(data), secretKeys[member]!) };
  }

  function certified(shares: CertificateShare[], publishedData: PublicationData = root): KsiSignature {
    return { ...made.signature, quorumCertificate: { publishedData, shares } };
  }

  it("accepts a root signed by 2 of the 3 members", async () => {
    const result = await verifySignature(certified([share(0), share(2)]), { quorumTrust: trust }, keyPolicy);
    expectResult(result, "OK", null);
    expect(result.rule).toBe("KeyPolicy");
  });

  it("says KEY-02 when a member's share does not verify, even with a quorum of good ones", async () => {
    const forged = { ...share(1), signature: flipLast(share(1).signature) };
    const result = await verifySignature(
      certified([share(0), share(2), forged]),
      { quorumTrust: trust },
      keyPolicy,
    );
    expectResult(result, "FAIL", "KEY-02");
    expect(result.message).toContain("member-1");
  });

  it("says KEY-02 for a certificate of another calendar root", async () => {
    const other = { ...root, publishedHash: imprintOf("another root") };
    const signature = certified([share(0, other), share(1, other)], other);
    expectResult(await verifySignature(signature, { quorumTrust: trust }, keyPolicy), "FAIL", "KEY-02");
  });

  it("is inconclusive below the quorum, counting a member once and ignoring unknown members", async () => {
    const options = { quorumTrust: trust };
    expectResult(await verifySignature(certified([share(0)]), options, keyPolicy), "NA", "GEN-02");
    expectResult(await verifySignature(certified([share(0), share(0)]), options, keyPolicy), "NA", "GEN-02");
    const outsider = { memberId: "outsider", signature: share(1).signature };
    expectResult(await verifySignature(certified([share(0), outsider]), options, keyPolicy), "NA", "GEN-02");
  });

  it("is inconclusive without a member list", async () => {
    expectResult(await verifySignature(certified([share(0), share(1)]), {}, keyPolicy), "NA", "GEN-02");
  });

  it("refuses a trust configuration that would certify with no signature at all", () => {
    const certificate = { publishedData: root, shares: [] };
    expect(() => checkQuorumCertificate(certificate, { ...trust, quorum: 0 })).toThrow(TempelError);
    expect(checkQuorumCertificate(certificate, trust)).toEqual({ status: "below-quorum", signers: [] });
  });
});

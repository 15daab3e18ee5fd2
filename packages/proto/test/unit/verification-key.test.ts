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
  defaultPolicy,
  ed25519PeerId,
  keyPolicy,
  memberListProblem,
  publicationsFilePolicy,
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

async function fileWith(
  certificates: { id: Uint8Array; der: Uint8Array }[],
  published: PublicationData[] = [],
): Promise<PublicationsFile> {
  const publications = published.map((publishedData) => ({
    publishedData,
    references: [],
    repositoryUris: [],
  }));
  const bytes = await encodePublicationsFile(
    { header: { version: 1, creationTime: 1_800_000_000 }, certificates, publications },
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

  it("is inconclusive when the certificate is not in the file or no file is given", async () => {
    const signature = await signedBy(nodes.RSA!);
    const otherId = await fileWith([{ id: new Uint8Array([1]), der: nodes.RSA!.der }]);
    expectResult(await verifySignature(signature, { publicationsFile: otherId }, keyPolicy), "NA", "GEN-02");
    expectResult(await verifySignature(signature, {}, keyPolicy), "NA", "GEN-02");
  });

  it("fails with KEY-02, as libksi does, for a signature type no auth record may use: MD5, an unused OID, not an OID, or one for another key type", async () => {
    const publicationsFile = await fileWith([{ id: CERTIFICATE_ID, der: nodes.RSA!.der }]);
    for (const oid of ["1.2.840.113549.1.1.4", "1.3.6.1.4.1.99999.1", "signature", SIGNATURE_OID.ECDSA]) {
      const signature = await signedBy(nodes.RSA!, oid);
      expectResult(await verifySignature(signature, { publicationsFile }, keyPolicy), "FAIL", "KEY-02");
    }
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

  it("remembers a checked certificate by its whole content: the same root with one share changed is checked anew", async () => {
    const options = { quorumTrust: trust };
    expectResult(await verifySignature(certified([share(0), share(2)]), options, keyPolicy), "OK", null);
    const forged = { ...share(2), signature: flipLast(share(2).signature) };
    expectResult(await verifySignature(certified([share(0), forged]), options, keyPolicy), "FAIL", "KEY-02");
    expectResult(await verifySignature(certified([share(0)]), options, keyPolicy), "NA", "TEM-01");
    expectResult(await verifySignature(certified([share(0), share(2)]), options, keyPolicy), "OK", null);
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

  it("is inconclusive (TEM-01) below the quorum, counting a member once and ignoring unknown members", async () => {
    const options = { quorumTrust: trust };
    expectResult(await verifySignature(certified([share(0)]), options, keyPolicy), "NA", "TEM-01");
    expectResult(await verifySignature(certified([share(0), share(0)]), options, keyPolicy), "NA", "TEM-01");
    const outsider = { memberId: "outsider", signature: share(1).signature };
    expectResult(await verifySignature(certified([share(0), outsider]), options, keyPolicy), "NA", "TEM-01");
  });

  it("is inconclusive without a member list", async () => {
    expectResult(await verifySignature(certified([share(0), share(1)]), {}, keyPolicy), "NA", "GEN-02");
  });

  it("refuses a trust configuration that would certify with no signature at all, or count one key twice", () => {
    const certificate = { publishedData: root, shares: [] };
    expect(() => checkQuorumCertificate(certificate, { ...trust, quorum: 0 })).toThrow(TempelError);
    const sameKeyTwice = { members: [trust.members[0]!, { ...trust.members[0]!, id: "alias" }], quorum: 2 };
    const oneSignerTwice = { publishedData: root, shares: [share(0), { ...share(0), memberId: "alias" }] };
    expect(() => checkQuorumCertificate(oneSignerTwice, sameKeyTwice)).toThrow(TempelError);
    expect(checkQuorumCertificate(certificate, trust)).toEqual({ status: "below-quorum", signers: [] });
  });
});

/**
 * The attack of issue #14: someone who holds one member's calendar key (the RSA key whose certificate
 * the cluster's publications file lists, as it lists every member's) builds a calendar of their own
 * with a document at a second in 2001 and authenticates its root with that key alone. A verifier that
 * knows the genesis must not take that for the cluster's word.
 */
describe("key-based trust when the verifier knows the cluster's genesis", () => {
  /** 2001-01-01T00:00:00Z: long before the cluster existed. */
  const IN_2001 = 978_307_200;
  const secretKeys = [0, 1, 2].map(() => ed25519.utils.randomSecretKey());
  const members = secretKeys.map((key) => {
    const publicKey = ed25519.getPublicKey(key);
    return { id: ed25519PeerId(publicKey), publicKey };
  });
  const trust: QuorumTrust = { members, quorum: 2 };
  const outsiderKey = ed25519.utils.randomSecretKey();
  let forged: SignedCalendar;
  let root: PublicationData;
  let memberCalendarKey: TestIdentity;
  let publicationsFile: PublicationsFile;
  /** The forged signature with member 0's calendar auth record, as a node would attach its own. */
  let authenticatedByOne: KsiSignature;

  beforeAll(async () => {
    forged = await signedCalendar({ genesisTime: IN_2001 });
    const chain = forged.signature.calendarChain!;
    root = { publicationTime: chain.publicationTime, publishedHash: calendarChainOutput(chain) };
    memberCalendarKey = await makeIdentity({
      kind: "RSA",
      commonName: "member 0's calendar key",
      serial: 30,
      notBefore: new Date("2000-01-01Z"),
      notAfter: new Date("2040-01-01Z"),
    });
    publicationsFile = await fileWith([{ id: CERTIFICATE_ID, der: memberCalendarKey.der }]);
    authenticatedByOne = {
      ...forged.signature,
      calendarAuthRecord: {
        publishedData: root,
        signatureData: {
          signatureType: SIGNATURE_OID.RSA,
          signatureValue: await signRaw(memberCalendarKey, signedBytes(root)),
          certificateId: CERTIFICATE_ID,
        },
      },
    };
  });

  function share(secretKey: Uint8Array, memberId: string, data: PublicationData = root): CertificateShare {
    return { memberId, signature: ed25519.sign(signedBytes(data), secretKey) };
  }
  const memberShare = (i: number, data?: PublicationData) => share(secretKeys[i]!, members[i]!.id, data);

  function withCertificate(shares: CertificateShare[], publishedData = root): KsiSignature {
    return { ...authenticatedByOne, quorumCertificate: { publishedData, shares } };
  }

  async function underKeyAndDefault(signature: KsiSignature, withTrust: boolean) {
    const options = {
      publicationsFile,
      documentHash: forged.documentHash,
      ...(withTrust && { quorumTrust: trust }),
    };
    return Promise.all(
      [keyPolicy, defaultPolicy].map((policy) => verifySignature(signature, options, policy)),
    );
  }

  it("a plain KSI verifier, without the genesis, takes one member's listed calendar key: KSI's semantics stay", async () => {
    for (const result of await underKeyAndDefault(authenticatedByOne, false))
      expectResult(result, "OK", null);
  });

  it("with the genesis, a root authenticated only by one member's calendar auth record is NA TEM-01 under the key and default policies", async () => {
    for (const result of await underKeyAndDefault(authenticatedByOne, true)) {
      expectResult(result, "NA", "TEM-01");
      expect(result.message).toContain("one member's key");
    }
  });

  it("with the genesis, a quorum certificate with only that member's share, that share twice, or a non-member's share added is NA TEM-01", async () => {
    const outsider = share(outsiderKey, ed25519PeerId(ed25519.getPublicKey(outsiderKey)));
    const posingAsMember = share(outsiderKey, "not-in-the-genesis");
    for (const shares of [
      [memberShare(0)],
      [memberShare(0), memberShare(0)],
      [memberShare(0), outsider],
      [memberShare(0), posingAsMember],
    ]) {
      for (const result of await underKeyAndDefault(withCertificate(shares), true)) {
        expectResult(result, "NA", "TEM-01");
        expect(result.message).toContain("1 of the 2 distinct member signatures needed");
      }
    }
  });

  it("with the genesis, member shares bound to another second or root never certify this one: FAIL KEY-02", async () => {
    const otherSecond = { ...root, publicationTime: root.publicationTime + 1 };
    const otherRoot = { ...root, publishedHash: imprintOf("another root") };
    for (const other of [otherSecond, otherRoot]) {
      // Shares signed over the other data, presented as this root's certificate...
      const replayed = withCertificate([memberShare(0), memberShare(1, other), memberShare(2, other)]);
      // ...or the other data's whole certificate, honest in itself.
      const foreign = withCertificate([memberShare(0, other), memberShare(1, other)], other);
      for (const signature of [replayed, foreign]) {
        for (const result of await underKeyAndDefault(signature, true))
          expectResult(result, "FAIL", "KEY-02");
      }
    }
  });

  it("with the genesis, a root signed by 2 of the 3 members is OK under the key and default policies, auth record or not", async () => {
    const certified = withCertificate([memberShare(2), memberShare(0)]);
    const { calendarAuthRecord: _, ...withoutRecord } = certified;
    for (const signature of [certified, withoutRecord]) {
      for (const result of await underKeyAndDefault(signature, true)) expectResult(result, "OK", null);
    }
  });

  it("with the genesis, publication-based verification, the keyless one, still decides", async () => {
    const made = await signedCalendar();
    const file = await fileWith([], [made.publication]);
    const options = { publicationsFile: file, quorumTrust: trust, documentHash: made.documentHash };
    expectResult(await verifySignature(made.extended, options, defaultPolicy), "OK", null);
    expectResult(await verifySignature(made.extended, options, publicationsFilePolicy), "OK", null);
  });
});

describe("a genesis' member list", () => {
  const key = (seed: number) => new Uint8Array(32).map((_, i) => (i * 7 + seed) & 0xff);
  const members = [1, 2, 3].map((seed) => ({ id: ed25519PeerId(key(seed)), publicKey: key(seed) }));

  it("names members by their Ed25519 key's libp2p peer id", () => {
    // Computed with @libp2p/peer-id's peerIdFromPublicKey for this key.
    expect(ed25519PeerId(key(1))).toBe("12D3KooW9tPhn4h5ipXEUszJ7sGvbqfYdHE8QBCjUhwNc1eisycD");
  });

  it("is refused when an id is not its key's peer id, a member or key is named twice, or the quorum is not a majority", () => {
    const peerIds = { peerIds: true };
    expect(memberListProblem({ members, quorum: 2 }, peerIds)).toBeUndefined();
    const swapped = [{ ...members[0]!, id: members[1]!.id }, members[1]!, members[2]!];
    expect(memberListProblem({ members: swapped, quorum: 2 }, peerIds)?.field).toBe("members[0].id");
    expect(memberListProblem({ members: swapped, quorum: 2 }, { peerIds: false })?.field).toBe("members");
    const sameKey = [members[0]!, { id: "other", publicKey: members[0]!.publicKey }, members[2]!];
    expect(memberListProblem({ members: sameKey, quorum: 2 }, { peerIds: false })?.field).toBe(
      "members[1].publicKey",
    );
    for (const quorum of [0, 1, 4, 1.5]) {
      expect(memberListProblem({ members, quorum }, peerIds)?.field).toBe("quorum");
    }
  });
});

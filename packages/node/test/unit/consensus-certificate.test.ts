import { ed25519 } from "@noble/curves/ed25519.js";
import {
  childrenOf,
  decodeTlv,
  encodePublicationData,
  encodeQuorumCertificate,
  encodeTlv,
  encodeTlvSequence,
  FormatError,
  HashAlgorithm,
  hashImprint,
  type QuorumCertificate,
  tlv,
} from "@tempel/proto";
import { describe, expect, it } from "vitest";
import {
  certificateFault,
  decodeCertificate,
  isValidShare,
  publishedDataBytes,
} from "../../src/consensus/certificate.ts";

const secrets = [1, 2, 3].map((n) => new Uint8Array(32).fill(n));
const members = secrets.map((secret, i) => ({ id: `node-${i}`, publicKey: ed25519.getPublicKey(secret) }));
const trust = { members, quorum: 2 };
const time = 1_800_000_000;
const root = hashImprint(HashAlgorithm.SHA2_256, new TextEncoder().encode("calendar root"));

function share(i: number, signedTime = time, signedRoot = root) {
  return {
    memberId: `node-${i}`,
    signature: ed25519.sign(publishedDataBytes(signedTime, signedRoot), secrets[i]!),
  };
}

function certificate(shares: QuorumCertificate["shares"]): QuorumCertificate {
  return { publishedData: { publicationTime: time, publishedHash: root }, shares };
}

describe("certificate shares", () => {
  it("sign the KSI published-data element of the second and root", () => {
    expect(publishedDataBytes(time, root)).toEqual(
      encodeTlv(encodePublicationData({ publicationTime: time, publishedHash: root })),
    );
  });

  it("verify only for the member, second and root they were made for", () => {
    const good = share(0);
    expect(isValidShare(trust, "node-0", time, root, good.signature)).toBe(true);
    expect(isValidShare(trust, "node-1", time, root, good.signature)).toBe(false);
    expect(isValidShare(trust, "node-0", time + 1, root, good.signature)).toBe(false);
    expect(isValidShare(trust, "stranger", time, root, good.signature)).toBe(false);
  });
});

describe("quorum certificates", () => {
  it("are sound with a quorum of distinct valid shares", () => {
    expect(certificateFault(certificate([share(0), share(2)]), trust)).toBeUndefined();
  });

  it("are refused below the quorum, counting a member once", () => {
    expect(certificateFault(certificate([share(1)]), trust)).toBe("too_few_shares");
    expect(certificateFault(certificate([share(1), share(1)]), trust)).toBe("too_few_shares");
  });

  it("are refused when a share does not verify", () => {
    expect(certificateFault(certificate([share(0), share(1, time + 1)]), trust)).toBe("invalid_share");
  });

  it("from a peer must carry canonically encoded published data", () => {
    const honest = encodeQuorumCertificate(certificate([share(0), share(1)]));
    expect(decodeCertificate(decodeTlv(encodeTlv(honest))).publishedData.publicationTime).toBe(time);
    // The same published data in the TLV16 header form: other bytes than the members signed.
    const [published, ...shares] = childrenOf(honest);
    const longForm = tlv(published!.type, published!.value, { tlv16: true, forward: published!.forward });
    const odd = tlv(honest.type, encodeTlvSequence([longForm, ...shares]), {
      nonCritical: true,
      forward: true,
    });
    expect(() => decodeCertificate(decodeTlv(encodeTlv(odd)))).toThrow(FormatError);
  });
});

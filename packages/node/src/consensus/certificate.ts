import {
  bytesEqual,
  checkQuorumCertificate,
  decodeQuorumCertificate,
  encodePublicationData,
  encodeTlv,
  FormatError,
  type Imprint,
  type QuorumCertificate,
  type QuorumTrust,
  type TlvElement,
} from "@tempel/proto";

/** Signs certificate shares with the node's Ed25519 key (a libp2p Ed25519 private key fits). */
export interface ShareSigner {
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** What a share signs: the KSI published-data element (0x10, header included) of `(time, root)`. */
export function publishedDataBytes(time: number, root: Imprint): Uint8Array {
  return encodeTlv(encodePublicationData({ publicationTime: time, publishedHash: root }));
}

/**
 * A quorum certificate from a peer. Beyond proto's strict decoding, its published data must be
 * encoded canonically, so that what this node stores and hands to clients is exactly what every
 * member signed.
 */
export function decodeCertificate(element: TlvElement): QuorumCertificate {
  const certificate = decodeQuorumCertificate(element);
  const { publicationTime, publishedHash, source } = certificate.publishedData;
  if (
    source !== undefined &&
    !bytesEqual(encodeTlv(source), publishedDataBytes(publicationTime, publishedHash))
  ) {
    throw new FormatError(
      "CONSENSUS_CERTIFICATE_ENCODING",
      "certificate published data is not canonically encoded",
    );
  }
  return certificate;
}

/** Why `certificate` does not prove its published data to `trust`, or undefined when it does. */
export function certificateFault(certificate: QuorumCertificate, trust: QuorumTrust): string | undefined {
  const check = checkQuorumCertificate(certificate, trust);
  if (check.status === "bad-share") return "invalid_share";
  if (check.status === "below-quorum") return "too_few_shares";
  return undefined;
}

/** Whether `signature` is member `memberId`'s valid share of `(time, root)`. */
export function isValidShare(
  trust: QuorumTrust,
  memberId: string,
  time: number,
  root: Imprint,
  signature: Uint8Array,
): boolean {
  const single = {
    publishedData: { publicationTime: time, publishedHash: root },
    shares: [{ memberId, signature }],
  };
  return checkQuorumCertificate(single, { members: trust.members, quorum: 1 }).status === "certified";
}

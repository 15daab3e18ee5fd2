import { FormatError } from "../errors.ts";
import { encodeTlvSequence } from "../tlv/codec.ts";
import { type TlvElement, tlv } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { decodeString, stringTlv } from "../tlv/values.ts";
import { decodePublicationData, encodePublicationData } from "./publication-data.ts";
import { expectType } from "./readers.ts";
import { CertificateShareTag, QuorumCertificateTag, SignatureTag } from "./tags.ts";
import type { CertificateShare, QuorumCertificate } from "./types.ts";

/**
 * Tempel's quorum certificate, TLV 0x0810 — a Tempel extension, not a KSI element:
 *
 *   0x0810 (N+F flags) quorum certificate
 *     0x10  published data {0x02 publication time, 0x04 calendar root imprint}
 *     0x02  share (repeated, one per signing member)
 *       0x01  member id (string: the member's libp2p peer id)
 *       0x02  Ed25519 signature (64 octets) over the encoded 0x10 element, header included
 *
 * It may appear at a signature's top level, inside a publication record and in an aggregation response
 * payload. The non-critical flag makes every KSI parser skip it, so signatures carrying it stay valid
 * KSI signatures; the forward flag asks KSI relays to pass it on. A 0x0810 without the non-critical flag
 * is rejected: other verifiers would refuse such a signature, so Tempel must not accept it either.
 */

const ED25519_SIGNATURE_LENGTH = 64;
const FLAGS = { nonCritical: true, forward: true } as const;

const SHARE_SPECS = [
  { type: CertificateShareTag.MEMBER_ID, name: "member id", min: 1 },
  { type: CertificateShareTag.SIGNATURE, name: "signature", min: 1 },
] as const;

function decodeShare(element: TlvElement): CertificateShare {
  const fields = new Fields(element, SHARE_SPECS, "certificate share");
  const signature = fields.required(CertificateShareTag.SIGNATURE).value;
  if (signature.length !== ED25519_SIGNATURE_LENGTH) {
    throw new FormatError(
      "QUORUM_SHARE_SIGNATURE_LENGTH",
      `certificate share: Ed25519 signature must be ${ED25519_SIGNATURE_LENGTH} bytes, got ${signature.length}`,
    );
  }
  return { memberId: decodeString(fields.required(CertificateShareTag.MEMBER_ID)), signature };
}

const SPECS = [
  { type: QuorumCertificateTag.PUBLISHED_DATA, name: "published data", min: 1 },
  { type: QuorumCertificateTag.SHARE, name: "share", min: 1, max: Number.POSITIVE_INFINITY },
] as const;

export function decodeQuorumCertificate(element: TlvElement): QuorumCertificate {
  expectType(element, SignatureTag.QUORUM_CERTIFICATE, "quorum certificate");
  if (!element.nonCritical) {
    throw new FormatError(
      "QUORUM_CERTIFICATE_CRITICAL",
      "quorum certificate: the non-critical flag must be set",
    );
  }
  const fields = new Fields(element, SPECS, "quorum certificate");
  return {
    publishedData: decodePublicationData(fields.required(QuorumCertificateTag.PUBLISHED_DATA)),
    shares: fields.all(QuorumCertificateTag.SHARE).map(decodeShare),
    source: element,
  };
}

export function encodeQuorumCertificate(certificate: QuorumCertificate): TlvElement {
  if (certificate.source !== undefined) return certificate.source;
  const shares = certificate.shares.map((share) =>
    tlv(
      QuorumCertificateTag.SHARE,
      encodeTlvSequence([
        stringTlv(CertificateShareTag.MEMBER_ID, share.memberId),
        tlv(CertificateShareTag.SIGNATURE, share.signature),
      ]),
    ),
  );
  const value = encodeTlvSequence([encodePublicationData(certificate.publishedData), ...shares]);
  return tlv(SignatureTag.QUORUM_CERTIFICATE, value, FLAGS);
}

import { ed25519 } from "@noble/curves/ed25519.js";
import { TempelError } from "../errors.ts";
import { encodePublicationData } from "../signature/publication-data.ts";
import type { QuorumCertificate } from "../signature/types.ts";
import { encodeTlv } from "../tlv/codec.ts";
import { toHex } from "../util/bytes.ts";
import type { QuorumTrust } from "./context.ts";

const ED25519_PUBLIC_KEY_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;

export type QuorumCheck =
  /** At least `quorum` distinct members signed the published data. */
  | { readonly status: "certified"; readonly signers: readonly string[] }
  /** A share claiming to be from `memberId` does not verify with that member's key. */
  | { readonly status: "bad-share"; readonly memberId: string }
  /** Every verifiable share is good, but too few distinct members signed. */
  | { readonly status: "below-quorum"; readonly signers: readonly string[] };

function checkTrust(trust: QuorumTrust): void {
  if (!Number.isInteger(trust.quorum) || trust.quorum < 1) {
    throw new TempelError("QUORUM_TRUST_INVALID", `quorum ${trust.quorum} is not a positive integer`);
  }
  // One key under two ids would let its holder's one signature count twice.
  const keys = new Set<string>();
  for (const member of trust.members) {
    if (member.publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
      throw new TempelError("QUORUM_TRUST_INVALID", `member ${member.id}'s Ed25519 key is not 32 bytes`);
    }
    keys.add(toHex(member.publicKey));
  }
  if (keys.size !== trust.members.length) {
    throw new TempelError("QUORUM_TRUST_INVALID", "two members have the same Ed25519 key");
  }
}

function verifyShare(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
  try {
    // Strict RFC 8032 verification: no malleable or small-order encodings.
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/**
 * Recent checks per trust, keyed by the certificate's whole content (published data and every share):
 * all signatures of one round carry the same certificate, and the SDK checks each answer it gets, so
 * without this each `sign()` would pay q Ed25519 verifications (milliseconds in JavaScript) for a
 * certificate it checked a moment ago. A different share, even for the same root, is a new key.
 */
const recentChecks = new WeakMap<QuorumTrust, Map<string, QuorumCheck>>();
const RECENT_CHECKS_PER_TRUST = 64;

/**
 * Check Tempel's quorum certificate against the cluster's members: every share from a known member
 * must be an Ed25519 signature of that member over the published-data TLV (header included); shares
 * naming unknown members are ignored (they prove nothing either way); a member counts once.
 */
export function checkQuorumCertificate(certificate: QuorumCertificate, trust: QuorumTrust): QuorumCheck {
  const message = encodeTlv(encodePublicationData(certificate.publishedData));
  let recent = recentChecks.get(trust);
  if (recent === undefined) {
    checkTrust(trust);
    recent = new Map();
    recentChecks.set(trust, recent);
  }
  let key = toHex(message);
  for (const share of certificate.shares) key += `|${share.memberId}:${toHex(share.signature)}`;
  let check = recent.get(key);
  if (check === undefined) {
    check = checkShares(certificate, trust, message);
    if (recent.size >= RECENT_CHECKS_PER_TRUST) recent.delete(recent.keys().next().value!);
    recent.set(key, check);
  }
  return check;
}

function checkShares(certificate: QuorumCertificate, trust: QuorumTrust, message: Uint8Array): QuorumCheck {
  const keys = new Map(trust.members.map((member) => [member.id, member.publicKey]));
  const signers = new Set<string>();
  for (const share of certificate.shares) {
    const key = keys.get(share.memberId);
    if (key === undefined) continue;
    if (!verifyShare(share.signature, message, key)) return { status: "bad-share", memberId: share.memberId };
    signers.add(share.memberId);
  }
  const list = [...signers];
  return list.length >= trust.quorum
    ? { status: "certified", signers: list }
    : { status: "below-quorum", signers: list };
}

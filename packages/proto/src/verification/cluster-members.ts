import { bytesEqual, toHex } from "../util/bytes.ts";
import type { QuorumTrust } from "./context.ts";

const BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/** libp2p's PublicKey protobuf for Ed25519 (Type = 1, Data = 32 bytes), under an identity multihash. */
const ED25519_PEER_ID_PREFIX = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20];

function base58(bytes: Uint8Array): string {
  let value = BigInt(`0x${toHex(bytes) || "0"}`);
  let text = "";
  while (value > 0n) {
    text = BASE58_ALPHABET[Number(value % 58n)]! + text;
    value /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    text = `1${text}`;
  }
  return text;
}

/** The libp2p peer id (base58btc, "12D3KooW…") of a raw 32-byte Ed25519 public key. */
export function ed25519PeerId(publicKey: Uint8Array): string {
  return base58(new Uint8Array([...ED25519_PEER_ID_PREFIX, ...publicKey]));
}

export interface MemberListProblem {
  /** The genesis field at fault, e.g. "members[1].id" or "quorum". */
  readonly field: string;
  readonly problem: string;
}

/**
 * Why a genesis' members and quorum cannot certify calendar roots, or undefined when they can: the
 * same rule for the node that signs and the client that checks. Each member's id must be its key's
 * peer id (`peerIds`; a member list given directly, not from a genesis, may name members otherwise),
 * no id or key may appear twice (one key holder would count as several), and the quorum must be a
 * majority: two disjoint quorums could otherwise certify two roots for one second.
 */
export function memberListProblem(
  trust: QuorumTrust,
  options: { readonly peerIds: boolean },
): MemberListProblem | undefined {
  const { members, quorum } = trust;
  if (options.peerIds) {
    const index = members.findIndex((m) => m.id !== ed25519PeerId(m.publicKey));
    if (index >= 0)
      return { field: `members[${index}].id`, problem: "does not match its publicKey (must be its peer id)" };
  }
  if (new Set(members.map((m) => m.id)).size !== members.length) {
    return { field: "members", problem: "contains a member twice" };
  }
  const twice = members.findIndex(
    (m, i) => members.findIndex((o) => bytesEqual(o.publicKey, m.publicKey)) < i,
  );
  if (twice >= 0) return { field: `members[${twice}].publicKey`, problem: "is another member's key" };
  if (!Number.isSafeInteger(quorum) || quorum < 1 || quorum > members.length) {
    return { field: "quorum", problem: `must be an integer from 1 to ${members.length}` };
  }
  if (quorum * 2 <= members.length) {
    return { field: "quorum", problem: `must be a majority of the ${members.length} members` };
  }
  return undefined;
}

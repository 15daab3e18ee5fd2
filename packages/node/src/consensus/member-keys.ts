import { publicKeyFromRaw } from "@libp2p/crypto/keys";
import type { PublicKey } from "@libp2p/interface";
import type { Member } from "./types.ts";

/**
 * Checks what members signed with their Ed25519 node keys (the genesis' keys, the same that sign
 * certificate shares): votes and contributions. One verification is ~0.25 ms; agreement does a few
 * per second (one per contribution of each entry, a majority per election), none per client request.
 */
export class MemberKeys {
  readonly #keys: ReadonlyMap<string, PublicKey>;

  constructor(members: readonly Member[]) {
    this.#keys = new Map(members.map((m) => [m.id, publicKeyFromRaw(m.publicKey)]));
  }

  has(memberId: string): boolean {
    return this.#keys.has(memberId);
  }

  /** Whether `signature` is member `memberId`'s Ed25519 signature of `statement`. */
  verify(memberId: string, statement: Uint8Array, signature: Uint8Array): boolean {
    const key = this.#keys.get(memberId);
    if (key === undefined) return false;
    try {
      return key.verify(statement, signature) === true;
    } catch {
      return false;
    }
  }
}

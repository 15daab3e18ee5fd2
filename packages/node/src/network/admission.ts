import type { ConnectionGater, PeerId } from "@libp2p/interface";
import { CODE_P2P, type Multiaddr } from "@multiformats/multiaddr";
import type { PeerPenalties } from "./penalties.ts";

/**
 * Who may hold a connection to this node: members of the genesis only, minus those cut off on
 * purpose (`setBlocked`, for partitions) and those graylisted for misbehaving. The connection gater
 * asks it on every dial and again once a connection is encrypted, the first point at which the
 * remote's identity is proven.
 */
export class Admission {
  readonly #members: ReadonlySet<string>;
  readonly #penalties: PeerPenalties;
  #blocked: ReadonlySet<string> = new Set();

  constructor(members: Iterable<string>, penalties: PeerPenalties) {
    this.#members = new Set(members);
    this.#penalties = penalties;
  }

  isMember(peer: string): boolean {
    return this.#members.has(peer);
  }

  isBlocked(peer: string): boolean {
    return this.#blocked.has(peer);
  }

  isAdmitted(peer: string): boolean {
    return this.isMember(peer) && !this.isBlocked(peer) && !this.#penalties.isGraylisted(peer);
  }

  /** Replaces the blocked set; returns who was blocked and who was released by this change. */
  setBlocked(peers: Iterable<string>): { blocked: string[]; released: string[] } {
    const next = new Set(peers);
    const blocked = [...next].filter((peer) => !this.#blocked.has(peer));
    const released = [...this.#blocked].filter((peer) => !next.has(peer));
    this.#blocked = next;
    return { blocked, released };
  }

  connectionGater(): ConnectionGater {
    const deny = (peer: PeerId): boolean => !this.isAdmitted(peer.toString());
    return {
      denyDialPeer: deny,
      denyDialMultiaddr: (address: Multiaddr) => {
        const peer = address.getComponents().find((component) => component.code === CODE_P2P)?.value;
        return peer !== undefined && !this.isAdmitted(peer);
      },
      denyInboundEncryptedConnection: deny,
      denyOutboundEncryptedConnection: deny,
      // A block may land while a connection is still being upgraded.
      denyInboundUpgradedConnection: deny,
      denyOutboundUpgradedConnection: deny,
      // Identify reports addresses for whoever it talks to; keep the peer store to members.
      filterMultiaddrForPeer: (peer: PeerId) => this.isMember(peer.toString()),
    };
  }
}

import type { PeerId, PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey, peerIdFromString } from "@libp2p/peer-id";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import type { BackoffOptions } from "./backoff.ts";
import { NetworkConfigError } from "./errors.ts";
import type { PenaltyOptions } from "./penalties.ts";

/** A member as the genesis names it. */
export interface NetworkMember {
  /** libp2p peer id string. */
  readonly id: string;
  readonly multiaddrs: readonly string[];
}

export interface NetworkOptions {
  /** Names the protocols and gossip topics, so two clusters on one network never mix. */
  readonly clusterId: string;
  /** This node's libp2p identity; its peer id must be one of `members`. */
  readonly privateKey: PrivateKey;
  readonly listen: readonly string[];
  /** Every member, this node included. */
  readonly members: readonly NetworkMember[];
  /** Short names of the gossip topics the cluster uses. */
  readonly topics: readonly string[];
  /** Bound on one-way messages and requests. */
  readonly maxMessageBytes: number;
  readonly maxResponseBytes: number;
  readonly maxGossipBytes: number;
  /** Outgoing one-way messages waiting for one peer; beyond it the oldest are dropped. */
  readonly maxQueuedBytesPerPeer: number;
  /** Gossip messages of one topic being validated at once; beyond it new ones are ignored. */
  readonly maxPendingValidations: number;
  readonly requestTimeoutMs: number;
  readonly dialTimeoutMs: number;
  readonly backoff: BackoffOptions;
  readonly penalties: PenaltyOptions;
}

type NetworkIdentity = "clusterId" | "privateKey" | "listen" | "members" | "topics";

export const defaultNetworkOptions: Omit<NetworkOptions, NetworkIdentity> = {
  maxMessageBytes: 1024 * 1024,
  // Catch-up answers carry runs of calendar entries and certificates.
  maxResponseBytes: 16 * 1024 * 1024,
  maxGossipBytes: 64 * 1024,
  maxQueuedBytesPerPeer: 4 * 1024 * 1024,
  maxPendingValidations: 256,
  requestTimeoutMs: 5_000,
  dialTimeoutMs: 5_000,
  backoff: { initialMs: 250, maxMs: 5_000 },
  penalties: { graylistAfter: 5, windowMs: 60_000 },
};

export interface ProtocolIds {
  /** One-way messages on a long-lived stream per peer. */
  readonly consensus: string;
  /** One request and one response per stream. */
  readonly sync: string;
}

export function protocolIds(clusterId: string): ProtocolIds {
  return {
    consensus: `/tempel/${clusterId}/consensus/1.0.0`,
    sync: `/tempel/${clusterId}/sync/1.0.0`,
  };
}

export function topicId(clusterId: string, topic: string): string {
  return `/tempel/${clusterId}/gossip/${topic}/1.0.0`;
}

export interface Peer {
  readonly id: PeerId;
  readonly multiaddrs: readonly Multiaddr[];
}

export interface ParsedNetworkOptions {
  readonly self: PeerId;
  /** The other members, by peer id string. */
  readonly peers: ReadonlyMap<string, Peer>;
}

const CLUSTER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOPIC = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** Checks what createNetwork cannot work without; throws NetworkConfigError naming the first fault. */
export function parseNetworkOptions(options: NetworkOptions): ParsedNetworkOptions {
  if (!CLUSTER_ID.test(options.clusterId)) {
    throw new NetworkConfigError("cluster id must be 1-64 letters, digits, '.', '_' or '-'", {
      clusterId: options.clusterId,
    });
  }
  for (const topic of options.topics) {
    if (!TOPIC.test(topic)) throw new NetworkConfigError("invalid gossip topic name", { topic });
  }
  for (const key of [
    "maxMessageBytes",
    "maxResponseBytes",
    "maxGossipBytes",
    "maxQueuedBytesPerPeer",
    "maxPendingValidations",
    "requestTimeoutMs",
    "dialTimeoutMs",
  ] as const) {
    positiveInteger(key, options[key]);
  }
  positiveInteger("backoff.initialMs", options.backoff.initialMs);
  positiveInteger("backoff.maxMs", options.backoff.maxMs);
  positiveInteger("penalties.graylistAfter", options.penalties.graylistAfter);
  positiveInteger("penalties.windowMs", options.penalties.windowMs);
  for (const address of options.listen) parseMultiaddr(address);

  const self = peerIdFromPrivateKey(options.privateKey);
  const peers = new Map<string, Peer>();
  let selfListed = false;
  for (const member of options.members) {
    const id = parsePeerId(member.id);
    if (id.equals(self)) {
      if (selfListed) throw new NetworkConfigError("member listed twice", { member: member.id });
      selfListed = true;
      continue;
    }
    if (peers.has(id.toString())) throw new NetworkConfigError("member listed twice", { member: member.id });
    peers.set(id.toString(), { id, multiaddrs: member.multiaddrs.map(parseMultiaddr) });
  }
  if (!selfListed) {
    throw new NetworkConfigError("this node's key is not a member's", { peerId: self.toString() });
  }
  return { self, peers };
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new NetworkConfigError(`${name} must be a positive integer`, { [name]: value });
  }
}

function parsePeerId(id: string): PeerId {
  try {
    return peerIdFromString(id);
  } catch (cause) {
    throw new NetworkConfigError("invalid peer id", { id, cause });
  }
}

function parseMultiaddr(address: string): Multiaddr {
  try {
    return multiaddr(address);
  } catch (cause) {
    throw new NetworkConfigError("invalid multiaddr", { address, cause });
  }
}

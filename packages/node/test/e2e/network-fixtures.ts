import { createServer } from "node:net";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p, PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { tcp } from "@libp2p/tcp";
import { createLibp2p } from "libp2p";
import {
  createNetwork,
  defaultNetworkOptions,
  type Network,
  type NetworkMember,
  type NetworkMetrics,
  type NetworkOptions,
} from "../../src/network/index.ts";

/** Everything one member of a loopback test cluster needs to start, and restart, its network. */
export interface TestMember {
  readonly key: PrivateKey;
  readonly id: string;
  readonly address: string;
}

export const TEST_CLUSTER_ID = "test-cluster";
export const TEST_TOPICS = ["share", "head"] as const;

/**
 * Ports are chosen before start because every member's address is in the genesis. They come from
 * below Linux's ephemeral range (32768-60999): a port the OS handed out once for port 0 may be handed
 * out again, as the local port of any outgoing connection, before the member binds it (a run of the
 * whole suite lost network.test to EADDRINUSE that way).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

export async function testMembers(count: number): Promise<TestMember[]> {
  const members: TestMember[] = [];
  for (let i = 0; i < count; i++) {
    const key = await generateKeyPair("Ed25519");
    members.push({
      key,
      id: peerIdFromPrivateKey(key).toString(),
      address: `/ip4/127.0.0.1/tcp/${await freePort()}`,
    });
  }
  return members;
}

export function genesisMembers(members: readonly TestMember[]): NetworkMember[] {
  return members.map((member) => ({ id: member.id, multiaddrs: [member.address] }));
}

/** Test timers are shorter than production ones so that failures show up in seconds. */
export function testNetworkOptions(
  member: TestMember,
  members: readonly TestMember[],
  overrides: Partial<NetworkOptions> = {},
): NetworkOptions {
  return {
    ...defaultNetworkOptions,
    clusterId: TEST_CLUSTER_ID,
    privateKey: member.key,
    listen: [member.address],
    members: genesisMembers(members),
    topics: TEST_TOPICS,
    requestTimeoutMs: 2_000,
    dialTimeoutMs: 1_000,
    backoff: { initialMs: 100, maxMs: 1_000 },
    ...overrides,
  };
}

export interface TestNode {
  readonly member: TestMember;
  readonly network: Network;
  readonly metrics: RecordingMetrics;
}

export async function startNode(
  member: TestMember,
  members: readonly TestMember[],
  overrides: Partial<NetworkOptions> = {},
): Promise<TestNode> {
  const metrics = new RecordingMetrics();
  const network = await createNetwork(testNetworkOptions(member, members, overrides), { metrics });
  await network.start();
  return { member, network, metrics };
}

export async function startCluster(
  size: number,
  overrides: Partial<NetworkOptions> = {},
): Promise<{ members: TestMember[]; nodes: TestNode[] }> {
  // A port found free may be taken before a member binds it (something else on the machine got it
  // meanwhile): then the whole cluster starts again on new ports, since every address is in the genesis.
  for (let attempt = 1; ; attempt++) {
    const members = await testMembers(size);
    const started = await Promise.allSettled(members.map((member) => startNode(member, members, overrides)));
    const nodes = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    if (nodes.length === size) return { members, nodes };
    await Promise.all(nodes.map((node) => node.network.stop()));
    const failure = started.find((result) => result.status === "rejected")!.reason as Error;
    if (attempt === 3 || !String(failure.message + failure.stack).includes("EADDRINUSE")) throw failure;
  }
}

/** A bare libp2p node without Tempel's gater or protocols: an outsider, or a member gone rogue. */
export async function rawNode(key: PrivateKey, listen = "/ip4/127.0.0.1/tcp/0"): Promise<Libp2p> {
  return createLibp2p({
    privateKey: key,
    addresses: { listen: [listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  });
}

export function fullyConnected(nodes: readonly TestNode[]): boolean {
  return nodes.every((node) => node.network.connectedPeers().length === nodes.length - 1);
}

/** Collects what one node's network receives, per sender. */
export class Inbox {
  readonly messages: { from: string; text: string }[] = [];

  constructor(network: Network) {
    network.onMessage((from, message) =>
      this.messages.push({ from, text: new TextDecoder().decode(message) }),
    );
  }

  texts(from?: string): string[] {
    return this.messages.filter((m) => from === undefined || m.from === from).map((m) => m.text);
  }
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** NetworkMetrics that remember every count, keyed by metric name and labels. */
export class RecordingMetrics implements NetworkMetrics {
  readonly counts = new Map<string, number>();
  connected = 0;
  readonly requestResults: string[] = [];

  readonly peersConnected = {
    set: (value: number) => {
      this.connected = value;
    },
  };
  readonly messagesSent = this.#counter("sent");
  readonly messagesReceived = this.#counter("received");
  readonly messagesDropped = this.#counter("dropped");
  readonly gossipValidation = this.#counter("gossip");
  readonly dialFailures = { inc: () => this.#add("dial_failures", 1) };
  readonly peerPenalties = this.#counter("penalties");
  readonly requestDuration = {
    observe: (labels: Record<"result", string>) => void this.requestResults.push(labels.result),
  };

  /** The count for `name` with exactly these labels (order-insensitive). */
  count(name: string, labels: Record<string, string> = {}): number {
    return this.counts.get(key(name, labels)) ?? 0;
  }

  /** The sum over every label set of `name`. */
  total(name: string): number {
    let sum = 0;
    for (const [k, v] of this.counts) if (k === name || k.startsWith(`${name}{`)) sum += v;
    return sum;
  }

  #counter(name: string) {
    return { inc: (labels: Record<string, string>, value = 1) => this.#add(key(name, labels), value) };
  }

  #add(k: string, value: number): void {
    this.counts.set(k, (this.counts.get(k) ?? 0) + value);
  }
}

function key(name: string, labels: Record<string, string>): string {
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? name : `${name}{${entries.map(([k, v]) => `${k}=${v}`).join(",")}}`;
}

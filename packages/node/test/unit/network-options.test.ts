import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { beforeAll, describe, expect, it } from "vitest";
import {
  defaultNetworkOptions,
  type NetworkOptions,
  parseNetworkOptions,
  protocolIds,
  topicId,
} from "../../src/network/options.ts";

let self: PrivateKey;
let peer: string;

beforeAll(async () => {
  self = await generateKeyPair("Ed25519");
  peer = peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toString();
});

function options(overrides: Partial<NetworkOptions> = {}): NetworkOptions {
  return {
    ...defaultNetworkOptions,
    clusterId: "agency-1",
    privateKey: self,
    listen: ["/ip4/127.0.0.1/tcp/0"],
    members: [
      { id: peerIdFromPrivateKey(self).toString(), multiaddrs: ["/ip4/127.0.0.1/tcp/4001"] },
      { id: peer, multiaddrs: ["/ip4/127.0.0.1/tcp/4002"] },
    ],
    topics: ["share"],
    ...overrides,
  };
}

describe("network options", () => {
  it("parses the other members with their addresses, leaving this node out", () => {
    const parsed = parseNetworkOptions(options());
    expect(parsed.self.toString()).toBe(peerIdFromPrivateKey(self).toString());
    expect([...parsed.peers.keys()]).toEqual([peer]);
    expect(parsed.peers.get(peer)!.multiaddrs.map(String)).toEqual(["/ip4/127.0.0.1/tcp/4002"]);
  });

  it("names protocols and topics after the cluster", () => {
    expect(protocolIds("agency-1")).toEqual({
      consensus: "/tempel/agency-1/consensus/1.0.0",
      sync: "/tempel/agency-1/sync/1.0.0",
    });
    expect(topicId("agency-1", "share")).toBe("/tempel/agency-1/gossip/share/1.0.0");
  });

  it.each([
    ["a cluster id that cannot be part of a protocol id", { clusterId: "a/b" }],
    ["a topic name with capitals", { topics: ["Share"] }],
    ["a zero size bound", { maxMessageBytes: 0 }],
    ["a fractional timeout", { requestTimeoutMs: 1.5 }],
    ["a negative backoff", { backoff: { initialMs: -1, maxMs: 10 } }],
    ["a listen address that is not a multiaddr", { listen: ["127.0.0.1:4001"] }],
    ["a member id that is not a peer id", { members: [{ id: "node-1", multiaddrs: [] }] }],
  ])("rejects %s", (_, overrides) => {
    expect(() => parseNetworkOptions(options(overrides as Partial<NetworkOptions>))).toThrow(
      expect.objectContaining({ code: "NETWORK_CONFIG_INVALID" }),
    );
  });

  it("rejects a key that is not a member's, and a member listed twice", () => {
    const [me, other] = options().members;
    expect(() => parseNetworkOptions(options({ members: [other] }))).toThrow(/not a member/);
    expect(() => parseNetworkOptions(options({ members: [me, other, other] }))).toThrow(/twice/);
    expect(() => parseNetworkOptions(options({ members: [me, me, other] }))).toThrow(/twice/);
  });
});

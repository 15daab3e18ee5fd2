import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { TempelError } from "@tempel/proto";
import { afterEach, describe, expect, it } from "vitest";
import { encodeFrame } from "../../src/network/frame.ts";
import { protocolIds } from "../../src/network/index.ts";
import {
  fullyConnected,
  Inbox,
  rawNode,
  startCluster,
  startNode,
  TEST_CLUSTER_ID,
  type TestMember,
  type TestNode,
  testMembers,
  utf8,
} from "./network-fixtures.ts";
import { waitFor } from "./node-fixtures.ts";

const running: TestNode[] = [];
const rawNodes: Libp2p[] = [];

afterEach(async () => {
  await Promise.all([
    ...running.splice(0).map((node) => node.network.stop()),
    ...rawNodes.splice(0).map((node) => node.stop()),
  ]);
});

const PROTOCOLS = protocolIds(TEST_CLUSTER_ID);

function dialAddress(member: TestMember) {
  return multiaddr(`${member.address}/p2p/${member.id}`);
}

async function cluster(size: number, overrides = {}) {
  const started = await startCluster(size, overrides);
  running.push(...started.nodes);
  await waitFor("a full mesh", () => fullyConnected(started.nodes));
  return started;
}

describe("libp2p network of 3 members", () => {
  it("connects every member to every other from the genesis addresses", async () => {
    const { nodes } = await cluster(3);
    for (const node of nodes) {
      const others = nodes.filter((other) => other !== node).map((other) => other.member.id);
      expect(node.network.connectedPeers().sort()).toEqual(others.sort());
      expect(node.metrics.connected).toBe(2);
    }
  });

  it("delivers send() to the one addressee in order and broadcast() to every other member", async () => {
    const [a, b, c] = (await cluster(3)).nodes;
    const inboxB = new Inbox(b.network);
    const inboxC = new Inbox(c.network);
    for (let i = 0; i < 50; i++) a.network.send(b.member.id, utf8(`direct ${i}`));
    a.network.broadcast(utf8("to all"));
    await waitFor("deliveries", () => inboxB.messages.length === 51 && inboxC.messages.length === 1);
    expect(inboxB.texts(a.member.id)).toEqual([
      ...Array.from({ length: 50 }, (_, i) => `direct ${i}`),
      "to all",
    ]);
    expect(inboxC.texts(a.member.id)).toEqual(["to all"]);
    expect(a.metrics.count("sent", { kind: "message" })).toBe(52);
  });

  it("answers request() with the responder's reply and reports a failing handler's code", async () => {
    const [a, b] = (await cluster(3)).nodes;
    b.network.onRequest(async (from, message) => {
      const text = new TextDecoder().decode(message);
      if (text === "missing") throw new TempelError("CALENDAR_GAP", "no such entries here");
      return utf8(`${from.slice(-4)}:${text.toUpperCase()}`);
    });
    const reply = await a.network.request(b.member.id, utf8("entries 5..9"));
    expect(new TextDecoder().decode(reply)).toBe(`${a.member.id.slice(-4)}:ENTRIES 5..9`);
    await expect(a.network.request(b.member.id, utf8("missing"))).rejects.toMatchObject({
      code: "REMOTE_FAILED",
      details: { remoteCode: "CALENDAR_GAP" },
    });
  });
});

describe("libp2p network requests", () => {
  it("rejects with REQUEST_TIMEOUT when the answer takes longer than the request timeout", async () => {
    const [a, b] = (await cluster(3, { requestTimeoutMs: 300 })).nodes;
    b.network.onRequest(async () => {
      await new Promise((resolve) => setTimeout(resolve, 600));
      return utf8("late");
    });
    await expect(a.network.request(b.member.id, utf8("q"))).rejects.toMatchObject({
      code: "REQUEST_TIMEOUT",
    });
    expect(a.metrics.requestResults).toEqual(["REQUEST_TIMEOUT"]);
  });

  it("rejects with REQUEST_ABORTED when the caller's signal aborts", async () => {
    const [a, b] = (await cluster(3)).nodes;
    b.network.onRequest(() => new Promise((resolve) => setTimeout(() => resolve(utf8("late")), 500)));
    await expect(a.network.request(b.member.id, utf8("q"), AbortSignal.timeout(50))).rejects.toMatchObject({
      code: "REQUEST_ABORTED",
    });
  });

  it("refuses requests to non-members and messages larger than the bound before anything is sent", async () => {
    const [a, b] = (await cluster(3, { maxMessageBytes: 1024 })).nodes;
    await expect(a.network.request("12D3KooWNotAMember", utf8("q"))).rejects.toMatchObject({
      code: "PEER_UNKNOWN",
    });
    await expect(a.network.request(b.member.id, new Uint8Array(1025))).rejects.toMatchObject({
      code: "FRAME_TOO_LARGE",
    });
    expect(() => a.network.send(b.member.id, new Uint8Array(1025))).toThrow(
      expect.objectContaining({ code: "FRAME_TOO_LARGE" }),
    );
    expect(a.metrics.total("sent")).toBe(0);
  });
});

describe("libp2p network admission", () => {
  it("refuses a peer that is not a member, whichever side dials", async () => {
    const { nodes } = await cluster(3);
    const [a] = nodes;
    const outsider = await rawNode(await generateKeyPair("Ed25519"));
    rawNodes.push(outsider);
    // The member closes the connection once the handshake names the outsider: no protocol opens.
    await expect(outsider.dialProtocol(dialAddress(a.member), PROTOCOLS.consensus)).rejects.toThrow();
    await expect(outsider.dialProtocol(dialAddress(a.member), PROTOCOLS.sync)).rejects.toThrow();
    await waitFor("the outsider's connection closed", () => outsider.getConnections().length === 0);
    // A member never dials an outsider: there is nothing to address it by.
    a.network.send(outsider.peerId.toString(), utf8("hello"));
    expect(a.metrics.count("dropped", { kind: "message", reason: "unknown_peer" })).toBe(1);
    await expect(a.network.request(outsider.peerId.toString(), utf8("q"))).rejects.toMatchObject({
      code: "PEER_UNKNOWN",
    });
  });

  it("rejects garbage and oversized frames from a member, penalises it, and keeps serving the others", async () => {
    const members = await testMembers(3);
    const [a, b] = await Promise.all(
      members.slice(0, 2).map((m) => startNode(m, members, { maxMessageBytes: 1024 })),
    );
    running.push(a, b);
    // The third member runs bare libp2p with its genuine key: admitted, but it speaks garbage.
    const rogue = await rawNode(members[2].key, members[2].address);
    rawNodes.push(rogue);
    await waitFor("all three connected", () =>
      [a, b].every((node) => node.network.connectedPeers().length === 2),
    );

    const inboxA = new Inbox(a.network);
    const garbage = await rogue.dialProtocol(dialAddress(a.member), PROTOCOLS.consensus);
    garbage.send(Uint8Array.of(0xff, 0xff, 0xff, 0x01)); // a length prefix longer than 1024 needs
    const oversized = await rogue.dialProtocol(dialAddress(a.member), PROTOCOLS.consensus);
    oversized.send(Uint8Array.of(0x81, 0x08)); // declares 1025 bytes
    const badRequest = await rogue.dialProtocol(dialAddress(a.member), PROTOCOLS.sync);
    badRequest.send(Uint8Array.of(0x80, 0x00)); // zero-padded prefix
    await waitFor("three penalties", () => a.metrics.total("penalties") === 3);
    expect(a.metrics.count("penalties", { reason: "frame_length_invalid" })).toBe(2);
    expect(a.metrics.count("penalties", { reason: "frame_too_large" })).toBe(1);
    await waitFor("the rogue streams reset", () =>
      [garbage, oversized, badRequest].every((stream) => stream.status !== "open"),
    );

    b.network.send(a.member.id, utf8("still here"));
    await waitFor("delivery from a good member", () => inboxA.texts(b.member.id).length === 1);
    expect(inboxA.texts(members[2].id)).toEqual([]);
  });

  it("frees a message stream's slot when its sender closes it, so a sender may open one after another", async () => {
    const members = await testMembers(3);
    const a = await startNode(members[0], members);
    running.push(a);
    const sender = await rawNode(members[2].key, members[2].address);
    rawNodes.push(sender);
    const inbox = new Inbox(a.network);
    for (let i = 0; i < 4; i++) {
      const stream = await sender.dialProtocol(dialAddress(a.member), PROTOCOLS.consensus);
      stream.send(encodeFrame(utf8(`stream ${i}`)));
      await stream.close();
      await waitFor("the stream closed at both ends", () => stream.status === "closed");
    }
    await waitFor("every message", () => inbox.messages.length === 4);
    expect(inbox.texts(members[2].id)).toEqual(["stream 0", "stream 1", "stream 2", "stream 3"]);
  });

  it("disconnects and refuses a member once its offences reach the graylist threshold", async () => {
    const members = await testMembers(3);
    const a = await startNode(members[0], members, { penalties: { graylistAfter: 2, windowMs: 60_000 } });
    running.push(a);
    const rogue = await rawNode(members[2].key, members[2].address);
    rawNodes.push(rogue);
    await waitFor("the rogue connected", () => a.network.connectedPeers().includes(members[2].id));
    for (let i = 0; i < 2; i++) {
      const stream = await rogue.dialProtocol(dialAddress(a.member), PROTOCOLS.consensus);
      stream.send(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
      await waitFor("a penalty", () => a.metrics.total("penalties") === i + 1);
    }
    await waitFor("the rogue cut off", () => !a.network.connectedPeers().includes(members[2].id));
    await expect(rogue.dialProtocol(dialAddress(a.member), PROTOCOLS.consensus)).rejects.toThrow();
    expect(a.network.connectedPeers()).toEqual([]);
  });
});

describe("libp2p network partitions and restarts", () => {
  it("cuts a member off both ways with setBlocked and reconnects it when healed", async () => {
    const [a, b, c] = (await cluster(3)).nodes;
    const inboxC = new Inbox(c.network);
    await c.network.setBlocked([a.member.id, b.member.id]);
    await waitFor(
      "c isolated",
      () =>
        c.network.connectedPeers().length === 0 &&
        !a.network.connectedPeers().includes(c.member.id) &&
        !b.network.connectedPeers().includes(c.member.id),
    );
    // a and b keep redialling c, and c keeps closing their connections.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(c.network.connectedPeers()).toEqual([]);
    a.network.send(c.member.id, utf8("during the partition"));
    await expect(c.network.request(a.member.id, utf8("q"))).rejects.toMatchObject({
      code: "PEER_UNREACHABLE",
    });
    await expect(a.network.request(c.member.id, utf8("q"))).rejects.toMatchObject({
      code: "PEER_UNREACHABLE",
    });

    await c.network.setBlocked([]);
    await waitFor("the mesh healed", () => fullyConnected([a, b, c]));
    a.network.send(c.member.id, utf8("after healing"));
    await waitFor("delivery after healing", () => inboxC.messages.length > 0);
    expect(inboxC.texts()).toEqual(["after healing"]);
  });

  it("redials a stopped member with backoff and reconnects once it restarts on its address", async () => {
    const { members, nodes } = await cluster(3);
    const [a, b, c] = nodes;
    await c.network.stop();
    running.splice(running.indexOf(c), 1);
    await waitFor(
      "c gone",
      () => a.network.connectedPeers().length === 1 && b.network.connectedPeers().length === 1,
    );
    await waitFor("failed redials", () => a.metrics.total("dial_failures") >= 3, 15_000);

    const restarted = await startNode(members[2], members);
    running.push(restarted);
    await waitFor("the mesh restored", () => fullyConnected([a, b, restarted]));
    const inbox = new Inbox(restarted.network);
    a.network.send(restarted.member.id, utf8("welcome back"));
    await waitFor("delivery to the restarted member", () => inbox.messages.length === 1);
  });
});

describe("libp2p network gossip", () => {
  it("delivers accepted gossip once per member and counts rejections per topic, result and reason", async () => {
    const { nodes } = await cluster(3);
    const accepted = new Map<TestNode, string[]>(nodes.map((node) => [node, []]));
    for (const node of nodes) {
      node.network.subscribe("share", (_from, data) => {
        const text = new TextDecoder().decode(data);
        if (!text.startsWith("ok")) return { result: "reject", reason: "bad_share" };
        accepted.get(node)!.push(text);
        return { result: "accept" };
      });
    }
    const [a, b, c] = nodes;
    // Subscriptions spread on connect and heartbeats: probe until both others hear a.
    for (let i = 0; !(accepted.get(b)!.length > 0 && accepted.get(c)!.length > 0); i++) {
      a.network.publish("share", utf8(`ok probe ${i}`));
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (i > 100) throw new Error("gossip never reached the other members");
    }
    for (const node of nodes) accepted.get(node)!.length = 0;

    a.network.publish("share", utf8("ok share"));
    a.network.publish("share", utf8("forged share"));
    await waitFor("both verdicts at b and c", () =>
      [b, c].every(
        (node) =>
          accepted.get(node)!.includes("ok share") &&
          node.metrics.count("gossip", { topic: "share", result: "reject", reason: "bad_share" }) === 1,
      ),
    );
    // Forwarded copies are recognised by their content id and never validated twice.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(accepted.get(b)).toEqual(["ok share"]);
    expect(accepted.get(c)).toEqual(["ok share"]);
    expect(accepted.get(a)).toEqual([]);
    expect(() => a.network.publish("share", new Uint8Array(64 * 1024 + 1))).toThrow(
      expect.objectContaining({ code: "FRAME_TOO_LARGE" }),
    );
    expect(() => a.network.publish("unknown", utf8("x"))).toThrow(
      expect.objectContaining({ code: "NETWORK_CONFIG_INVALID" }),
    );
  });
});

describe("libp2p network of 5 members", () => {
  it("forms a full mesh in which broadcasts from every member reach all four others", async () => {
    const { nodes } = await cluster(5);
    const inboxes = nodes.map((node) => new Inbox(node.network));
    for (const [i, node] of nodes.entries()) node.network.broadcast(utf8(`from ${i}`));
    await waitFor("every broadcast delivered", () => inboxes.every((inbox) => inbox.messages.length === 4));
    for (const [i, inbox] of inboxes.entries()) {
      expect(inbox.texts().sort()).toEqual(nodes.flatMap((_, j) => (j === i ? [] : [`from ${j}`])).sort());
    }
  });
});

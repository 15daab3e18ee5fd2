import { afterEach, describe, expect, it } from "vitest";
import { RequestError } from "../../src/network/index.ts";
import { fullyConnected, Inbox, startCluster, type TestNode, utf8, waitFor } from "./network-fixtures.ts";

const running: TestNode[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.network.stop()));
});

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
    expect(inboxB.texts(a.member.id)).toEqual([...Array.from({ length: 50 }, (_, i) => `direct ${i}`), "to all"]);
    expect(inboxC.texts(a.member.id)).toEqual(["to all"]);
    expect(a.metrics.count("sent", { kind: "message" })).toBe(52);
  });

  it("answers request() with the responder's reply and reports a failing handler's code", async () => {
    const [a, b] = (await cluster(3)).nodes;
    b.network.onRequest(async (from, message) => {
      const text = new TextDecoder().decode(message);
      if (text === "missing") throw new RequestError("REMOTE_FAILED", "x", {}); // any TempelError code travels
      return utf8(`${from.slice(-4)}:${text.toUpperCase()}`);
    });
    const reply = await a.network.request(b.member.id, utf8("entries 5..9"));
    expect(new TextDecoder().decode(reply)).toBe(`${a.member.id.slice(-4)}:ENTRIES 5..9`);
    await expect(a.network.request(b.member.id, utf8("missing"))).rejects.toMatchObject({
      code: "REMOTE_FAILED",
      details: { remoteCode: "REMOTE_FAILED" },
    });
  });
});

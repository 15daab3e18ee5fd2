import { createHash } from "node:crypto";
import type { GossipSub } from "@libp2p/gossipsub";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger/logger.ts";
import { GossipRouter, type GossipVerdict, gossipMessageId } from "../../src/network/gossip.ts";
import { topicId } from "../../src/network/options.ts";
import { RecordingMetrics } from "../e2e/network-fixtures.ts";

/** Stands in for gossipsub: records subscriptions, publishes and validation reports. */
class FakePubsub extends EventTarget {
  readonly subscribed: string[] = [];
  readonly reports: [string, string, string][] = [];

  subscribe(topic: string): void {
    this.subscribed.push(topic);
  }

  async publish(): Promise<void> {}

  reportMessageValidationResult(msgId: string, from: string, result: string): void {
    this.reports.push([msgId, from, result]);
  }

  deliver(msgId: string, from: string, topic: string, data: Uint8Array): void {
    const propagationSource = { toString: () => from };
    this.dispatchEvent(
      new CustomEvent("gossipsub:message", {
        detail: { propagationSource, msgId, msg: { type: "unsigned", topic, data } },
      }),
    );
  }
}

const SHARE = topicId("c1", "share");

function router(options: { maxPendingValidations?: number } = {}) {
  const pubsub = new FakePubsub();
  const metrics = new RecordingMetrics();
  const gossip = new GossipRouter(
    { clusterId: "c1", topics: ["share", "head"], maxGossipBytes: 8, maxPendingValidations: 4, ...options },
    { isMember: (peer) => peer.startsWith("member"), logger: silentLogger, metrics },
    pubsub as unknown as GossipSub,
  );
  return { pubsub, metrics, gossip };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("network gossip router", () => {
  it("derives message ids from the length-prefixed topic and the data", () => {
    const id = (topic: string, data: string) =>
      Buffer.from(gossipMessageId({ type: "unsigned", topic, data: Buffer.from(data) })).toString("hex");
    const expected = createHash("sha256")
      .update(Uint8Array.of(0, 0, 0, 2))
      .update("ab")
      .update("c")
      .digest("hex");
    expect(id("ab", "c")).toBe(expected);
    expect(id("a", "bc")).not.toBe(id("ab", "c"));
    expect(id("ab", "c")).toBe(id("ab", "c"));
  });

  it("subscribes on start to topics registered before it, and at once after it", () => {
    const { pubsub, gossip } = router();
    gossip.subscribe("share", () => ({ result: "accept" }));
    expect(pubsub.subscribed).toEqual([]);
    gossip.start();
    expect(pubsub.subscribed).toEqual([SHARE]);
    gossip.subscribe("head", () => ({ result: "accept" }));
    expect(pubsub.subscribed).toEqual([SHARE, topicId("c1", "head")]);
    expect(() => gossip.subscribe("head", () => ({ result: "accept" }))).toThrow(/already/);
    expect(() => gossip.subscribe("other", () => ({ result: "accept" }))).toThrow(/unknown/);
  });

  it("reports the validator's verdict and counts it per topic, result and reason", async () => {
    const { pubsub, metrics, gossip } = router();
    gossip.subscribe("share", (_from, data) =>
      data[0] === 1 ? { result: "accept" } : { result: "reject", reason: "bad_signature" },
    );
    gossip.start();
    pubsub.deliver("m1", "member-a", SHARE, Uint8Array.of(1));
    pubsub.deliver("m2", "member-a", SHARE, Uint8Array.of(2));
    await settle();
    expect(pubsub.reports).toEqual([
      ["m1", "member-a", "accept"],
      ["m2", "member-a", "reject"],
    ]);
    expect(metrics.count("gossip", { topic: "share", result: "accept", reason: "" })).toBe(1);
    expect(metrics.count("gossip", { topic: "share", result: "reject", reason: "bad_signature" })).toBe(1);
  });

  it("rejects messages from non-members and oversized ones without asking the validator", async () => {
    const { pubsub, metrics, gossip } = router();
    const seen: Uint8Array[] = [];
    gossip.subscribe("share", (_from, data) => {
      seen.push(data);
      return { result: "accept" };
    });
    gossip.start();
    pubsub.deliver("m1", "outsider", SHARE, Uint8Array.of(1));
    pubsub.deliver("m2", "member-a", SHARE, new Uint8Array(9));
    await settle();
    expect(seen).toEqual([]);
    expect(pubsub.reports.map(([, , result]) => result)).toEqual(["reject", "reject"]);
    expect(metrics.count("gossip", { topic: "share", result: "reject", reason: "not_member" })).toBe(1);
    expect(metrics.count("gossip", { topic: "share", result: "reject", reason: "oversized" })).toBe(1);
  });

  it("ignores messages beyond the bound of validations in flight", async () => {
    const { pubsub, metrics, gossip } = router({ maxPendingValidations: 2 });
    const pending: ((verdict: GossipVerdict) => void)[] = [];
    gossip.subscribe("share", () => new Promise((resolve) => pending.push(resolve)));
    gossip.start();
    for (let i = 0; i < 3; i++) pubsub.deliver(`m${i}`, "member-a", SHARE, Uint8Array.of(i));
    await settle();
    expect(pubsub.reports).toEqual([["m2", "member-a", "ignore"]]);
    expect(metrics.count("gossip", { topic: "share", result: "ignore", reason: "queue_full" })).toBe(1);
    for (const resolve of pending) resolve({ result: "accept" });
    await settle();
    pubsub.deliver("m3", "member-a", SHARE, Uint8Array.of(3));
    await settle();
    expect(pending).toHaveLength(3);
  });

  it("ignores a message whose validator throws and keeps validating the next", async () => {
    const { pubsub, metrics, gossip } = router();
    gossip.subscribe("share", (_from, data) => {
      if (data[0] === 0) throw new Error("bug");
      return { result: "accept" };
    });
    gossip.start();
    pubsub.deliver("m0", "member-a", SHARE, Uint8Array.of(0));
    pubsub.deliver("m1", "member-a", SHARE, Uint8Array.of(1));
    await settle();
    expect(pubsub.reports.map(([id, , result]) => [id, result])).toEqual([
      ["m0", "ignore"],
      ["m1", "accept"],
    ]);
    expect(metrics.count("gossip", { topic: "share", result: "ignore", reason: "validator_error" })).toBe(1);
  });

  it("refuses to publish to an unknown topic or more than the size bound", () => {
    const { gossip } = router();
    expect(() => gossip.publish("other", Uint8Array.of(1))).toThrow(
      expect.objectContaining({ code: "NETWORK_CONFIG_INVALID" }),
    );
    expect(() => gossip.publish("share", new Uint8Array(9))).toThrow(
      expect.objectContaining({ code: "FRAME_TOO_LARGE" }),
    );
  });
});

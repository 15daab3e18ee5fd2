import { ed25519 } from "@noble/curves/ed25519.js";
import { AggregationTree, emptyCalendarLeaf, HashAlgorithm, hashImprint } from "@tempel/proto";
import { describe, expect, it } from "vitest";
import { buildCalendarEntry, calendarEntryFault, topTree } from "../../src/consensus/calendar-entry.ts";
import { MemberKeys } from "../../src/consensus/member-keys.ts";
import { contributionStatement } from "../../src/consensus/statements.ts";
import type { SignedContribution } from "../../src/consensus/types.ts";

const SHA256 = HashAlgorithm.SHA2_256;
const secrets = new Map(
  ["node-a", "node-b", "node-c", "intruder"].map((id, i) => [id, new Uint8Array(32).fill(i + 1)]),
);
const members = ["node-a", "node-b", "node-c"].map((id) => ({
  id,
  publicKey: ed25519.getPublicKey(secrets.get(id)!),
}));
const isMember = new MemberKeys(members);

function contribution(nodeId: string, level = 0): SignedContribution {
  const c = { time: 100, nodeId, root: hashImprint(SHA256, new TextEncoder().encode(nodeId)), level };
  return { ...c, signature: ed25519.sign(contributionStatement(c), secrets.get(nodeId)!) };
}

describe("calendar entries", () => {
  it("a second without contributions gets the empty leaf", () => {
    const entry = buildCalendarEntry(100, [], SHA256);
    expect(entry).toEqual({ time: 100, contributions: [], leaf: emptyCalendarLeaf() });
    expect(calendarEntryFault(entry, isMember, SHA256)).toBeUndefined();
  });

  it("a single contribution's root is the leaf", () => {
    const only = contribution("node-b");
    expect(buildCalendarEntry(100, [only], SHA256).leaf).toEqual(only.root);
  });

  it("orders contributions by node id and makes the leaf the top tree's root over them at their levels", () => {
    const given = [contribution("node-c", 3), contribution("node-a", 1), contribution("node-b", 0)];
    const entry = buildCalendarEntry(100, given, SHA256);
    expect(entry.contributions.map((c) => c.nodeId)).toEqual(["node-a", "node-b", "node-c"]);
    const expected = new AggregationTree(
      entry.contributions.map((c) => ({ imprint: c.root, level: c.level })),
      { algorithm: SHA256 },
    );
    expect(entry.leaf).toEqual(expected.root);
    expect(topTree(entry.contributions, SHA256).root).toEqual(entry.leaf);
  });

  it("finds nothing wrong with an entry built honestly", () => {
    const entry = buildCalendarEntry(100, [contribution("node-a"), contribution("node-c")], SHA256);
    expect(calendarEntryFault(entry, isMember, SHA256)).toBeUndefined();
  });

  it("flags a leaf that is not the top tree over the contributions", () => {
    const entry = buildCalendarEntry(100, [contribution("node-a"), contribution("node-c")], SHA256);
    const forged = { ...entry, leaf: contribution("node-b").root };
    expect(calendarEntryFault(forged, isMember, SHA256)).toBe("entry_leaf_mismatch");
    expect(calendarEntryFault({ ...entry, contributions: [] }, isMember, SHA256)).toBe("entry_leaf_mismatch");
  });

  it("flags a contribution its member did not sign: another root, or another member's signature", () => {
    const [a, c] = [contribution("node-a"), contribution("node-c")];
    const swapped = { ...a, root: contribution("node-b").root };
    expect(calendarEntryFault(buildCalendarEntry(100, [swapped, c], SHA256), isMember, SHA256)).toBe(
      "entry_contribution_signature",
    );
    const borrowed = { ...a, signature: c.signature };
    expect(calendarEntryFault(buildCalendarEntry(100, [borrowed, c], SHA256), isMember, SHA256)).toBe(
      "entry_contribution_signature",
    );
  });

  it("flags a contribution from a node that is not a member", () => {
    const entry = buildCalendarEntry(100, [contribution("node-a"), contribution("intruder")], SHA256);
    expect(calendarEntryFault(entry, isMember, SHA256)).toBe("entry_non_member");
  });
});

import { beforeAll, describe, expect, it } from "vitest";
import { HashAlgorithm } from "../../src/hash/algorithms.ts";
import { hashImprint } from "../../src/hash/imprint.ts";
import type { KsiSignature } from "../../src/signature/types.ts";
import {
  allOf,
  anyOf,
  calendarPolicy,
  defaultPolicy,
  internalPolicy,
  publicationsFilePolicy,
  type Rule,
  rule,
  userPublicationPolicy,
  type VerificationResult,
  verifySignature,
} from "../../src/verification/index.ts";
import { inconclusive, ok } from "../../src/verification/result.ts";
import {
  alteredExtender,
  expectResult,
  GENESIS,
  imprintOf,
  PUBLISHED_AT,
  publicationsFileOf,
  SIGNED_AT,
  type SignedCalendar,
  signedCalendar,
} from "./verification-fixtures.ts";

function flipLast(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out[out.length - 1]! ^= 1;
  return out;
}

describe("rule composition", () => {
  const outcome = (name: string, result: VerificationResult["result"]): Rule =>
    rule(name, () =>
      result === "OK"
        ? { result, code: null, message: name, rule: name }
        : { result, code: result === "NA" ? "GEN-02" : "INT-01", message: name, rule: name },
    );
  const run = (r: Rule) => r.verify(undefined as never);

  it("allOf stops at the first result that is not OK", async () => {
    const result = await run(allOf("all", [outcome("a", "OK"), outcome("b", "NA"), outcome("c", "FAIL")]));
    expect(result.rule).toBe("b");
  });

  it("allOf is OK when every rule is", async () => {
    expectResult(await run(allOf("all", [outcome("a", "OK"), outcome("b", "OK")])), "OK", null);
  });

  it("anyOf takes the first alternative that decides, a FAIL included", async () => {
    expect(
      (await run(anyOf("any", [outcome("a", "NA"), outcome("b", "OK"), outcome("c", "FAIL")]))).rule,
    ).toBe("b");
    expect(
      (await run(anyOf("any", [outcome("a", "NA"), outcome("b", "FAIL"), outcome("c", "OK")]))).rule,
    ).toBe("b");
  });

  it("anyOf is inconclusive with every alternative's reason when none decides", async () => {
    const reason = (name: string): Rule => rule(name, () => inconclusive(name, `no ${name}`));
    const result = await run(anyOf("any", [reason("a"), reason("b")]));
    expect(result).toEqual({
      result: "NA",
      code: "GEN-02",
      message: "Verification inconclusive: no a; no b",
      rule: "any",
    });
  });

  it("a TempelError thrown inside a rule makes it inconclusive, other errors propagate", async () => {
    const { TempelError } = await import("../../src/errors.ts");
    const typed = rule("typed", () => {
      throw new TempelError("X", "cannot compute");
    });
    const bug = rule("bug", () => {
      throw new TypeError("bug");
    });
    expectResult(await run(typed), "NA", "GEN-02");
    await expect(run(bug)).rejects.toThrow(TypeError);
  });

  it("rules that wait and rules that answer at once compose alike, errors included", async () => {
    const later = (r: Rule): Rule => ({ name: r.name, verify: (context) => r.verify(context) });
    const asyncCheck = (name: string, result: "OK" | "NA"): Rule =>
      rule(name, async () => (result === "OK" ? ok(name) : inconclusive(name, `no ${name}`)));
    expect(
      (await run(allOf("all", [outcome("a", "OK"), later(outcome("b", "OK")), asyncCheck("c", "NA")]))).rule,
    ).toBe("c");
    expect(
      (await run(allOf("all", [later(outcome("a", "OK")), outcome("b", "FAIL"), outcome("c", "NA")]))).rule,
    ).toBe("b");
    expect(
      await run(anyOf("any", [asyncCheck("a", "NA"), outcome("b", "NA"), later(outcome("c", "NA"))])),
    ).toMatchObject({ result: "NA", message: "Verification inconclusive: no a; b; c" });
    expect((await run(anyOf("any", [later(outcome("a", "NA")), asyncCheck("b", "OK")]))).rule).toBe("b");
    const { TempelError } = await import("../../src/errors.ts");
    const asyncTyped = rule("typed", async () => {
      throw new TempelError("X", "cannot compute");
    });
    const asyncBug = rule("bug", async () => {
      throw new TypeError("bug");
    });
    expectResult(await run(allOf("all", [later(outcome("a", "OK")), asyncTyped])), "NA", "GEN-02");
    await expect(run(allOf("all", [outcome("a", "OK"), asyncBug]))).rejects.toThrow(TypeError);
  });
});

describe("internal policy on a Tempel-made signature", () => {
  let made: SignedCalendar;
  beforeAll(async () => {
    made = await signedCalendar();
  });

  it("accepts the fresh and the extended signature with their document", async () => {
    const options = { documentHash: made.documentHash };
    expectResult(await verifySignature(made.signature, options, internalPolicy), "OK", null);
    expectResult(await verifySignature(made.extended, options, internalPolicy), "OK", null);
  });

  it("says GEN-01 for another document and GEN-04 for another hash algorithm", async () => {
    const other = { documentHash: imprintOf("another document") };
    expectResult(await verifySignature(made.signature, other, internalPolicy), "FAIL", "GEN-01");
    const sha512 = { documentHash: hashImprint(HashAlgorithm.SHA2_512, new Uint8Array(1)) };
    expectResult(await verifySignature(made.signature, sha512, internalPolicy), "FAIL", "GEN-04");
  });

  it("says GEN-03 for an input level above the first link's level correction", async () => {
    expectResult(await verifySignature(made.signature, { inputLevel: 1 }, internalPolicy), "FAIL", "GEN-03");
  });

  it("is inconclusive, not failed, for an input level no tree has (beyond a byte): the input is wrong", async () => {
    for (const inputLevel of [256, -1, 0.5]) {
      expectResult(await verifySignature(made.signature, { inputLevel }, internalPolicy), "NA", "GEN-02");
    }
  });

  it("is inconclusive, not failed, when a chain uses an algorithm this build cannot compute (SM3)", async () => {
    const [chain] = made.signature.aggregationChains;
    const sm3: KsiSignature = {
      ...made.signature,
      aggregationChains: [{ ...chain!, aggregationAlgorithm: 0x0b }],
    };
    expectResult(await verifySignature(sm3, {}, internalPolicy), "NA", "GEN-02");
  });
});

describe("calendar policy", () => {
  let made: SignedCalendar;
  beforeAll(async () => {
    made = await signedCalendar();
  });

  it("accepts a signature the extender's calendar agrees with", async () => {
    expectResult(
      await verifySignature(made.signature, { extender: made.extender }, calendarPolicy),
      "OK",
      null,
    );
    expectResult(
      await verifySignature(made.extended, { extender: made.extender }, calendarPolicy),
      "OK",
      null,
    );
  });

  it("extends a signature without calendar chain to the calendar head", async () => {
    const { calendarChain: _, ...bare } = made.signature;
    expectResult(await verifySignature(bare, { extender: made.extender }, calendarPolicy), "OK", null);
  });

  it("says CAL-04 when a right link differs from the calendar's", async () => {
    const extender = alteredExtender(made.extender, (chain) => ({
      ...chain,
      links: chain.links.map((link) =>
        link.direction === "right" ? { ...link, sibling: flipLast(link.sibling) } : link,
      ),
    }));
    expectResult(await verifySignature(made.signature, { extender }, calendarPolicy), "FAIL", "CAL-04");
  });

  it("says CAL-01 when a published signature's root differs from the calendar's", async () => {
    const extender = alteredExtender(made.extender, (chain) => ({
      ...chain,
      links: chain.links.map((link) =>
        link.direction === "left" ? { ...link, sibling: flipLast(link.sibling) } : link,
      ),
    }));
    expectResult(await verifySignature(made.extended, { extender }, calendarPolicy), "FAIL", "CAL-01");
  });

  it("says CAL-02 when the calendar recorded another aggregation root", async () => {
    const extender = alteredExtender(made.extender, (chain) => ({
      ...chain,
      inputHash: imprintOf("other root"),
    }));
    expectResult(await verifySignature(made.signature, { extender }, calendarPolicy), "FAIL", "CAL-02");
  });

  it("says CAL-03 when the calendar's chain is for another second", async () => {
    const extender = alteredExtender(made.extender, (chain) => ({
      ...chain,
      aggregationTime: SIGNED_AT + 1,
    }));
    expectResult(await verifySignature(made.signature, { extender }, calendarPolicy), "FAIL", "CAL-03");
  });

  it("is inconclusive without an extender or when the extender fails", async () => {
    expectResult(await verifySignature(made.signature, {}, calendarPolicy), "NA", "GEN-02");
    const down = () => Promise.reject(new Error("connection refused"));
    const result = await verifySignature(made.signature, { extender: down }, calendarPolicy);
    expectResult(result, "NA", "GEN-02");
    expect(result.message).toContain("connection refused");
  });
});

describe("user publication policy", () => {
  let made: SignedCalendar;
  beforeAll(async () => {
    made = await signedCalendar();
  });

  it("compares a publication record of the same second directly", async () => {
    const options = { userPublication: made.publication };
    expectResult(await verifySignature(made.extended, options, userPublicationPolicy), "OK", null);
    const wrong = {
      userPublication: { ...made.publication, publishedHash: flipLast(made.publication.publishedHash) },
    };
    expectResult(await verifySignature(made.extended, wrong, userPublicationPolicy), "FAIL", "PUB-04");
  });

  it("extends a fresh signature to the publication when extending is permitted", async () => {
    const options = { userPublication: made.publication, extender: made.extender, extendingAllowed: true };
    expectResult(await verifySignature(made.signature, options, userPublicationPolicy), "OK", null);
  });

  it("is inconclusive when extending is not permitted or the publication predates the signature", async () => {
    const notPermitted = { userPublication: made.publication, extender: made.extender };
    expectResult(await verifySignature(made.signature, notPermitted, userPublicationPolicy), "NA", "GEN-02");
    const older = { publicationTime: GENESIS + 1, publishedHash: await made.calendar.rootAt(GENESIS + 1) };
    const options = { userPublication: older, extender: made.extender, extendingAllowed: true };
    expectResult(await verifySignature(made.signature, options, userPublicationPolicy), "NA", "GEN-02");
  });

  it("says PUB-01 when the extended chain does not reach the published hash", async () => {
    const extender = alteredExtender(made.extender, (chain) => ({
      ...chain,
      links: chain.links.map((link) =>
        link.direction === "left" ? { ...link, sibling: flipLast(link.sibling) } : link,
      ),
    }));
    const options = { userPublication: made.publication, extender, extendingAllowed: true };
    expectResult(await verifySignature(made.signature, options, userPublicationPolicy), "FAIL", "PUB-01");
  });

  it("says PUB-02 when the extended chain is for another publication time or another second", async () => {
    const relabelled = alteredExtender(made.extender, (chain) => ({
      ...chain,
      publicationTime: PUBLISHED_AT - 1,
    }));
    const options = { userPublication: made.publication, extender: relabelled, extendingAllowed: true };
    expectResult(await verifySignature(made.signature, options, userPublicationPolicy), "FAIL", "PUB-02");
    // The chain of the next second, relabelled as ours: right time field, wrong shape.
    const neighbour = alteredExtender(
      (_, publicationTime) => made.calendar.chain(SIGNED_AT + 1, publicationTime!),
      (chain) => ({ ...chain, aggregationTime: SIGNED_AT }),
    );
    const shifted = { userPublication: made.publication, extender: neighbour, extendingAllowed: true };
    expectResult(await verifySignature(made.signature, shifted, userPublicationPolicy), "FAIL", "PUB-02");
  });

  it("says PUB-03 when the calendar recorded another aggregation root at the signing second", async () => {
    // Aggregation chains for another document, without a calendar chain to contradict them.
    const forged: KsiSignature = {
      aggregationChains: made.signature.aggregationChains.map((chain) => ({
        ...chain,
        inputHash: imprintOf("forged"),
      })),
    };
    const options = { userPublication: made.publication, extender: made.extender, extendingAllowed: true };
    expectResult(await verifySignature(forged, options, userPublicationPolicy), "FAIL", "PUB-03");
  });
});

describe("publications file policy", () => {
  let made: SignedCalendar;
  beforeAll(async () => {
    made = await signedCalendar();
  });

  it("accepts a publication record the file confirms and says PUB-05 when the file disagrees", async () => {
    const file = await publicationsFileOf([made.publication]);
    expectResult(
      await verifySignature(made.extended, { publicationsFile: file }, publicationsFilePolicy),
      "OK",
      null,
    );
    const other = await publicationsFileOf([{ ...made.publication, publishedHash: imprintOf("x") }]);
    const result = await verifySignature(made.extended, { publicationsFile: other }, publicationsFilePolicy);
    expectResult(result, "FAIL", "PUB-05");
  });

  it("extends a fresh signature to the first publication after it", async () => {
    const earlier = { publicationTime: GENESIS + 2, publishedHash: await made.calendar.rootAt(GENESIS + 2) };
    const file = await publicationsFileOf([made.publication, earlier]);
    const options = { publicationsFile: file, extender: made.extender, extendingAllowed: true };
    expectResult(await verifySignature(made.signature, options, publicationsFilePolicy), "OK", null);
  });

  it("is inconclusive when the file has no publication after the signature yet, or no file is given", async () => {
    const earlier = { publicationTime: GENESIS + 2, publishedHash: await made.calendar.rootAt(GENESIS + 2) };
    const file = await publicationsFileOf([earlier]);
    const options = { publicationsFile: file, extender: made.extender, extendingAllowed: true };
    expectResult(await verifySignature(made.signature, options, publicationsFilePolicy), "NA", "GEN-02");
    expectResult(await verifySignature(made.signature, {}, publicationsFilePolicy), "NA", "GEN-02");
  });
});

describe("default policy", () => {
  let made: SignedCalendar;
  beforeAll(async () => {
    made = await signedCalendar();
  });

  it("is inconclusive for a fresh signature when nothing to trust is given", async () => {
    expectResult(await verifySignature(made.signature), "NA", "GEN-02");
  });

  it("verifies against a user publication when one is given", async () => {
    const options = { userPublication: made.publication, extender: made.extender, extendingAllowed: true };
    expectResult(await verifySignature(made.signature, options, defaultPolicy), "OK", null);
  });

  it("keeps a publication FAIL instead of falling back to keys", async () => {
    const wrong = {
      userPublication: { ...made.publication, publishedHash: flipLast(made.publication.publishedHash) },
    };
    expectResult(await verifySignature(made.extended, wrong, defaultPolicy), "FAIL", "PUB-04");
  });

  it("stops at an internal failure before any trust anchor is consulted", async () => {
    const options = { documentHash: imprintOf("another document"), userPublication: made.publication };
    expectResult(await verifySignature(made.extended, options, defaultPolicy), "FAIL", "GEN-01");
  });
});

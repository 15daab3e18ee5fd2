import { describe, expect, it } from "vitest";
import { AggregationTree, composeChains } from "../../src/aggregation/index.ts";
import { Calendar, MemoryCalendarStore } from "../../src/calendar/index.ts";
import { HashAlgorithm } from "../../src/hash/algorithms.ts";
import { type Hasher, nobleHasher } from "../../src/hash/hasher.ts";
import { hashImprint, type Imprint } from "../../src/hash/imprint.ts";
import type { AggregationHashChain, KsiSignature } from "../../src/signature/types.ts";
import { bytesEqual } from "../../src/util/bytes.ts";
import { internalPolicy, verifySignature } from "../../src/verification/index.ts";
import { memoizedHasher } from "../../src/verification/step-memo.ts";

const imprint = (text: string): Imprint =>
  hashImprint(HashAlgorithm.SHA2_256, new TextEncoder().encode(text));

/** The table is made once a hasher is used for more than a signature or two. */
function warm(memo: Hasher): Hasher {
  for (let i = 0; i < 200; i++) memo(HashAlgorithm.SHA2_256, Uint8Array.of(i, i, i, i, i));
  return memo;
}

describe("the step memo", () => {
  it("gives the hasher's own digest for every input, repeated or sharing a slot, hashing a repeat once when warm", () => {
    let calls = 0;
    const counting: Hasher = (algorithm, data) => {
      calls++;
      return nobleHasher(algorithm, data);
    };
    const memo = memoizedHasher(counting);
    expect(memoizedHasher(counting)).toBe(memo);
    warm(memo);
    // 3000 inputs over 1024 slots: many share one, and a newer input takes it over.
    const inputs = Array.from({ length: 3000 }, (_, i) => {
      const input = new Uint8Array(67);
      input.set(imprint(`left ${i}`));
      input.set(imprint(`right ${i % 7}`), 33);
      input[66] = i % 256;
      return input;
    });
    const wrong: string[] = [];
    const check = (algorithm: number, input: Uint8Array, what: string) => {
      if (!bytesEqual(memo(algorithm, input), nobleHasher(algorithm, input))) wrong.push(what);
    };
    let repeatsHashed = 0;
    inputs.forEach((input, i) => {
      check(HashAlgorithm.SHA2_256, input, `first ${i}`);
      const before = calls;
      check(HashAlgorithm.SHA2_256, input, `repeat ${i}`);
      repeatsHashed += calls - before;
      // The same bytes under another algorithm are another input.
      if (i % 10 === 0) check(HashAlgorithm.SHA2_512, input, `other algorithm ${i}`);
    });
    for (const [i, input] of inputs.entries()) check(HashAlgorithm.SHA2_256, input, `later ${i}`);
    expect(wrong).toEqual([]);
    expect(repeatsHashed).toBe(0);
  });

  it("hands out digests the caller may change without changing later answers", () => {
    const memo = warm(memoizedHasher((algorithm, data) => nobleHasher(algorithm, data)));
    const input = new Uint8Array(67).fill(7);
    memo(HashAlgorithm.SHA2_256, input).fill(0);
    memo(HashAlgorithm.SHA2_256, input).fill(0);
    expect(memo(HashAlgorithm.SHA2_256, input)).toEqual(nobleHasher(HashAlgorithm.SHA2_256, input));
  });
});

async function roundSignature(): Promise<{ signature: KsiSignature; document: Imprint }> {
  const second = 1_750_000_000;
  const documents = Array.from({ length: 40 }, (_, i) => imprint(`document ${i}`));
  const options = { algorithm: HashAlgorithm.SHA2_256 };
  const local = new AggregationTree(
    documents.map((document) => ({ imprint: document, metadata: { clientId: "agency" } })),
    options,
  );
  const top = new AggregationTree(
    [
      { imprint: imprint("node 1"), level: 3 },
      { imprint: local.root, level: local.rootLevel },
      { imprint: imprint("node 3"), level: 9 },
    ],
    options,
  );
  const calendar = await Calendar.open(new MemoryCalendarStore(), { genesisTime: second - 40 });
  await calendar.append(second, top.root);
  await calendar.append(second + 20, imprint("later"));
  const calendarChain = await calendar.chain(second, second + 20);
  const publishedData = { publicationTime: second + 20, publishedHash: await calendar.rootAt(second + 20) };
  return {
    signature: {
      aggregationChains: composeChains([local.segment(5), top.segment(1)], second),
      calendarChain,
      publicationRecord: { publishedData, references: [], repositoryUris: [] },
    },
    document: documents[5]!,
  };
}

function withTopChain(
  signature: KsiSignature,
  change: (chain: AggregationHashChain) => AggregationHashChain,
) {
  const [local, topChain] = signature.aggregationChains;
  return { ...signature, aggregationChains: [local!, change(topChain!)] };
}

function flipped(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out[out.length - 1]! ^= 1;
  return out;
}

describe("verification right after a near-identical signature", () => {
  it("gives each signature the result it gets alone, whatever the memo holds", async () => {
    const { signature, document } = await roundSignature();
    const calendar = signature.calendarChain!;
    const [firstLink, ...laterLinks] = calendar.links;
    const variants: Record<string, KsiSignature> = {
      "calendar sibling": {
        ...signature,
        calendarChain: {
          ...calendar,
          links: [{ ...firstLink!, sibling: flipped(firstLink!.sibling) }, ...laterLinks],
        },
      },
      "calendar input": {
        ...signature,
        calendarChain: { ...calendar, inputHash: flipped(calendar.inputHash) },
      },
      "top-chain sibling": withTopChain(signature, (chain) => ({
        ...chain,
        links: chain.links.map((link, i) =>
          i === 0 && link.sibling.kind === "imprint"
            ? { ...link, sibling: { kind: "imprint", imprint: flipped(link.sibling.imprint) } }
            : link,
        ),
      })),
      "top-chain level correction": withTopChain(signature, (chain) => ({
        ...chain,
        links: chain.links.map((link, i) =>
          i === 0 ? { ...link, levelCorrection: link.levelCorrection + 1 } : link,
        ),
      })),
      "top-chain direction": withTopChain(signature, (chain) => ({
        ...chain,
        links: chain.links.map((link, i) =>
          i === 0 ? { ...link, direction: link.direction === "left" ? "right" : "left" } : link,
        ),
      })),
    };
    // A hasher of its own identity shares nothing with the memo entries of nobleHasher.
    const alone = (sig: KsiSignature) =>
      verifySignature(sig, { documentHash: document, hasher: (a, d) => nobleHasher(a, d) }, internalPolicy);
    const primed = (sig: KsiSignature) =>
      verifySignature(sig, { documentHash: document, hasher: nobleHasher }, internalPolicy);
    expect(await primed(signature)).toMatchObject({ result: "OK" });
    for (const [change, variant] of Object.entries(variants)) {
      const expected = await alone(variant);
      expect(expected.result, change).toBe("FAIL");
      expect(await primed(variant), change).toEqual(expected);
      expect(await primed(signature), change).toMatchObject({ result: "OK" });
    }
  });
});

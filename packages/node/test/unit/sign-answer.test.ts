import {
  AggregationTree,
  composeChains,
  encodeSignature,
  HashAlgorithm,
  type KsiSignature,
  makeImprint,
} from "@tempel/proto";
import { describe, expect, it } from "vitest";
import { RoundAnswer, SignedRound } from "../../src/aggregation/round-answer.ts";
import { SignAnswers } from "../../src/api/sign-answer.ts";

const TIME = 1_763_780_000;

/** A tree over leaves of three digest lengths, so that signatures differ in length modulo 3. */
function tree(seed: number, leaves: number): AggregationTree {
  const algorithms = [HashAlgorithm.SHA2_256, HashAlgorithm.SHA2_384, HashAlgorithm.SHA2_512];
  return new AggregationTree(
    Array.from({ length: leaves }, (_, i) => {
      const algorithm = algorithms[(i * 7 + seed) % 3]!;
      const digest = new Uint8Array(
        algorithm === HashAlgorithm.SHA2_256 ? 32 : algorithm === HashAlgorithm.SHA2_384 ? 48 : 64,
      );
      return { imprint: makeImprint(algorithm, digest.fill(seed * 31 + i)), level: i % 4 };
    }),
    { algorithm: HashAlgorithm.SHA2_256 },
  );
}

/** A round of `leaves` whose root is the first of three members' roots, so its signatures end alike. */
function round(leaves: number): { round: SignedRound; expected: KsiSignature[] } {
  const local = tree(1, leaves);
  const top = new AggregationTree(
    [
      { imprint: local.root, level: local.rootLevel },
      ...[2, 3].map((seed) => ({ imprint: tree(seed, 3).root })),
    ],
    { algorithm: HashAlgorithm.SHA2_256 },
  ).segment(0);
  const expected = Array.from({ length: leaves }, (_, i) => ({
    aggregationChains: composeChains([local.segment(i), top], TIME),
  }));
  return { round: new SignedRound(TIME, local, top, {}), expected };
}

function answered(answers: SignAnswers, answer: RoundAnswer): unknown {
  return JSON.parse(new TextDecoder().decode(answers.answer(answer, false).bytes));
}

const expectedJson = (batch: readonly KsiSignature[]) => ({
  aggregationTime: TIME,
  signatures: batch.map((s) => Buffer.from(encodeSignature(s)).toString("base64")),
});

describe("SignAnswers", () => {
  it("writes the base64 of a round's signatures byte for byte, whatever their lengths modulo 3", () => {
    const { round: signed, expected } = round(12);
    expect(new Set(expected.map((s) => encodeSignature(s).length % 3)).size).toBe(3);
    const answers = new SignAnswers();
    expect(answered(answers, new RoundAnswer(signed, 0, 12))).toEqual(expectedJson(expected));
    // Answers of one round share the scratch buffer, one after the other.
    expect(answered(answers, new RoundAnswer(signed, 3, 5))).toEqual(expectedJson(expected.slice(3, 8)));
    expect(answered(answers, new RoundAnswer(signed, 11, 1))).toEqual(expectedJson(expected.slice(11)));
  });
});

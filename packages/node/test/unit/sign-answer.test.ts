import {
  AggregationTree,
  composeChains,
  encodeSignature,
  HashAlgorithm,
  type KsiSignature,
  makeImprint,
} from "@tempel/proto";
import { describe, expect, it } from "vitest";
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

/** Signatures of one tree's leaves that all end with `upper`, one chain object shared as a round's is. */
function signatures(leaves: number, upper: KsiSignature["aggregationChains"][number]): KsiSignature[] {
  const local = tree(1, leaves);
  return Array.from({ length: leaves }, (_, i) => ({
    aggregationChains: [composeChains([local.segment(i)], TIME, upper.chainIndex)[0]!, upper],
  }));
}

function answered(answers: SignAnswers, batch: readonly KsiSignature[]): unknown {
  return JSON.parse(new TextDecoder().decode(answers.answer(batch, false).bytes));
}

const expected = (batch: readonly KsiSignature[]) => ({
  aggregationTime: TIME,
  signatures: batch.map((s) => Buffer.from(encodeSignature(s)).toString("base64")),
});

describe("SignAnswers", () => {
  const upper = composeChains([tree(2, 5).segment(3)], TIME)[0]!;
  const other = composeChains([tree(3, 6).segment(1)], TIME)[0]!;

  it("writes the base64 of signatures that end alike byte for byte, whatever their lengths modulo 3", () => {
    const batch = signatures(12, upper);
    expect(new Set(batch.map((s) => encodeSignature(s).length % 3)).size).toBe(3);
    expect(answered(new SignAnswers(), batch)).toEqual(expected(batch));
  });

  it("writes a signature that ends otherwise than the first and the last in full", () => {
    const batch = signatures(9, upper);
    batch.splice(4, 0, ...signatures(3, other));
    const answers = new SignAnswers();
    expect(answered(answers, batch)).toEqual(expected(batch));
    expect(answered(answers, batch.slice(0, 1))).toEqual(expected(batch.slice(0, 1)));
  });
});

import { locationPointer } from "../aggregation/index.ts";
import { imprintAlgorithm } from "../hash/imprint.ts";
import { bytesEqual } from "../util/bytes.ts";
import { algorithmName, deprecatedAt } from "./algorithm-status.ts";
import { fail, ok } from "./result.ts";
import { rule } from "./rule.ts";
import { signedHash } from "./signed-hash.ts";

function sameIndex(a: readonly bigint[], b: readonly bigint[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** INT-13: the signed hash's algorithm was acceptable at the time of signing. */
export const inputHashAlgorithmDeprecatedRule = rule("InputHashAlgorithmDeprecated", (context) => {
  const algorithm = imprintAlgorithm(signedHash(context.signature));
  if (deprecatedAt(algorithm, context.aggregationTime)) {
    return fail("InputHashAlgorithmDeprecated", "INT-13", `${algorithmName(algorithm)} was deprecated`);
  }
  return ok("InputHashAlgorithmDeprecated");
});

/** INT-15: every chain's step hash was acceptable at the time of signing. */
export const aggregationAlgorithmDeprecatedRule = rule("AggregationHashAlgorithmDeprecated", (context) => {
  for (const chain of context.signature.aggregationChains) {
    if (deprecatedAt(chain.aggregationAlgorithm, chain.aggregationTime)) {
      return fail(
        "AggregationHashAlgorithmDeprecated",
        "INT-15",
        `${algorithmName(chain.aggregationAlgorithm)} was deprecated`,
      );
    }
  }
  return ok("AggregationHashAlgorithmDeprecated");
});

/**
 * INT-12: each chain's index is the next chain's index plus one more element (the chains are
 * nested subtrees); an RFC 3161 record carries the same index as the first chain.
 */
export const chainIndexContinuationRule = rule("ChainIndexContinuation", (context) => {
  const { aggregationChains: chains, rfc3161Record } = context.signature;
  if (rfc3161Record !== undefined && !sameIndex(rfc3161Record.chainIndex, chains[0]!.chainIndex)) {
    return fail(
      "ChainIndexContinuation",
      "INT-12",
      "the RFC 3161 record's chain index differs from the first chain's",
    );
  }
  for (let i = 1; i < chains.length; i++) {
    const lower = chains[i - 1]!.chainIndex;
    const upper = chains[i]!.chainIndex;
    if (lower.length !== upper.length + 1 || !sameIndex(lower.slice(0, upper.length), upper)) {
      return fail(
        "ChainIndexContinuation",
        "INT-12",
        `chain ${i + 1}'s index does not continue chain ${i}'s`,
      );
    }
  }
  return ok("ChainIndexContinuation");
});

/** INT-02: all chains (and an RFC 3161 record) belong to the same aggregation round. */
export const aggregationTimeConsistencyRule = rule("AggregationTimeConsistency", (context) => {
  const { aggregationChains: chains, rfc3161Record } = context.signature;
  const time = chains[0]!.aggregationTime;
  if (rfc3161Record !== undefined && rfc3161Record.aggregationTime !== time) {
    return fail(
      "AggregationTimeConsistency",
      "INT-02",
      "the RFC 3161 record's time differs from the chains'",
    );
  }
  const other = chains.findIndex((chain) => chain.aggregationTime !== time);
  if (other !== -1) {
    return fail("AggregationTimeConsistency", "INT-02", `chain ${other + 1}'s aggregation time differs`);
  }
  return ok("AggregationTimeConsistency");
});

/** INT-01: each chain's output is the next chain's input. */
export const aggregationChainConsistencyRule = rule("AggregationChainConsistency", (context) => {
  const chains = context.signature.aggregationChains;
  const outputs = context.aggregationOutputs();
  for (let i = 1; i < chains.length; i++) {
    if (!bytesEqual(outputs[i - 1]!.hash, chains[i]!.inputHash)) {
      return fail(
        "AggregationChainConsistency",
        "INT-01",
        `chain ${i}'s output is not chain ${i + 1}'s input`,
      );
    }
  }
  return ok("AggregationChainConsistency");
});

/** INT-10: a chain's index ends with the position its links describe. */
export const chainIndexShapeRule = rule("ChainIndexShape", (context) => {
  const chains = context.signature.aggregationChains;
  for (let i = 0; i < chains.length; i++) {
    const chain = chains[i]!;
    if (chain.chainIndex[chain.chainIndex.length - 1] !== locationPointer(chain.links)) {
      return fail("ChainIndexShape", "INT-10", `chain ${i + 1}'s index does not match its links`);
    }
  }
  return ok("ChainIndexShape");
});

import { implementedHashAlgorithm } from "../hash/algorithms.ts";
import { type Hasher, nobleHasher } from "../hash/hasher.ts";
import type { Imprint } from "../hash/imprint.ts";
import { hashStep } from "../hash/step.ts";
import type { AggregationHashChain, LinkDirection, LinkSibling } from "../signature/types.ts";
import { AggregationError } from "./errors.ts";

/** KSI levels are one byte: the level of a node is hashed into its parent as a single byte. */
export const MAX_AGGREGATION_LEVEL = 255;

export function isAggregationLevel(level: number): boolean {
  return Number.isInteger(level) && level >= 0 && level <= MAX_AGGREGATION_LEVEL;
}

export function aggregationLevelError(level: number, what: string): AggregationError {
  return new AggregationError(
    "AGGREGATION_LEVEL_RANGE",
    `${what} ${level} is outside 0..${MAX_AGGREGATION_LEVEL}`,
    { level },
  );
}

/** Throws unless `level` is a whole number a KSI level byte can hold. */
export function checkAggregationLevel(level: number, what: string): number {
  if (!isAggregationLevel(level)) throw aggregationLevelError(level, what);
  return level;
}

/** The level `steps` above `level`; throws when it no longer fits the level byte. */
export function raiseLevel(level: number, steps: number): number {
  const raised = level + steps;
  if (raised > MAX_AGGREGATION_LEVEL) {
    throw new AggregationError(
      "AGGREGATION_LEVEL_OVERFLOW",
      `aggregation level ${raised} exceeds ${MAX_AGGREGATION_LEVEL}`,
      {
        level: raised,
      },
    );
  }
  return raised;
}

/**
 * The KSI aggregation step `A(left ‖ right ‖ level)`: both operands are whole imprints (algorithm
 * byte included) and `level` is the level of the new node.
 */
export function aggregationStepHash(
  algorithm: number,
  left: Uint8Array,
  right: Uint8Array,
  level: number,
  hasher: Hasher = nobleHasher,
): Imprint {
  const info = implementedHashAlgorithm(algorithm);
  checkAggregationLevel(level, "aggregation level");
  return hashStep(info, left, right, level, hasher);
}

/** The bytes a link contributes to the step hash: an imprint, the 29-byte legacy id, or the metadata value. */
export function siblingBytes(sibling: LinkSibling): Uint8Array {
  return sibling.kind === "imprint" ? sibling.imprint : sibling.bytes;
}

/**
 * Recompute a chain from `inputLevel`: 0 for a signature's first chain (KSI verifiers start there; a
 * client's own tree height is in the first link's level correction, rule GEN-03), the previous
 * chain's output level for the others. Throws AggregationError when a level leaves 0..255 and
 * HashAlgorithmError when the chain's algorithm is unknown or not implemented.
 */
export function aggregationChainOutput(
  chain: AggregationHashChain,
  inputLevel: number,
  hasher: Hasher = nobleHasher,
): { hash: Imprint; level: number } {
  const algorithm = chain.aggregationAlgorithm;
  implementedHashAlgorithm(algorithm);
  let level = checkAggregationLevel(inputLevel, "input level");
  let hash = chain.inputHash;
  for (const link of chain.links) {
    level = raiseLevel(level, link.levelCorrection + 1);
    const sibling = siblingBytes(link.sibling);
    hash =
      link.direction === "left"
        ? aggregationStepHash(algorithm, hash, sibling, level, hasher)
        : aggregationStepHash(algorithm, sibling, hash, level, hasher);
  }
  return { hash, level };
}

/**
 * The chain-index value a chain's shape implies (KSI "location pointer"): bit i is set when link i
 * (counted from the leaf) is a left link, plus a marker bit at position `links.length`, so that
 * shapes of different lengths never collide.
 */
export function locationPointer(links: readonly { readonly direction: LinkDirection }[]): bigint {
  const pointer = locationPointerValue(links);
  return typeof pointer === "bigint" ? pointer : BigInt(pointer);
}

/**
 * locationPointer as a plain number while it is exact (chains under 53 links, all of them in
 * practice): an encoder that writes the integer itself needs no BigInt per chain.
 */
export function locationPointerValue(
  links: readonly { readonly direction: LinkDirection }[],
): number | bigint {
  if (links.length < 53) {
    let pointer = 1;
    for (let i = links.length - 1; i >= 0; i--)
      pointer = pointer * 2 + (links[i]!.direction === "left" ? 1 : 0);
    return pointer;
  }
  let pointer = 1n;
  for (let i = links.length - 1; i >= 0; i--) {
    pointer = (pointer << 1n) | (links[i]!.direction === "left" ? 1n : 0n);
  }
  return pointer;
}

import { findHashAlgorithm, isDeprecatedAt, isObsoleteAt } from "../hash/algorithms.ts";
import { imprintAlgorithm } from "../hash/imprint.ts";
import type { CalendarHashChain } from "../signature/types.ts";

/**
 * Whether algorithm `id` must not have been used for new data at `time`. Unknown ids count as not
 * deprecated, as in every KSI verifier: they fail later, when the hash cannot be computed.
 */
export function deprecatedAt(id: number, time: number): boolean {
  const info = findHashAlgorithm(id);
  return info !== undefined && (isDeprecatedAt(info, time) || isObsoleteAt(info, time));
}

/** Whether hashes made with algorithm `id` can no longer be trusted at `time`. */
export function obsoleteAt(id: number, time: number): boolean {
  const info = findHashAlgorithm(id);
  return info !== undefined && isObsoleteAt(info, time);
}

export function algorithmName(id: number): string {
  return findHashAlgorithm(id)?.name ?? `algorithm 0x${id.toString(16).padStart(2, "0")}`;
}

/**
 * The first step-hash algorithm of a calendar chain for which `status(algorithm, publicationTime)`
 * holds. A step's algorithm is that of its right (newer) operand: the sibling of a link whose running
 * hash is on the left; the other steps repeat an algorithm already seen.
 */
export function calendarChainAlgorithmWhere(
  chain: CalendarHashChain,
  status: (id: number, time: number) => boolean,
): number | undefined {
  for (const link of chain.links) {
    const algorithm = imprintAlgorithm(link.sibling);
    if (link.direction === "left" && status(algorithm, chain.publicationTime)) return algorithm;
  }
  return undefined;
}

/**
 * Why a calendar root reached by `chain` cannot be trusted at its publication time: a step hash
 * deprecated (or obsolete) by then. libksi checks this, with NA, wherever a publication vouches for
 * a root: the signature's own chain and the extender's. Undefined when every step was current.
 */
export function deprecatedCalendarStep(chain: CalendarHashChain): string | undefined {
  const algorithm = calendarChainAlgorithmWhere(chain, deprecatedAt);
  return algorithm === undefined
    ? undefined
    : `the calendar chain uses ${algorithmName(algorithm)}, deprecated at ${chain.publicationTime}`;
}

import { findHashAlgorithm, isDeprecatedAt, isObsoleteAt } from "../hash/algorithms.ts";

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

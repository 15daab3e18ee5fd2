import type { HashAlgorithmInfo } from "./algorithms.ts";
import type { Hasher } from "./hasher.ts";
import type { Imprint } from "./imprint.ts";

/** Longest step input: two imprints of 64-byte digests and the level byte. */
const SCRATCH_BYTES = 2 * 65 + 1;
const scratch = new Uint8Array(SCRATCH_BYTES);
/** Views of `scratch` by length, each made once. */
const views: (Uint8Array | undefined)[] = [];

/**
 * `H(left ‖ right ‖ lastByte)` as an imprint of `algorithm`: the step of both KSI trees (the level
 * byte of an aggregation step, 0xFF in the calendar). Verifying a signature takes some fifty steps
 * and nothing else holds its input, so steps assemble it in one shared buffer rather than a new one
 * each (hashers copy what they keep; the verification memo does). Longer inputs (a metadata
 * sibling) get their own.
 */
export function hashStep(
  algorithm: HashAlgorithmInfo,
  left: Uint8Array,
  right: Uint8Array,
  lastByte: number,
  hasher: Hasher,
): Imprint {
  const length = left.length + right.length + 1;
  const input = length <= SCRATCH_BYTES ? scratchView(length) : new Uint8Array(length);
  input.set(left, 0);
  input.set(right, left.length);
  input[length - 1] = lastByte;
  const out = new Uint8Array(1 + algorithm.digestLength);
  out[0] = algorithm.id;
  if (hasher.into !== undefined) hasher.into(algorithm.id, input, out, 1);
  else out.set(hasher(algorithm.id, input), 1);
  return out;
}

function scratchView(length: number): Uint8Array {
  let view = views[length];
  if (view === undefined) {
    view = scratch.subarray(0, length);
    views[length] = view;
  }
  return view;
}

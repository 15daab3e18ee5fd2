import type { Hasher } from "../hash/hasher.ts";

/**
 * Signatures are verified in batches that repeat most of their hash steps: every signature of a
 * round has the same calendar chain and top-tree chain, and signatures of neighbouring leaves share
 * the upper links of their local chains. Verification hashes through a memo of recent step inputs,
 * so a batch computes each shared step about once: a third of a signature's cost instead of all of
 * it. A hit returns exactly what the hasher returned for the same algorithm and the same input,
 * compared byte for byte; the memo is a fixed table of slots (a step's input picks its slot, a new
 * input takes the slot over), so its memory is bounded whatever is verified.
 */

/** Slots per hasher: enough for the calendar, top-tree and upper local steps a batch keeps reusing. */
const SLOTS = 1024;
/** Longest input kept: two 64-byte imprints and a level byte, the longest step of KSI's algorithms. */
const MAX_INPUT = 2 * 65 + 1;
const MAX_DIGEST = 64;
/**
 * Calls before the table is made: a hasher used for one signature (say a closure made per call)
 * should not cost a table it never fills; one used for a batch gets it after two signatures.
 */
const WARM_UP = 100;

interface Table {
  readonly inputs: Uint8Array;
  /** Input length per slot; 0 marks an empty slot (a step input is never empty). */
  readonly inputLengths: Uint16Array;
  readonly algorithms: Uint8Array;
  readonly digests: Uint8Array;
  readonly digestLengths: Uint8Array;
}

const memos = new WeakMap<Hasher, Hasher>();

/** `hasher` behind a memo of its recent results, one memo per hasher for the process. */
export function memoizedHasher(hasher: Hasher): Hasher {
  let memo = memos.get(hasher);
  if (memo === undefined) {
    memo = memoize(hasher);
    memos.set(hasher, memo);
  }
  return memo;
}

function memoize(hasher: Hasher): Hasher {
  let table: Table | undefined;
  let calls = 0;
  return (algorithm, data) => {
    const length = data.length;
    if (length < 4 || length > MAX_INPUT || (table === undefined && ++calls <= WARM_UP)) {
      return hasher(algorithm, data);
    }
    table ??= {
      inputs: new Uint8Array(SLOTS * MAX_INPUT),
      inputLengths: new Uint16Array(SLOTS),
      algorithms: new Uint8Array(SLOTS),
      digests: new Uint8Array(SLOTS * MAX_DIGEST),
      digestLengths: new Uint8Array(SLOTS),
    };
    // A step's operands end in digest bytes, which are as good as random; mixing the two ends of the
    // input spreads steps whose left operand is a constant (a metadata record) as well.
    const slot = ((data[1]! ^ data[length - 2]!) | ((data[2]! ^ data[length - 3]!) << 8)) & (SLOTS - 1);
    const at = slot * MAX_INPUT;
    const { inputs, digests } = table;
    if (table.inputLengths[slot] === length && table.algorithms[slot] === algorithm) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (inputs[at + i] !== data[i]) {
          same = false;
          break;
        }
      }
      if (same) {
        const digestLength = table.digestLengths[slot]!;
        const out = new Uint8Array(digestLength);
        for (let i = 0, from = slot * MAX_DIGEST; i < digestLength; i++) out[i] = digests[from + i]!;
        return out;
      }
    }
    const digest = hasher(algorithm, data);
    if (digest.length <= MAX_DIGEST) {
      inputs.set(data, at);
      table.inputLengths[slot] = length;
      table.algorithms[slot] = algorithm;
      digests.set(digest, slot * MAX_DIGEST);
      table.digestLengths[slot] = digest.length;
    }
    return digest;
  };
}

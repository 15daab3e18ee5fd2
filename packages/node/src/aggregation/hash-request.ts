import { findHashAlgorithm, type Imprint, isDeprecatedAt } from "@tempel/proto";
import { HashRequestError } from "./errors.ts";
import type { HashRequest } from "./rounds.ts";

/**
 * A client's hash, checked as KSI aggregators do: a known algorithm this node implements and that is
 * not deprecated at `now` (signing SHA-1 today would give a signature that fails INT-13), the exact
 * digest length, and a level within what the node accepts.
 */
export function checkHashRequest(
  imprint: Uint8Array,
  level: number,
  maxLevel: number,
  now: number,
): HashRequest {
  if (imprint.length === 0) throw new HashRequestError("IMPRINT_EMPTY", "the request hash is empty");
  const info = findHashAlgorithm(imprint[0]!);
  if (info === undefined) {
    throw new HashRequestError(
      "HASH_UNKNOWN_ALGORITHM",
      `unknown hash algorithm id 0x${imprint[0]!.toString(16)}`,
    );
  }
  if (!info.implemented) {
    throw new HashRequestError("HASH_NOT_IMPLEMENTED", `hash algorithm ${info.name} is not supported`);
  }
  if (isDeprecatedAt(info, now)) {
    throw new HashRequestError(
      "HASH_DEPRECATED",
      `hash algorithm ${info.name} is deprecated for new signatures`,
    );
  }
  if (imprint.length !== info.digestLength + 1) {
    throw new HashRequestError(
      "IMPRINT_LENGTH",
      `a ${info.name} digest has ${info.digestLength} bytes, got ${imprint.length - 1}`,
    );
  }
  if (!Number.isInteger(level) || level < 0 || level > maxLevel) {
    throw new HashRequestError("LEVEL_RANGE", `request level ${level} is outside 0..${maxLevel}`);
  }
  return { imprint: imprint as Imprint, level };
}

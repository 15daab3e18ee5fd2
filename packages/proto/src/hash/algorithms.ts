import { HashAlgorithmError } from "../errors.ts";

/** KSI hash algorithm ids (libksi hash.h). 0x03 and 0x06 are retired ids that must never be reused. */
export const HashAlgorithm = {
  SHA1: 0x00,
  SHA2_256: 0x01,
  RIPEMD160: 0x02,
  SHA2_384: 0x04,
  SHA2_512: 0x05,
  SHA3_224: 0x07,
  SHA3_256: 0x08,
  SHA3_384: 0x09,
  SHA3_512: 0x0a,
  SM3: 0x0b,
} as const;

export type HashAlgorithmId = (typeof HashAlgorithm)[keyof typeof HashAlgorithm];

export interface HashAlgorithmInfo {
  readonly id: number;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly digestLength: number;
  /** Unix seconds from which new signatures must not use it (undefined: not deprecated). */
  readonly deprecatedSince?: number;
  /** Unix seconds from which it must not be trusted at all (undefined: not obsolete). */
  readonly obsoleteSince?: number;
  /** Whether this build can compute it. SM3 is listed for parsing but not implemented. */
  readonly implemented: boolean;
}

const SHA1_DEPRECATED = Date.UTC(2016, 6, 1) / 1000;

const TABLE: readonly HashAlgorithmInfo[] = [
  {
    id: 0x00,
    name: "SHA-1",
    aliases: ["SHA1"],
    digestLength: 20,
    deprecatedSince: SHA1_DEPRECATED,
    implemented: true,
  },
  {
    id: 0x01,
    name: "SHA-256",
    aliases: ["SHA2-256", "SHA256", "DEFAULT"],
    digestLength: 32,
    implemented: true,
  },
  { id: 0x02, name: "RIPEMD-160", aliases: ["RIPEMD160"], digestLength: 20, implemented: true },
  { id: 0x04, name: "SHA-384", aliases: ["SHA2-384", "SHA384"], digestLength: 48, implemented: true },
  { id: 0x05, name: "SHA-512", aliases: ["SHA2-512", "SHA512"], digestLength: 64, implemented: true },
  { id: 0x07, name: "SHA3-224", aliases: [], digestLength: 28, implemented: true },
  { id: 0x08, name: "SHA3-256", aliases: [], digestLength: 32, implemented: true },
  { id: 0x09, name: "SHA3-384", aliases: [], digestLength: 48, implemented: true },
  { id: 0x0a, name: "SHA3-512", aliases: [], digestLength: 64, implemented: true },
  { id: 0x0b, name: "SM3", aliases: [], digestLength: 32, implemented: false },
];

const BY_ID: ReadonlyArray<HashAlgorithmInfo | undefined> = (() => {
  const out: (HashAlgorithmInfo | undefined)[] = new Array(256).fill(undefined);
  for (const info of TABLE) out[info.id] = info;
  return out;
})();

export function allHashAlgorithms(): readonly HashAlgorithmInfo[] {
  return TABLE;
}

export function findHashAlgorithm(id: number): HashAlgorithmInfo | undefined {
  return BY_ID[id];
}

export function hashAlgorithm(id: number): HashAlgorithmInfo {
  const info = BY_ID[id];
  if (info === undefined) {
    throw new HashAlgorithmError("HASH_UNKNOWN_ALGORITHM", `unknown hash algorithm id 0x${id.toString(16)}`, {
      id,
    });
  }
  return info;
}

/** Like `hashAlgorithm`, and the algorithm must also be computable by this build. */
export function implementedHashAlgorithm(id: number): HashAlgorithmInfo {
  const info = hashAlgorithm(id);
  if (!info.implemented) {
    throw new HashAlgorithmError("HASH_NOT_IMPLEMENTED", `hash algorithm ${info.name} is not implemented`, {
      id,
    });
  }
  return info;
}

export function hashAlgorithmByName(name: string): HashAlgorithmInfo {
  const wanted = name.trim().toUpperCase();
  for (const info of TABLE) {
    if (info.name === wanted || info.aliases.includes(wanted)) return info;
  }
  throw new HashAlgorithmError("HASH_UNKNOWN_ALGORITHM", `unknown hash algorithm "${name}"`);
}

/** Deprecated at `time`: must not be used for new data, but data signed before stays valid. */
export function isDeprecatedAt(info: HashAlgorithmInfo, time: number): boolean {
  return info.deprecatedSince !== undefined && time >= info.deprecatedSince;
}

export function isObsoleteAt(info: HashAlgorithmInfo, time: number): boolean {
  return info.obsoleteSince !== undefined && time >= info.obsoleteSince;
}

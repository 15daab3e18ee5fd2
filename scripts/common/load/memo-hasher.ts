import type { Hasher } from "@tempel/proto";

/**
 * A hasher that remembers digests by input. Signatures of one node's round share their upper chains
 * (the top tree over the members' contributions and the whole calendar chain): with this, those steps
 * are hashed once per round instead of once per signature, which is most of a verification's hashing.
 * The memory is bounded: when full it starts over, and the shared steps come back at once.
 */
export function memoizingHasher(inner: Hasher, maxEntries: number): Hasher {
  let digests = new Map<string, Uint8Array>();
  return (algorithm, data) => {
    const key =
      String.fromCharCode(algorithm) +
      Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("latin1");
    let digest = digests.get(key);
    if (digest === undefined) {
      digest = inner(algorithm, data);
      if (digests.size >= maxEntries) digests = new Map();
      digests.set(key, digest);
    }
    return digest;
  };
}

import { randomBytes } from "node:crypto";
import { allHashAlgorithms, nobleHasher } from "@tempel/proto";
import { describe, expect, it } from "vitest";
import { nodeHasher } from "../../src/node/index.ts";

describe("nodeHasher", () => {
  it("gives proto's digests for every implemented algorithm, as plain byte arrays and written in place", () => {
    for (const { id, name, implemented } of allHashAlgorithms()) {
      if (!implemented) continue;
      for (const length of [0, 1, 67, 1000]) {
        const data = randomBytes(length);
        const digest = nodeHasher(id, data);
        expect(digest, `${name}, ${length} bytes`).toEqual(nobleHasher(id, data));
        expect(digest.constructor).toBe(Uint8Array);
        const out = new Uint8Array(digest.length + 3);
        nodeHasher.into!(id, data, out, 2);
        expect(out.subarray(2, 2 + digest.length), `${name}, ${length} bytes, into`).toEqual(digest);
        expect([out[0], out[1], out.at(-1)]).toEqual([0, 0, 0]);
      }
    }
  });
});

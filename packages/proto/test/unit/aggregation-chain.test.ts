import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  AggregationError,
  type AggregationHashChain,
  type AggregationLink,
  aggregationChainOutput,
  aggregationStepHash,
  decodeSignature,
  HashAlgorithm,
  HashAlgorithmError,
  hashImprint,
  locationPointer,
  toHex,
} from "../../src/index.ts";
import { readTestPackCsv, readTestPackFile, TEST_PACK_CSVS } from "./helpers/testpack.ts";

const a = hashImprint(HashAlgorithm.SHA2_256, Uint8Array.of(1));
const b = hashImprint(HashAlgorithm.SHA2_256, Uint8Array.of(2));

function sha256Imprint(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return Uint8Array.of(HashAlgorithm.SHA2_256, ...hash.digest());
}

function link(direction: "left" | "right", imprint: Uint8Array, levelCorrection = 0): AggregationLink {
  return { direction, levelCorrection, sibling: { kind: "imprint", imprint } };
}

function chain(
  links: AggregationLink[],
  aggregationAlgorithm: number = HashAlgorithm.SHA2_256,
): AggregationHashChain {
  return {
    aggregationTime: 1,
    chainIndex: [locationPointer(links)],
    inputHash: a,
    aggregationAlgorithm,
    links,
  };
}

describe("aggregationStepHash", () => {
  it("hashes left imprint ‖ right imprint ‖ one level byte with the given algorithm", () => {
    expect(aggregationStepHash(HashAlgorithm.SHA2_256, a, b, 7)).toEqual(
      sha256Imprint(a, b, Uint8Array.of(7)),
    );
  });

  it("produces an imprint of the chain's algorithm whatever the operands' algorithms", () => {
    const step = aggregationStepHash(HashAlgorithm.SHA2_512, a, b, 1);
    expect(step[0]).toBe(HashAlgorithm.SHA2_512);
    expect(step.length).toBe(65);
  });

  it("rejects a level that does not fit one byte", () => {
    expect(() => aggregationStepHash(HashAlgorithm.SHA2_256, a, b, 256)).toThrow(AggregationError);
    expect(() => aggregationStepHash(HashAlgorithm.SHA2_256, a, b, -1)).toThrow(AggregationError);
  });
});

describe("aggregationChainOutput", () => {
  it("puts the running hash on the left for a left link (0x07) and on the right for a right link (0x08)", () => {
    const left = aggregationChainOutput(chain([link("left", b)]), 0);
    const right = aggregationChainOutput(chain([link("right", b)]), 0);
    expect(left).toEqual({ hash: sha256Imprint(a, b, Uint8Array.of(1)), level: 1 });
    expect(right).toEqual({ hash: sha256Imprint(b, a, Uint8Array.of(1)), level: 1 });
  });

  it("raises the level by each link's correction plus one, starting from the input level", () => {
    const out = aggregationChainOutput(chain([link("left", b, 3), link("right", b)]), 2);
    const first = sha256Imprint(a, b, Uint8Array.of(6));
    expect(out).toEqual({ hash: sha256Imprint(b, first, Uint8Array.of(7)), level: 7 });
  });

  it("hashes a metadata link's value bytes as the sibling", () => {
    const value = Uint8Array.of(0x7e, 0x01, 0x01, 0x61, 0x02, 0x41, 0x00, 0x00);
    const metadataLink: AggregationLink = {
      direction: "left",
      levelCorrection: 0,
      sibling: { kind: "metadata", bytes: value, metadata: { clientId: "A" } },
    };
    expect(aggregationChainOutput(chain([metadataLink]), 0).hash).toEqual(
      sha256Imprint(a, value, Uint8Array.of(1)),
    );
  });

  it("fails with AGGREGATION_LEVEL_OVERFLOW when a level passes 255", () => {
    expect(() => aggregationChainOutput(chain([link("left", b, 254)]), 1)).toThrow(
      expect.objectContaining({ code: "AGGREGATION_LEVEL_OVERFLOW" }),
    );
    expect(aggregationChainOutput(chain([link("left", b, 254)]), 0).level).toBe(255);
  });

  it("fails with a typed error for an unknown or unimplemented algorithm", () => {
    expect(() => aggregationChainOutput(chain([link("left", b)], 0x03), 0)).toThrow(
      expect.objectContaining({ code: "HASH_UNKNOWN_ALGORITHM" }),
    );
    expect(() => aggregationChainOutput(chain([link("left", b)], HashAlgorithm.SM3), 0)).toThrow(
      HashAlgorithmError,
    );
  });

  it("rejects an input level outside 0..255", () => {
    expect(() => aggregationChainOutput(chain([link("left", b)]), 256)).toThrow(AggregationError);
  });
});

describe("locationPointer", () => {
  it("sets bit i for a left link i (from the leaf) under a leading marker bit", () => {
    expect(locationPointer([])).toBe(1n);
    expect(locationPointer([link("left", b)])).toBe(0b11n);
    expect(locationPointer([link("right", b)])).toBe(0b10n);
    expect(locationPointer([link("left", b), link("right", b), link("left", b)])).toBe(0b1101n);
  });

  it("stays exact for chains longer than a double's mantissa", () => {
    const links = Array.from({ length: 100 }, (_, i) => link(i % 3 === 0 ? "left" : "right", b));
    let expected = 1n;
    for (let i = links.length - 1; i >= 0; i--) expected = expected * 2n + (i % 3 === 0 ? 1n : 0n);
    expect(locationPointer(links)).toBe(expected);
  });
});

describe("KSI test pack signatures", () => {
  describe.each(readTestPackCsv(TEST_PACK_CSVS.valid).filter((row) => row.inputLevel > 0))("$name", (row) => {
    it("carries the client's input level in its first link's level correction, not in the start level", () => {
      const sig = decodeSignature(readTestPackFile(row.name));
      expect(sig.aggregationChains[0]!.links[0]!.levelCorrection).toBeGreaterThanOrEqual(row.inputLevel);
    });
  });

  const rows = readTestPackCsv(TEST_PACK_CSVS.valid).filter(
    (row) => row.calendarInput !== undefined && row.policy !== "parsing" && row.policy !== "not-implemented",
  );

  it("has rows to check", () => {
    expect(rows.length).toBeGreaterThan(40);
  });

  describe.each(rows)("$name", (row) => {
    const sig = decodeSignature(readTestPackFile(row.name));

    it("recomputes its aggregation chains from level 0, each feeding the next, to the CSV's calendar chain input", () => {
      let level = 0;
      let hash = sig.aggregationChains[0]!.inputHash;
      for (const aggregationChain of sig.aggregationChains) {
        expect(toHex(aggregationChain.inputHash)).toBe(toHex(hash));
        ({ hash, level } = aggregationChainOutput(aggregationChain, level));
      }
      expect(toHex(hash).toUpperCase()).toBe(row.calendarInput);
    });

    it("has each chain's last chain-index value equal to its location pointer", () => {
      for (const aggregationChain of sig.aggregationChains) {
        expect(aggregationChain.chainIndex.at(-1)).toBe(locationPointer(aggregationChain.links));
      }
    });
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeString,
  decodeTlv,
  decodeTlvSequence,
  decodeUint,
  encodeTlv,
  encodeTlvSequence,
  stringTlv,
  type TlvElement,
  tlv,
  uintBytes,
  uintTlv,
} from "../../src/index.ts";
import { composite, encodePart, type TlvPart, toElement } from "../../src/tlv/composite.ts";

/** A generated TLV tree: leaves carry raw bytes, nodes carry children. */
interface Tree {
  readonly type: number;
  readonly nonCritical: boolean;
  readonly forward: boolean;
  readonly tlv16: boolean;
  readonly value?: Uint8Array;
  readonly children?: readonly Tree[];
}

const header = {
  type: fc.integer({ min: 0, max: 0x1fff }),
  nonCritical: fc.boolean(),
  forward: fc.boolean(),
  tlv16: fc.boolean(),
};

const trees = fc.letrec<{ tree: Tree; leaf: Tree; node: Tree }>((tie) => ({
  tree: fc.oneof({ depthSize: "small", maxDepth: 3, withCrossShrink: true }, tie("leaf"), tie("node")),
  leaf: fc.record({ ...header, value: fc.uint8Array({ maxLength: 300 }) }),
  node: fc.record({ ...header, children: fc.array(tie("tree"), { maxLength: 4 }) }),
})).tree;

function build(tree: Tree): TlvElement {
  const value = tree.children === undefined ? tree.value! : encodeTlvSequence(tree.children.map(build));
  return tlv(tree.type, value, { nonCritical: tree.nonCritical, forward: tree.forward, tlv16: tree.tlv16 });
}

/** Reads `element` back into the shape of `expected`, descending where `expected` has children. */
function reread(element: TlvElement, expected: Tree): Tree {
  const head = { type: element.type, nonCritical: element.nonCritical, forward: element.forward };
  if (expected.children === undefined) return { ...head, tlv16: expected.tlv16, value: element.value };
  const children = decodeTlvSequence(element.value);
  return {
    ...head,
    tlv16: expected.tlv16,
    children: children.map((child, i) => reread(child, expected.children![i]!)),
  };
}

describe("TLV encode/decode properties", () => {
  it("decoding an encoded tree gives back every type, flag and value", () => {
    fc.assert(
      fc.property(trees, (tree) => {
        const element = build(tree);
        const decoded = decodeTlv(encodeTlv(element));
        expect(decoded.tlv16).toBe(element.tlv16);
        expect(reread(decoded, tree)).toEqual(tree);
      }),
      { numRuns: 2000 },
    );
  });

  it("re-encoding a decoded element reproduces its bytes", () => {
    fc.assert(
      fc.property(trees, (tree) => {
        const bytes = encodeTlv(build(tree));
        expect(encodeTlv(decodeTlv(bytes))).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it("a composite writes the bytes of the same tree built level by level, in one buffer", () => {
    // Leaves alternate between elements and runs (bytes a callback writes), as encoders mix them.
    const part = (tree: Tree, index: number): TlvPart => {
      const options = { nonCritical: tree.nonCritical, forward: tree.forward, tlv16: tree.tlv16 };
      if (tree.children !== undefined) return composite(tree.type, tree.children.map(part), options);
      const element = build(tree);
      if (index % 2 === 0) return element;
      const bytes = encodeTlv(element);
      const write = (out: Uint8Array, offset: number) => {
        out.set(bytes, offset);
        return offset + bytes.length;
      };
      return { length: bytes.length, write };
    };
    fc.assert(
      fc.property(trees, (tree) => {
        const expected = encodeTlv(build(tree));
        expect(encodePart(part(tree, 0))).toEqual(expected);
        if (tree.children !== undefined) {
          const composed = composite(tree.type, tree.children.map(part), tree);
          expect(encodeTlv(toElement(composed))).toEqual(expected);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("integers below 2^53 encode to the same bytes as numbers and as bigints", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (value) => {
        expect(uintBytes(value)).toEqual(uintBytes(BigInt(value)));
        expect(decodeUint(tlv(0x05, uintBytes(value)))).toBe(BigInt(value));
      }),
      { numRuns: 2000 },
    );
  });

  it("integers round-trip over the whole 64-bit range", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (value) => {
        expect(decodeUint(decodeTlv(encodeTlv(uintTlv(0x05, value))))).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  it("strings without NUL round-trip", () => {
    const text = fc.string({ unit: "grapheme", maxLength: 100 }).filter((s) => !s.includes("\u0000"));
    fc.assert(
      fc.property(text, (value) => {
        expect(decodeString(decodeTlv(encodeTlv(stringTlv(0x01, value))))).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });
});

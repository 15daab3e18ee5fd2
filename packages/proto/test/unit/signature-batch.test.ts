import { describe, expect, it } from "vitest";
import {
  type AggregationHashChain,
  type AggregationLink,
  AggregationTree,
  aggregationResponsePayloadFor,
  composeChains,
  decodeAggregationResponsePdu,
  decodeSignature,
  encodeAggregationResponsePdu,
  encodeSignature,
  encodeSignatures,
  encodeTlv,
  encodeTlvSequence,
  HashAlgorithm,
  type KsiSignature,
  makeImprint,
  SegmentSignatureWriter,
  signatureFromAggregationResponse,
  type TlvElement,
  tlv,
  uintTlv,
} from "../../src/index.ts";
import { withoutSources } from "./helpers/testpack.ts";

/**
 * The canonical encoding of a chain built element by element from the spec (§1.2), independent of the
 * encoder under test, which writes links straight into the output and copies the ones chains share.
 */
function referenceLink(link: AggregationLink): TlvElement {
  const sibling = link.sibling;
  const children = link.levelCorrection === 0 ? [] : [uintTlv(0x01, link.levelCorrection)];
  if (sibling.kind === "imprint") children.push(tlv(0x02, sibling.imprint));
  else children.push(tlv(sibling.kind === "legacyId" ? 0x03 : 0x04, sibling.bytes));
  return tlv(link.direction === "left" ? 0x07 : 0x08, encodeTlvSequence(children));
}

function referenceChain(chain: AggregationHashChain): TlvElement {
  return tlv(
    0x0801,
    encodeTlvSequence([
      uintTlv(0x02, chain.aggregationTime),
      ...chain.chainIndex.map((index) => uintTlv(0x03, index)),
      tlv(0x05, chain.inputHash),
      uintTlv(0x06, chain.aggregationAlgorithm),
      ...chain.links.map(referenceLink),
    ]),
  );
}

function referenceSignature(sig: KsiSignature): Uint8Array {
  return encodeTlv(tlv(0x0800, encodeTlvSequence(sig.aggregationChains.map(referenceChain))));
}

const TIME = 1_763_780_000;
const imprint = (seed: number) =>
  makeImprint(
    HashAlgorithm.SHA2_256,
    Uint8Array.from({ length: 32 }, (_, i) => (seed * 31 + i) & 0xff),
  );

/** A local tree of several agencies' leaves, some with a client level. */
function localTree(leaves: number, withMetadata = true): AggregationTree {
  const agencies = [{ clientId: "agency-1" }, { clientId: "agency-2", machineId: "m-7" }];
  return new AggregationTree(
    Array.from({ length: leaves }, (_, i) => ({
      imprint: imprint(i),
      level: i % 7 === 3 ? 2 : 0,
      ...(withMetadata && { metadata: agencies[i % 3 === 0 ? 1 : 0]! }),
    })),
    { algorithm: HashAlgorithm.SHA2_256 },
  );
}

/** One round as a node answers it: a local tree under a top tree. */
function roundSignatures(leaves: number): KsiSignature[] {
  const tree = localTree(leaves);
  const top = new AggregationTree(
    [
      { imprint: imprint(-1), level: 5 },
      { imprint: tree.root, level: tree.rootLevel },
      { imprint: imprint(-2), level: 9 },
    ],
    { algorithm: HashAlgorithm.SHA2_256 },
  ).segment(1);
  return Array.from({ length: leaves }, (_, leaf) => ({
    aggregationChains: composeChains([tree.segment(leaf), top], TIME),
  }));
}

describe("signatures encoded as a batch", () => {
  const signatures = roundSignatures(200);

  it("are each the canonical encoding, whatever their order and repeats", () => {
    const reversed = [...signatures].reverse();
    const mixed = [signatures[5]!, signatures[5]!, signatures[150]!, signatures[6]!, signatures[4]!];
    for (const batch of [signatures, reversed, mixed]) {
      expect(encodeSignatures(batch)).toEqual(batch.map(referenceSignature));
    }
    expect(encodeSignature(signatures[17]!)).toEqual(referenceSignature(signatures[17]!));
  });

  it("decode back to the signatures they were made from", () => {
    const encoded = encodeSignatures(signatures.slice(0, 40));
    encoded.forEach((bytes, i) => {
      expect(withoutSources(decodeSignature(bytes))).toEqual(withoutSources(signatures[i]!));
    });
  });

  it("are carried by one response PDU's payloads, each rebuilt by the client byte for byte", () => {
    const key = new TextEncoder().encode("secret");
    const batch = signatures.slice(100, 116);
    const bytes = encodeAggregationResponsePdu(
      {
        header: { loginId: "agency-1" },
        responses: batch.map((sig, i) => aggregationResponsePayloadFor(BigInt(i), sig)),
      },
      key,
    );
    const { pdu } = decodeAggregationResponsePdu(bytes);
    expect(
      pdu.responses.map((payload) => encodeSignature(signatureFromAggregationResponse(payload))),
    ).toEqual(batch.map(referenceSignature));
  });
});

describe("signatures written straight from their leaves' segments", () => {
  const top = (tree: AggregationTree) =>
    new AggregationTree(
      [
        { imprint: imprint(-1), level: 5 },
        { imprint: tree.root, level: tree.rootLevel },
      ],
      { algorithm: HashAlgorithm.SHA2_256 },
    ).segment(1);

  it("are the canonical encoding of the composed signature, with and without a chain above", () => {
    for (const [leaves, withMetadata] of [
      [1, true],
      [2, false],
      [2, true],
      [7, false],
      [7, true],
      [64, true],
      [301, true],
    ] as const) {
      const tree = localTree(leaves, withMetadata);
      const segments = Array.from({ length: leaves }, (_, leaf) => tree.segment(leaf));
      const [, upper] = composeChains([segments[0]!, top(tree)], TIME);
      const cases = [
        { writer: new SegmentSignatureWriter(TIME, [], { aggregationChains: [] }), above: [] },
        {
          writer: new SegmentSignatureWriter(TIME, upper!.chainIndex, { aggregationChains: [upper!] }),
          above: [upper!],
        },
      ];
      for (const { writer, above } of cases) {
        const expected = segments.map((segment) =>
          referenceSignature({
            aggregationChains: [composeChains([segment], TIME, above[0]?.chainIndex)[0]!, ...above],
          }),
        );
        expect(writer.encode(segments)).toEqual(expected);
        // A later batch into the same buffer, from its middle on, is written as afresh.
        const scratch = new Uint8Array(1 << 20);
        writer.encode(segments, () => scratch);
        const from = Math.floor(leaves / 2);
        expect(writer.encode(segments.slice(from), () => scratch)).toEqual(expected.slice(from));
      }
    }
  });
});

import { describe, expect, it } from "vitest";
import {
  AggregationError,
  type AggregationHashChain,
  type AggregationResponsePayload,
  AggregationTree,
  aggregationChainOutput,
  aggregationResponsePayloadFor,
  composeChains,
  decodeAggregationResponsePdu,
  decodeSignature,
  encodeAggregationResponsePdu,
  fromHex,
  HashAlgorithm,
  internalPolicy,
  type KsiSignature,
  makeImprint,
  shiftChainStart,
  signatureFromAggregationResponse,
  signatureToJson,
  toHex,
  verifySignature,
} from "../../src/index.ts";
import { libksiRoot } from "./helpers/libksi-reading.ts";
import { readTestPackCsv, readTestPackFile, TEST_PACK_CSVS } from "./helpers/testpack.ts";

const KEY = new TextEncoder().encode("agency-1-key");
const HEADER = { loginId: "agency-1" };

/** The response payload as a client receives it: through an encoded, authenticated PDU. */
function overTheWire(payload: AggregationResponsePayload): AggregationResponsePayload {
  const { pdu, hmac } = decodeAggregationResponsePdu(
    encodeAggregationResponsePdu({ header: HEADER, responses: [payload] }, KEY),
  );
  expect(hmac?.check(KEY)).toBe(true);
  return pdu.responses[0]!;
}

const firstCorrection = (chains: readonly AggregationHashChain[]) => chains[0]!.links[0]!.levelCorrection;

/** Every valid pack signature with the input level its CSV row gives (0 for most, 4 and 5 for two). */
const packRows = readTestPackCsv(TEST_PACK_CSVS.valid).filter(
  (row) => row.policy !== "parsing" && row.policy !== "not-implemented" && row.file.endsWith(".ksig"),
);
const leveled = packRows.filter((row) => row.inputLevel > 0);

describe("aggregation responses to requests at a level, read as libksi reads them", () => {
  it("finds the pack's signatures made for a client level (4 and 5)", () => {
    expect(leveled.map((row) => [row.file, row.inputLevel])).toEqual([
      ["signature-provided-input-hash-level-is-5.ksig", 5],
      ["signature-provided-input-hash-level-is-less-than-5.ksig", 4],
    ]);
  });

  it.each(
    leveled.flatMap((row) =>
      Array.from({ length: row.inputLevel + 1 }, (_, level) => [row.file, level, row] as const),
    ),
  )(
    "answers a request for %s at level %i with a first chain that starts at that level",
    async (_file, level, row) => {
      const original = readTestPackFile("valid-signatures", row.file);
      const signature = decodeSignature(original);
      const signedCorrection = firstCorrection(signature.aggregationChains);
      const payload = overTheWire(aggregationResponsePayloadFor(7n, signature, level));
      // The server leaves the request's level out of the first link: the client puts it in.
      expect(firstCorrection(payload.aggregationChains)).toBe(signedCorrection - level);
      expect(toHex(libksiRoot(payload.aggregationChains, level)!).toUpperCase()).toBe(row.calendarInput);
      const rebuilt = signatureFromAggregationResponse(payload, level);
      // The same signature; not the same bytes, as the pack writes a link's fields out of their order.
      expect(signatureToJson(rebuilt)).toEqual(signatureToJson(signature));
      const verdict = await verifySignature(
        rebuilt,
        { documentHash: fromHex(row.inputHash!)!, inputLevel: level },
        internalPolicy,
      );
      expect(verdict).toMatchObject({ result: "OK" });
    },
  );

  it.each(packRows.filter((row) => row.inputLevel === 0 && row.calendarInput !== undefined))(
    "leaves $file as it is for a request at level 0",
    (row) => {
      const signature = decodeSignature(readTestPackFile("valid-signatures", row.file));
      const payload = overTheWire(aggregationResponsePayloadFor(7n, signature, 0));
      expect(firstCorrection(payload.aggregationChains)).toBe(firstCorrection(signature.aggregationChains));
      expect(toHex(libksiRoot(payload.aggregationChains, 0)!).toUpperCase()).toBe(row.calendarInput);
      expect(signatureFromAggregationResponse(payload, 0)).toEqual(signatureFromAggregationResponse(payload));
    },
  );

  it("refuses to answer a request at a level the signature's first link does not hold", () => {
    for (const row of leveled) {
      const signature = decodeSignature(readTestPackFile("valid-signatures", row.file));
      const above = firstCorrection(signature.aggregationChains) + 1;
      expect(() => aggregationResponsePayloadFor(7n, signature, above)).toThrow(AggregationError);
    }
  });

  it("refuses a response whose first link, with the request level added, would pass level 255", () => {
    const signature = decodeSignature(
      readTestPackFile("valid-signatures", "signature-provided-input-hash-level-is-5.ksig"),
    );
    const payload = aggregationResponsePayloadFor(7n, signature, 5);
    expect(
      signatureFromAggregationResponse(payload, 255).aggregationChains[0]!.links[0]!.levelCorrection,
    ).toBe(255);
    const high = aggregationResponsePayloadFor(7n, signature);
    expect(() => signatureFromAggregationResponse(high, 251)).toThrow(AggregationError);
    expect(() => signatureFromAggregationResponse(payload, 256)).toThrow(AggregationError);
    expect(() => aggregationResponsePayloadFor(7n, signature, -1)).toThrow(AggregationError);
  });
});

describe("shiftChainStart", () => {
  const tree = new AggregationTree(
    Array.from({ length: 5 }, (_, i) => ({
      imprint: makeImprint(HashAlgorithm.SHA2_256, new Uint8Array(32).fill(i)),
      level: 3,
      metadata: { clientId: "agency-1" },
    })),
    { algorithm: HashAlgorithm.SHA2_256 },
  );
  const [chain] = composeChains([tree.segment(2)], 1_763_780_000);

  it("moves the start level out of the first link and back, with the same root either way", () => {
    const fromThree = shiftChainStart(chain!, 3);
    expect(fromThree.links[0]!.levelCorrection).toBe(chain!.links[0]!.levelCorrection - 3);
    expect(aggregationChainOutput(fromThree, 3)).toEqual(aggregationChainOutput(chain!, 0));
    expect(shiftChainStart(fromThree, -3)).toEqual(chain);
    expect(shiftChainStart(chain!, 0)).toBe(chain);
  });

  it("drops the encoded bytes of a decoded chain, which no longer match it", () => {
    const decoded: KsiSignature = decodeSignature(
      readTestPackFile("valid-signatures", "signature-provided-input-hash-level-is-5.ksig"),
    );
    const shifted = shiftChainStart(decoded.aggregationChains[0]!, 2);
    expect(shifted.source).toBeUndefined();
    expect(shifted.links[0]!.source).toBeUndefined();
    expect(shifted.links[1]).toBe(decoded.aggregationChains[0]!.links[1]);
  });
});

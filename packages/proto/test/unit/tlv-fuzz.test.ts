import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  aggregationResponsePayloadFor,
  decodeAggregationRequestPdu,
  decodeAggregationResponsePdu,
  decodeExtendRequestPdu,
  decodeExtendResponsePdu,
  decodeMetadata,
  decodePublicationString,
  decodePublicationsFile,
  decodeSignature,
  decodeTlvSequence,
  encodeAggregationRequestPdu,
  encodeAggregationResponsePdu,
  encodeExtendRequestPdu,
  encodePublicationString,
  encodePublicationsFile,
  encodeSignature,
  FormatError,
  type KsiSignature,
  TempelError,
} from "../../src/index.ts";
import { readTestPackFile, withoutSources } from "./helpers/testpack.ts";

/**
 * Decoders face bytes from anywhere. Whatever they get — random bytes or a valid input with a few bytes
 * changed, inserted or removed — they either decode or throw a TempelError; never a TypeError, a
 * RangeError or a hang.
 */

const RUNS = 2000;
const KEY = new TextEncoder().encode("fuzz-key");

function onlyTempelErrors<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (error) {
    if (!(error instanceof TempelError)) throw error;
    return undefined;
  }
}

type Edit = { kind: "set" | "insert" | "delete" | "truncate"; at: number; byte: number };

const edits = fc.array(
  fc.record({
    kind: fc.constantFrom<Edit["kind"]>("set", "set", "set", "insert", "delete", "truncate"),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  { minLength: 1, maxLength: 6 },
);

function mutate(input: Uint8Array, changes: readonly Edit[]): Uint8Array {
  const bytes = [...input];
  for (const { kind, at, byte } of changes) {
    const i = bytes.length === 0 ? 0 : at % bytes.length;
    if (kind === "set") bytes[i] = byte;
    else if (kind === "insert") bytes.splice(i, 0, byte);
    else if (kind === "delete") bytes.splice(i, 1);
    else bytes.length = i;
  }
  return Uint8Array.from(bytes);
}

function mutants(...seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.constantFrom(...seeds), edits).map(([seed, changes]) => mutate(seed, changes));
}

const randomBytes = fc.uint8Array({ maxLength: 2048 });

describe("decoder robustness", () => {
  const signatures = [
    readTestPackFile("valid-signatures", "signature-extended.ksig"),
    readTestPackFile("valid-signatures", "rfc3161-signature.ksig"),
    readTestPackFile("valid-signatures", "signature-one-aggregation-chain-chc-and-auth.ksig"),
  ];

  it("TLV sequences: only FormatError", () => {
    fc.assert(
      fc.property(randomBytes, (bytes) => {
        try {
          decodeTlvSequence(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(FormatError);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("signatures: random bytes and mutated real signatures", () => {
    fc.assert(
      fc.property(fc.oneof(randomBytes, mutants(...signatures)), (bytes) => {
        onlyTempelErrors(() => decodeSignature(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  it("a mutated signature that still decodes encodes canonically to the same model", () => {
    fc.assert(
      fc.property(mutants(...signatures), (bytes) => {
        const sig = onlyTempelErrors(() => decodeSignature(bytes));
        if (sig === undefined) return;
        expect(encodeSignature(sig)).toEqual(bytes);
        // Times past 2^53 decode approximately and cannot be re-encoded canonically; that is the only way out.
        const canonical = onlyTempelErrors(() => encodeSignature(withoutSources(sig) as KsiSignature));
        if (canonical !== undefined)
          expect(withoutSources(decodeSignature(canonical))).toEqual(withoutSources(sig));
      }),
      { numRuns: RUNS / 4 },
    );
  });

  it("metadata values: random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        onlyTempelErrors(() => decodeMetadata(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  describe("PDUs", () => {
    const header = { loginId: "anon", instanceId: 3n, messageId: 9n };
    const requestHash = Uint8Array.of(1, ...new Uint8Array(32).fill(7));
    const aggregationRequest = encodeAggregationRequestPdu(
      {
        header,
        requests: [{ requestId: 1n, requestHash, requestLevel: 2 }],
        configRequest: true,
        ackRequest: { requestTime: 1n },
      },
      KEY,
    );
    const aggregationResponse = encodeAggregationResponsePdu(
      { header, responses: [aggregationResponsePayloadFor(1n, decodeSignature(signatures[0]!))] },
      KEY,
    );
    const extendRequest = encodeExtendRequestPdu(
      {
        header,
        requests: [{ requestId: 1n, aggregationTime: 1_700_000_000, publicationTime: 1_700_000_100 }],
      },
      KEY,
    );
    const extendResponse = readTestPackFile(
      "valid-signatures",
      "resources",
      "extender-response-for-signature-with-deprecated-function-in-calendar-chain.tlv",
    );
    const decoders = [
      decodeAggregationRequestPdu,
      decodeAggregationResponsePdu,
      decodeExtendRequestPdu,
      decodeExtendResponsePdu,
    ];

    it("every PDU decoder: random bytes and mutated valid PDUs, and HMAC checks never throw", () => {
      const inputs = fc.oneof(
        randomBytes,
        mutants(aggregationRequest, aggregationResponse, extendRequest, extendResponse),
      );
      fc.assert(
        fc.property(inputs, fc.constantFrom(...decoders), (bytes, decode) => {
          const decoded = onlyTempelErrors(() => decode(bytes));
          decoded?.hmac?.check(KEY);
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe("publications", () => {
    let file: Uint8Array;
    beforeAll(async () => {
      const sig = decodeSignature(signatures[0]!);
      file = await encodePublicationsFile(
        {
          header: { version: 1, creationTime: 1_700_000_000, repositoryUri: "https://tempel.test/pub" },
          certificates: [{ id: Uint8Array.of(1, 2, 3, 4), der: Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00) }],
          publications: [sig.publicationRecord!],
        },
        () => Uint8Array.of(0x30, 0x00),
      );
    });

    it("publications files: random bytes and mutated valid files", () => {
      fc.assert(
        fc.property(fc.oneof(randomBytes, mutants(file)), (bytes) => {
          onlyTempelErrors(() => decodePublicationsFile(bytes));
        }),
        { numRuns: RUNS },
      );
    });

    it("publication strings: random text and mistyped codes", () => {
      const code = encodePublicationString(decodeSignature(signatures[0]!).publicationRecord!.publishedData);
      const mistyped = fc
        .tuple(fc.nat(), fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ234567-=a1 "))
        .map(([at, c]) => code.slice(0, at % code.length) + c + code.slice((at % code.length) + 1));
      fc.assert(
        fc.property(fc.oneof(fc.string({ maxLength: 300 }), mistyped), (text) => {
          onlyTempelErrors(() => decodePublicationString(text));
        }),
        { numRuns: RUNS },
      );
    });
  });
});

import { describe, expect, it } from "vitest";
import { AggregationTree, composeChains } from "../../src/aggregation/index.ts";
import { Calendar, MemoryCalendarStore } from "../../src/calendar/index.ts";
import { TempelError } from "../../src/errors.ts";
import { HashAlgorithm } from "../../src/hash/algorithms.ts";
import { hashImprint, type Imprint } from "../../src/hash/imprint.ts";
import { decodeSignature, encodeSignature } from "../../src/signature/index.ts";
import type { KsiSignature } from "../../src/signature/types.ts";
import { FORWARD_FLAG, NON_CRITICAL_FLAG, TLV16_FLAG } from "../../src/tlv/element.ts";
import { internalPolicy, verifySignature } from "../../src/verification/index.ts";

/** Small seeded PRNG (mulberry32): the signatures are random but the test is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AGENCIES = ["health-register", "land-registry", "ministry-of-justice"].map((clientId) => ({
  clientId,
}));

interface Made {
  readonly signatures: KsiSignature[];
  readonly documents: Imprint[];
}

/**
 * Signatures as a Tempel cluster makes them: each leaf in a node's local tree under its agency's
 * metadata, the node's root as one leaf of the cluster's top tree, the calendar chain from the round's
 * second, and either a publication record at a later second (`published`) or, as a fresh signature, a
 * calendar authentication record for the round's second.
 */
async function makeSignatures(
  leafCount: number,
  second: number,
  random: () => number,
  published: boolean,
): Promise<Made> {
  const documents = Array.from({ length: leafCount }, (_, i) =>
    hashImprint(HashAlgorithm.SHA2_256, new TextEncoder().encode(`record ${second} ${i} ${random()}`)),
  );
  const local = new AggregationTree(
    documents.map((imprint, i) => ({ imprint, metadata: AGENCIES[i % AGENCIES.length] })),
    { algorithm: HashAlgorithm.SHA2_256 },
  );
  const otherNodes = Array.from({ length: 2 }, (_, i) => ({
    imprint: hashImprint(HashAlgorithm.SHA2_256, new TextEncoder().encode(`node ${i}`)),
    level: 1 + Math.floor(random() * 20),
  }));
  const top = new AggregationTree([{ imprint: local.root, level: local.rootLevel }, ...otherNodes], {
    algorithm: HashAlgorithm.SHA2_256,
  });
  const genesis = second - 2;
  const publicationTime = second + 3;
  const calendar = await Calendar.open(new MemoryCalendarStore(), { genesisTime: genesis });
  for (let t = genesis; t <= publicationTime; t++) {
    await calendar.append(
      t,
      t === second ? top.root : hashImprint(HashAlgorithm.SHA2_256, Uint8Array.of(t & 0xff)),
    );
  }
  const rootTime = published ? publicationTime : second;
  const calendarChain = await calendar.chain(second, rootTime);
  const publishedHash = await calendar.rootAt(rootTime);
  const publishedData = { publicationTime: rootTime, publishedHash };
  const signatureValue = Uint8Array.from({ length: 256 }, () => Math.floor(random() * 256));
  const signatures = documents.map((_, i) => ({
    aggregationChains: composeChains([local.segment(i), top.segment(0)], second),
    calendarChain,
    ...(published
      ? { publicationRecord: { publishedData, references: [], repositoryUris: [] } }
      : {
          calendarAuthRecord: {
            publishedData,
            signatureData: {
              signatureType: "1.2.840.113549.1.1.11",
              signatureValue,
              certificateId: Uint8Array.of(1, 2, 3, 4),
            },
          },
        }),
  }));
  return { signatures, documents };
}

/**
 * Bits the internal policy rightly reads no meaning into: the forward flag of every element except
 * metadata padding (whose flags INT-11 checks), the non-critical flag of known elements, and the value
 * of the calendar auth record's signature data (0x0B), which the key-based policy checks instead.
 */
function meaninglessBits(bytes: Uint8Array): Set<number> {
  const bits = new Set<number>();
  const walk = (start: number, end: number, parent: number) => {
    let offset = start;
    while (offset < end) {
      const first = bytes[offset]!;
      const tlv16 = (first & TLV16_FLAG) !== 0;
      const type = tlv16 ? ((first & 0x1f) << 8) | bytes[offset + 1]! : first & 0x1f;
      const length = tlv16 ? (bytes[offset + 2]! << 8) | bytes[offset + 3]! : bytes[offset + 1]!;
      const valueStart = offset + (tlv16 ? 4 : 2);
      const isPadding = !tlv16 && type === 0x1e;
      if (!isPadding) {
        bits.add(offset * 8 + 7 - Math.log2(FORWARD_FLAG));
        bits.add(offset * 8 + 7 - Math.log2(NON_CRITICAL_FLAG));
      }
      if (parent === 0x805 && type === 0x0b) {
        for (let bit = valueStart * 8; bit < (valueStart + length) * 8; bit++) bits.add(bit);
      } else if (isComposite(parent, type)) {
        walk(valueStart, valueStart + length, type);
      }
      offset = valueStart + length;
    }
  };
  // Composite elements of a signature, by parent: the rest hold integers, strings or imprints.
  const isComposite = (parent: number, type: number) => {
    if (parent === -1) return type === 0x800;
    if (parent === 0x800) return [0x801, 0x802, 0x803, 0x805].includes(type);
    if (parent === 0x801) return type === 0x07 || type === 0x08;
    if (parent === 0x07 || parent === 0x08) return type === 0x04;
    if (parent === 0x803 || parent === 0x805) return type === 0x10;
    return false;
  };
  walk(0, bytes.length, -1);
  return bits;
}

describe("signatures made by the proto code", () => {
  const random = prng(20261122);

  it("pass the internal policy for 1..10^5 leaves, several agencies, seconds across decades", async () => {
    for (const leafCount of [1, 2, 3, 17, 1000, 100_000]) {
      const second = 1_000_000_000 + Math.floor(random() * 1_500_000_000);
      const { signatures, documents } = await makeSignatures(leafCount, second, random, random() < 0.5);
      // Every leaf of small trees; a spread of leaves of large ones (each chain is O(log n)).
      const step = Math.max(1, Math.floor(leafCount / 500));
      for (let i = 0; i < leafCount; i += step) {
        const decoded = decodeSignature(encodeSignature(signatures[i]!));
        const result = await verifySignature(decoded, { documentHash: documents[i] }, internalPolicy);
        expect(result, `leaf ${i} of ${leafCount} at ${second}`).toMatchObject({ result: "OK", code: null });
        const agency = decoded.aggregationChains[0]!.links[0]!.sibling;
        expect(agency.kind === "metadata" && agency.metadata.clientId).toBe(
          AGENCIES[i % AGENCIES.length]!.clientId,
        );
      }
    }
  });

  for (const published of [false, true]) {
    it(`reject every meaningful single-bit change (${published ? "extended, publication record" : "fresh, calendar auth record"})`, async () => {
      const { signatures, documents } = await makeSignatures(5, 1_234_567_890, random, published);
      const bytes = encodeSignature(signatures[3]!);
      const ignored = meaninglessBits(bytes);
      const accepted: number[] = [];
      for (let bit = 0; bit < bytes.length * 8; bit++) {
        const changed = bytes.slice();
        changed[bit >> 3]! ^= 0x80 >> (bit & 7);
        let decoded: KsiSignature;
        try {
          decoded = decodeSignature(changed);
        } catch (error) {
          expect(error).toBeInstanceOf(TempelError);
          continue;
        }
        const result = await verifySignature(decoded, { documentHash: documents[3] }, internalPolicy);
        if (result.result === "OK") {
          accepted.push(bit);
        } else {
          expect(result.code, `bit ${bit}`).toMatch(/^(GEN|INT)-\d\d$/);
        }
      }
      // Exactly the listed header flags change nothing; every other bit is caught.
      expect(accepted.filter((bit) => !ignored.has(bit))).toEqual([]);
      console.log(
        `${bytes.length * 8} single-bit changes: ${bytes.length * 8 - accepted.length} rejected, ` +
          `${accepted.length} accepted, all of them listed header flags or key-policy signature data`,
      );
    });
  }
});

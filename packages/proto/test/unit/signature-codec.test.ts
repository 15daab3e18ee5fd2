import { describe, expect, it } from "vitest";
import {
  type AggregationHashChain,
  assembleSignature,
  type CalendarHashChain,
  decodeAggregationChain,
  decodeCalendarChain,
  decodeMetadata,
  decodePublicationData,
  decodePublicationRecord,
  decodeQuorumCertificate,
  decodeRfc3161Record,
  decodeSignature,
  decodeTlv,
  encodeAggregationChain,
  encodeCalendarAuthRecord,
  encodeCalendarChain,
  encodeMetadataValue,
  encodePublicationData,
  encodePublicationRecord,
  encodeQuorumCertificate,
  encodeRfc3161Record,
  encodeSignature,
  encodeSignatures,
  encodeTlv,
  encodeTlvSequence,
  Fields,
  FormatError,
  fromHex,
  isImprintShaped,
  type KsiSignature,
  MAX_SIGNATURE_BYTES,
  type QuorumCertificate,
  SignatureTag,
  stringTlv,
  type TlvElement,
  tlv,
  toHex,
  uintTlv,
} from "../../src/index.ts";
import { readTestPackFile, withoutSources } from "./helpers/testpack.ts";

function hex(text: string): Uint8Array {
  return fromHex(text.replaceAll(" ", ""))!;
}

function formatErrorCode(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return (error as FormatError).code;
  }
  throw new Error("expected a FormatError");
}

const SHA256_ZERO = Uint8Array.of(0x01, ...new Uint8Array(32));
const SHA256_ONES = Uint8Array.of(0x01, ...new Uint8Array(32).fill(0x11));

/** signature-one-aggregation-chain-chc-and-auth.ksig: one chain, a calendar chain and an auth record. */
const withAuthRecord = decodeSignature(
  readTestPackFile("valid-signatures", "signature-one-aggregation-chain-chc-and-auth.ksig"),
);
/** signature-extended.ksig: five chains, a calendar chain and a publication record. */
const extended = decodeSignature(readTestPackFile("valid-signatures", "signature-extended.ksig"));

function signatureOf(...components: TlvElement[]): Uint8Array {
  return encodeTlv(tlv(SignatureTag.SIGNATURE, encodeTlvSequence(components)));
}

function source<T extends { readonly source?: TlvElement }>(value: T): TlvElement {
  return value.source!;
}

function chainWith(...children: TlvElement[]): TlvElement {
  return tlv(SignatureTag.AGGREGATION_CHAIN, encodeTlvSequence(children));
}

const TIME = uintTlv(0x02, 1_700_000_000);
const INDEX = uintTlv(0x03, 3);
const INPUT = tlv(0x05, SHA256_ZERO);
const ALGORITHM = uintTlv(0x06, 1);
const leftLink = (...children: TlvElement[]) => tlv(0x07, encodeTlvSequence(children));
const rightLink = (...children: TlvElement[]) => tlv(0x08, encodeTlvSequence(children));
const sibling = tlv(0x02, SHA256_ONES);

describe("metadata", () => {
  it("is written with the 0x7E padding first and an even length, so it never looks like an imprint", () => {
    for (let length = 1; length <= 40; length++) {
      const metadata = {
        clientId: "c".repeat(length),
        machineId: "m",
        sequenceNumber: 7n,
        requestTime: 1_700_000_000_123_456n,
      };
      const value = encodeMetadataValue(metadata);
      expect(value[0]).toBe(0x7e);
      expect(value.length % 2).toBe(0);
      expect(isImprintShaped(value)).toBe(false);
      const decoded = decodeMetadata(value);
      expect(decoded).toMatchObject(metadata);
      expect([...decoded.padding!].every((byte) => byte === 1)).toBe(true);
    }
  });

  it("writes the fields non-critical and forward, as Guardtime's aggregators do", () => {
    const value = encodeMetadataValue({ clientId: "anon" });
    expect(toHex(value)).toBe("7e0101" + "6105616e6f6e00");
  });

  it("accepts several leading paddings but rejects padding after a field", () => {
    expect(decodeMetadata(hex("7e 01 01 7e 01 01 61 02 61 00")).clientId).toBe("a");
    expect(formatErrorCode(() => decodeMetadata(hex("61 02 61 00 7e 01 01")))).toBe(
      "METADATA_PADDING_NOT_FIRST",
    );
  });

  it("keeps a value that has the shape of an imprint decodable, for verification to judge", () => {
    const clientId = "x".repeat(30);
    const value = encodeTlv(stringTlv(0x01, clientId));
    expect(isImprintShaped(value)).toBe(true);
    expect(decodeMetadata(value).clientId).toBe(clientId);
  });

  it("requires the client id and rejects unknown critical fields", () => {
    expect(formatErrorCode(() => decodeMetadata(hex("7e 01 01 62 02 61 00")))).toBe("TLV_MISSING");
    expect(formatErrorCode(() => decodeMetadata(hex("61 02 61 00 05 00")))).toBe("TLV_UNKNOWN_CRITICAL");
    expect(decodeMetadata(hex("61 02 61 00 45 00")).clientId).toBe("a");
  });
});

describe("aggregation hash chain", () => {
  it("keeps the interleaved order of left and right links, with level corrections", () => {
    const chain = decodeAggregationChain(
      chainWith(
        TIME,
        INDEX,
        INPUT,
        ALGORITHM,
        leftLink(sibling),
        rightLink(uintTlv(0x01, 5), sibling),
        leftLink(sibling),
      ),
    );
    expect(chain.links.map((link) => [link.direction, link.levelCorrection])).toEqual([
      ["left", 0],
      ["right", 5],
      ["left", 0],
    ]);
    expect(chain.chainIndex).toEqual([3n]);
  });

  it("decodes a legacy client id and rejects malformed ones", () => {
    const legacy = (bytes: Uint8Array) =>
      decodeAggregationChain(chainWith(TIME, INDEX, INPUT, ALGORITHM, leftLink(tlv(0x03, bytes))));
    const valid = new Uint8Array(29);
    valid.set([0x03, 0x00, 0x04, ...new TextEncoder().encode("Test")]);
    expect(legacy(valid).links[0]!.sibling).toEqual({ kind: "legacyId", bytes: valid });
    const tooShort = valid.subarray(0, 28);
    const badPrefix = Uint8Array.from(valid, (byte, i) => (i === 0 ? 0x01 : byte));
    const nameTooLong = Uint8Array.from(valid, (byte, i) => (i === 2 ? 26 : byte));
    const dirtyPadding = Uint8Array.from(valid, (byte, i) => (i === 28 ? 1 : byte));
    for (const bytes of [tooShort, badPrefix, nameTooLong, dirtyPadding]) {
      expect(formatErrorCode(() => legacy(bytes))).toBe("LEGACY_ID_INVALID");
    }
  });

  it("requires exactly one sibling per link", () => {
    const withSiblings =
      (...children: TlvElement[]) =>
      () =>
        decodeAggregationChain(chainWith(TIME, INDEX, INPUT, ALGORITHM, leftLink(...children)));
    expect(formatErrorCode(withSiblings(uintTlv(0x01, 1)))).toBe("LINK_SIBLING_COUNT");
    expect(formatErrorCode(withSiblings(sibling, tlv(0x04, encodeMetadataValue({ clientId: "a" }))))).toBe(
      "LINK_SIBLING_COUNT",
    );
  });

  it("rejects a chain without links, an unknown algorithm, a malformed imprint and a missing index", () => {
    expect(formatErrorCode(() => decodeAggregationChain(chainWith(TIME, INDEX, INPUT, ALGORITHM)))).toBe(
      "AGGREGATION_CHAIN_NO_LINKS",
    );
    const link = leftLink(sibling);
    expect(
      formatErrorCode(() => decodeAggregationChain(chainWith(TIME, INDEX, INPUT, uintTlv(0x06, 3), link))),
    ).toBe("TLV_UNKNOWN_ALGORITHM");
    const shortImprint = tlv(0x05, SHA256_ZERO.subarray(0, 32));
    expect(
      formatErrorCode(() => decodeAggregationChain(chainWith(TIME, INDEX, shortImprint, ALGORITHM, link))),
    ).toBe("TLV_IMPRINT_INVALID");
    expect(formatErrorCode(() => decodeAggregationChain(chainWith(TIME, INPUT, ALGORITHM, link)))).toBe(
      "TLV_MISSING",
    );
    expect(
      formatErrorCode(() => decodeAggregationChain(tlv(SignatureTag.CALENDAR_CHAIN, new Uint8Array(0)))),
    ).toBe("TLV_UNEXPECTED_TYPE");
  });

  it("encodes a chain built in code canonically: no zero level corrections, metadata as its value bytes", () => {
    const metadataBytes = encodeMetadataValue({ clientId: "agency-1" });
    const chain: AggregationHashChain = {
      aggregationTime: 1_700_000_000,
      chainIndex: [5n],
      inputHash: SHA256_ZERO,
      aggregationAlgorithm: 1,
      links: [
        {
          direction: "left",
          levelCorrection: 0,
          sibling: { kind: "metadata", bytes: metadataBytes, metadata: decodeMetadata(metadataBytes) },
        },
        { direction: "right", levelCorrection: 2, sibling: { kind: "imprint", imprint: SHA256_ONES } },
      ],
    };
    const element = encodeAggregationChain(chain);
    const expected = chainWith(
      TIME,
      uintTlv(0x03, 5),
      INPUT,
      ALGORITHM,
      leftLink(tlv(0x04, metadataBytes)),
      rightLink(uintTlv(0x01, 2), sibling),
    );
    expect(encodeTlv(element)).toEqual(encodeTlv(expected));
    expect(withoutSources(decodeAggregationChain(element))).toEqual(chain);
  });
});

describe("calendar hash chain", () => {
  const base = [
    uintTlv(0x01, 1_700_000_005),
    tlv(0x05, SHA256_ZERO),
    tlv(0x08, SHA256_ONES),
    tlv(0x07, SHA256_ONES),
  ];

  it("takes the publication time as aggregation time when that is absent, and re-encodes without it", () => {
    const chain = decodeCalendarChain(tlv(SignatureTag.CALENDAR_CHAIN, encodeTlvSequence(base)));
    expect(chain).toMatchObject({ aggregationTime: 1_700_000_005, aggregationTimePresent: false });
    expect(chain.links.map((link) => link.direction)).toEqual(["right", "left"]);
    expect(encodeTlv(encodeCalendarChain(withoutSources(chain)))).toEqual(encodeTlv(chain.source!));
  });

  it("writes the aggregation time when it was present or differs from the publication time", () => {
    const chain: CalendarHashChain = {
      publicationTime: 10,
      aggregationTime: 8,
      aggregationTimePresent: false,
      inputHash: SHA256_ZERO,
      links: [{ direction: "right", sibling: SHA256_ONES }],
    };
    expect(decodeCalendarChain(encodeCalendarChain(chain))).toMatchObject({
      aggregationTime: 8,
      aggregationTimePresent: true,
    });
  });

  it("rejects a chain without links and a link that is not an imprint", () => {
    const noLinks = tlv(SignatureTag.CALENDAR_CHAIN, encodeTlvSequence(base.slice(0, 2)));
    expect(formatErrorCode(() => decodeCalendarChain(noLinks))).toBe("CALENDAR_CHAIN_NO_LINKS");
    const badLink = tlv(
      SignatureTag.CALENDAR_CHAIN,
      encodeTlvSequence([...base.slice(0, 2), tlv(0x07, hex("03 00"))]),
    );
    expect(formatErrorCode(() => decodeCalendarChain(badLink))).toBe("TLV_IMPRINT_INVALID");
  });
});

describe("published data, publication and calendar authentication records", () => {
  it("encodes published data with the forward flag, reproducing Guardtime's signed bytes", () => {
    const data = withAuthRecord.calendarAuthRecord!.publishedData;
    const rebuilt = encodeTlv(encodePublicationData(withoutSources(data)));
    expect(rebuilt[0]).toBe(0x30);
    expect(rebuilt).toEqual(encodeTlv(data.source!));
    expect(withoutSources(decodePublicationData(decodeTlv(rebuilt)))).toEqual(withoutSources(data));
  });

  it("re-encodes Guardtime's calendar authentication record canonically to the same bytes", () => {
    const record = withAuthRecord.calendarAuthRecord!;
    expect(record.signatureData.signatureType).toBe("1.2.840.113549.1.1.11");
    expect(encodeTlv(encodeCalendarAuthRecord(withoutSources(record)))).toEqual(encodeTlv(record.source!));
  });

  it("reads the optional publication reference and certificate repository URI", () => {
    const extendedWithReference = decodeSignature(
      readTestPackFile(
        "valid-signatures",
        "signature-extended-optional-additions-in-publication-rec-pub-ref-and-pub-rep-uri.ksig",
      ),
    );
    expect(extendedWithReference.publicationRecord).toMatchObject({
      references: ["PUBLICATION_REFERENCE"],
      repositoryUris: [],
    });
    const withUri = decodeSignature(
      readTestPackFile("valid-signatures", "signature-optional-additions-in-cal-auth-rec-cert-rep-uri.ksig"),
    );
    expect(withUri.calendarAuthRecord!.signatureData).toMatchObject({
      certificateId: hex("8aefeb78"),
      certificateRepositoryUri: "CERT_REPOSITORY_URI",
    });
  });

  it("moves a publication record between a signature (0x0803) and a publications file (0x0703) unchanged", () => {
    const record = extended.publicationRecord!;
    const inFile = encodePublicationRecord(record, 0x0703);
    expect(inFile.type).toBe(0x0703);
    expect(inFile.value).toEqual(record.source!.value);
    expect(withoutSources(decodePublicationRecord(inFile))).toEqual(withoutSources(record));
    expect(formatErrorCode(() => decodePublicationRecord(tlv(0x0805, record.source!.value)))).toBe(
      "TLV_UNEXPECTED_TYPE",
    );
  });

  it("decodes every RFC 3161 record field and encodes it back to the same content", () => {
    const record = decodeSignature(readTestPackFile("valid-signatures", "rfc3161-signature.ksig"))
      .rfc3161Record!;
    expect(record.chainIndex).toEqual([11n, 21n, 61n, 11n, 5n]);
    expect(record).toMatchObject({
      aggregationTime: 1711365147,
      tstInfoAlgorithm: 1,
      signedAttributesAlgorithm: 1,
    });
    expect(record.tstInfoPrefix.length).toBe(38);
    expect(record.signedAttributesSuffix.length).toBe(0);
    expect(withoutSources(decodeRfc3161Record(encodeRfc3161Record(withoutSources(record))))).toEqual(
      withoutSources(record),
    );
  });
});

describe("signature", () => {
  const chain = source(withAuthRecord.aggregationChains[0]!);
  const calendarChain = source(withAuthRecord.calendarChain!);
  const authRecord = source(withAuthRecord.calendarAuthRecord!);
  const publicationRecord = source(extended.publicationRecord!);

  it("rejects record/calendar-chain combinations KSI forbids", () => {
    expect(formatErrorCode(() => decodeSignature(signatureOf(chain, authRecord)))).toBe(
      "SIGNATURE_RECORD_WITHOUT_CALENDAR_CHAIN",
    );
    expect(formatErrorCode(() => decodeSignature(signatureOf(chain, publicationRecord)))).toBe(
      "SIGNATURE_RECORD_WITHOUT_CALENDAR_CHAIN",
    );
    expect(
      formatErrorCode(() =>
        decodeSignature(signatureOf(chain, calendarChain, authRecord, publicationRecord)),
      ),
    ).toBe("SIGNATURE_AUTH_AND_PUBLICATION_RECORD");
    expect(formatErrorCode(() => decodeSignature(signatureOf(calendarChain)))).toBe(
      "SIGNATURE_NO_AGGREGATION_CHAIN",
    );
  });

  it("rejects duplicates, unknown critical elements, other TLV types and oversized input", () => {
    expect(formatErrorCode(() => decodeSignature(signatureOf(chain, calendarChain, calendarChain)))).toBe(
      "TLV_DUPLICATE",
    );
    expect(formatErrorCode(() => decodeSignature(signatureOf(chain, tlv(0x0807, new Uint8Array(0)))))).toBe(
      "TLV_UNKNOWN_CRITICAL",
    );
    expect(formatErrorCode(() => decodeSignature(encodeTlv(tlv(0x0801, chain.value))))).toBe(
      "TLV_UNEXPECTED_TYPE",
    );
    expect(formatErrorCode(() => decodeSignature(new Uint8Array(MAX_SIGNATURE_BYTES + 1)))).toBe(
      "SIGNATURE_TOO_LARGE",
    );
  });

  it("skips unknown non-critical elements but keeps them in its bytes", () => {
    const bytes = signatureOf(chain, tlv(0x0807, hex("aa"), { nonCritical: true }));
    expect(encodeSignature(decodeSignature(bytes))).toEqual(bytes);
  });

  it("orders the chains from the document up, while re-encoding keeps the wire order", () => {
    const chains = extended.aggregationChains.map(source);
    const bytes = signatureOf(...[...chains].reverse(), source(extended.calendarChain!));
    const sig = decodeSignature(bytes);
    expect(sig.aggregationChains.map((c) => c.chainIndex.length)).toEqual([5, 4, 3, 2, 1]);
    expect(encodeSignature(sig)).toEqual(bytes);
  });

  it("encodes a batch into one buffer, each signature as encodeSignature writes it alone", () => {
    const batch = [extended, withoutSources(extended), withAuthRecord, withoutSources(withAuthRecord)];
    const encoded = encodeSignatures(batch);
    expect(encoded).toEqual(batch.map(encodeSignature));
    expect(new Set(encoded.map((bytes) => bytes.buffer)).size).toBe(1);
    expect(encodeSignatures([])).toEqual([]);
    // Into a caller's scratch buffer, larger than needed.
    const scratch = new Uint8Array(64 * 1024);
    const inScratch = encodeSignatures(batch, () => scratch);
    expect(inScratch).toEqual(encoded);
    expect(inScratch.every((bytes) => bytes.buffer === scratch.buffer)).toBe(true);
  });

  it("is assembled from parts with the same rules and chain order", () => {
    const { source: _bytes, ...parts } = extended;
    const sig = assembleSignature({ ...parts, aggregationChains: [...parts.aggregationChains].reverse() });
    expect(sig.aggregationChains).toEqual(extended.aggregationChains);
    expect(encodeSignature(sig)).toEqual(encodeSignature(extended));
    expect(() => assembleSignature({ aggregationChains: [] })).toThrow(FormatError);
  });
});

describe("quorum certificate (Tempel's non-critical TLV 0x0810)", () => {
  const publishedData = { publicationTime: 1_700_000_000, publishedHash: SHA256_ONES };
  const certificate: QuorumCertificate = {
    publishedData,
    shares: [
      { memberId: "12D3KooWnode1", signature: new Uint8Array(64).fill(1) },
      { memberId: "12D3KooWnode2", signature: new Uint8Array(64).fill(2) },
    ],
  };

  it("is written as TLV16 0x0810 with the non-critical and forward flags, holding published data then shares", () => {
    const bytes = encodeTlv(encodeQuorumCertificate(certificate));
    expect(toHex(bytes.subarray(0, 2))).toBe("e810");
    const fields = new Fields(
      decodeTlv(bytes),
      [
        { type: 0x10, name: "published data", min: 1 },
        { type: 0x02, name: "share", max: 2 },
      ],
      "test",
    );
    expect(encodeTlv(fields.required(0x10))).toEqual(encodeTlv(encodePublicationData(publishedData)));
    const share = new Fields(
      fields.all(0x02)[0]!,
      [
        { type: 0x01, name: "member id", min: 1 },
        { type: 0x02, name: "signature", min: 1 },
      ],
      "test",
    );
    expect(share.required(0x02).value.length).toBe(64);
  });

  it("round-trips, keeping the order of its shares", () => {
    const decoded = decodeQuorumCertificate(encodeQuorumCertificate(certificate));
    expect(withoutSources(decoded)).toEqual(certificate);
  });

  it("rides at a signature's top level and inside its publication record", () => {
    const { source: _bytes, ...parts } = extended;
    const sig: KsiSignature = {
      ...parts,
      quorumCertificate: certificate,
      publicationRecord: { ...withoutSources(extended.publicationRecord!), quorumCertificate: certificate },
    };
    const decoded = decodeSignature(encodeSignature(sig));
    expect(withoutSources(decoded.quorumCertificate)).toEqual(certificate);
    expect(withoutSources(decoded.publicationRecord!.quorumCertificate)).toEqual(certificate);
  });

  it("is skipped by a parser that knows only KSI's elements, so the signature stays a valid KSI signature", () => {
    const { source: _bytes, ...parts } = withAuthRecord;
    const bytes = encodeSignature({ ...parts, quorumCertificate: certificate });
    const ksiOnly = [
      { type: 0x0801, name: "aggregation chain", min: 1, max: 10 },
      { type: 0x0802, name: "calendar chain" },
      { type: 0x0805, name: "calendar auth record" },
    ];
    const fields = new Fields(decodeTlv(bytes), ksiOnly, "KSI-only signature");
    expect(fields.children.map((child) => child.type)).toContain(0x0810);
  });

  it("is rejected when critical, without shares, or with a share that is not a 64-byte Ed25519 signature", () => {
    const element = encodeQuorumCertificate(certificate);
    expect(formatErrorCode(() => decodeQuorumCertificate({ ...element, nonCritical: false }))).toBe(
      "QUORUM_CERTIFICATE_CRITICAL",
    );
    expect(
      formatErrorCode(() => decodeQuorumCertificate(encodeQuorumCertificate({ publishedData, shares: [] }))),
    ).toBe("TLV_MISSING");
    const shortShare = { publishedData, shares: [{ memberId: "n", signature: new Uint8Array(63) }] };
    expect(formatErrorCode(() => decodeQuorumCertificate(encodeQuorumCertificate(shortShare)))).toBe(
      "QUORUM_SHARE_SIGNATURE_LENGTH",
    );
  });
});

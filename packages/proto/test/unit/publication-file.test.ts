import { describe, expect, it } from "vitest";
import {
  concatBytes,
  decodePublicationsFile,
  decodeSignature,
  encodePublicationsFile,
  encodeTlv,
  encodeTlvSequence,
  FormatError,
  PUBLICATIONS_FILE_MAGIC,
  type PublicationRecord,
  type PublicationsFileContent,
  PublicationsFileTag,
  stringTlv,
  tlv,
  uintTlv,
} from "../../src/index.ts";
import { readTestPackFile, withoutSources } from "./helpers/testpack.ts";

function formatErrorCode(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return (error as FormatError).code;
  }
  throw new Error("expected a FormatError");
}

const FAKE_CMS = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x07);
const fromSignature = decodeSignature(readTestPackFile("valid-signatures", "signature-extended.ksig"))
  .publicationRecord!;

function record(time: number, fill: number): PublicationRecord {
  return {
    publishedData: {
      publicationTime: time,
      publishedHash: Uint8Array.of(0x01, ...new Uint8Array(32).fill(fill)),
    },
    references: [`Tempel Gazette ${time}`],
    repositoryUris: ["https://tempel.test/publications.bin"],
  };
}

const content: PublicationsFileContent = {
  header: { version: 1, creationTime: 1_700_100_000, repositoryUri: "https://tempel.test/publications.bin" },
  certificates: [
    { id: Uint8Array.of(1, 2, 3, 4), der: Uint8Array.of(0x30, 0x01, 0x00) },
    { id: Uint8Array.of(5, 6, 7, 8), der: Uint8Array.of(0x30, 0x02, 0x05, 0x00) },
  ],
  publications: [
    fromSignature,
    record(1_700_000_000, 0x22),
    {
      ...record(1_700_050_000, 0x33),
      quorumCertificate: {
        publishedData: record(1_700_050_000, 0x33).publishedData,
        shares: [{ memberId: "12D3KooWnode1", signature: new Uint8Array(64).fill(9) }],
      },
    },
  ],
};

/** The magic followed by the given encoded elements. */
function fileOf(...elements: Uint8Array[]): Uint8Array {
  return concatBytes(PUBLICATIONS_FILE_MAGIC, ...elements);
}

const header = encodeTlv(
  tlv(PublicationsFileTag.HEADER, encodeTlvSequence([uintTlv(1, 1), uintTlv(2, 1_700_000_000)])),
);
const certificate = encodeTlv(
  tlv(
    PublicationsFileTag.CERTIFICATE_RECORD,
    encodeTlvSequence([tlv(1, Uint8Array.of(1)), tlv(2, Uint8Array.of(0x30, 0x00))]),
  ),
);
const publication = encodeTlv(tlv(PublicationsFileTag.PUBLICATION_RECORD, fromSignature.source!.value));
const signature = encodeTlv(tlv(PublicationsFileTag.SIGNATURE, FAKE_CMS));

describe("publications file", () => {
  it("round-trips header, certificates and publication records (one with a quorum certificate)", async () => {
    const bytes = await encodePublicationsFile(content, () => FAKE_CMS);
    const file = decodePublicationsFile(bytes);
    expect(withoutSources(file.header)).toEqual(content.header);
    expect(withoutSources(file.certificates)).toEqual(content.certificates);
    expect(withoutSources(file.publications)).toEqual(withoutSources(content.publications));
    expect(file.signature).toEqual(FAKE_CMS);
  });

  it("hands the signer exactly the bytes from the magic to the signature element, and exposes them", async () => {
    let signed: Uint8Array | undefined;
    const bytes = await encodePublicationsFile(content, async (data) => {
      signed = data;
      return FAKE_CMS;
    });
    const file = decodePublicationsFile(bytes);
    expect(file.signedBytes).toEqual(signed);
    expect(bytes.subarray(0, 8)).toEqual(PUBLICATIONS_FILE_MAGIC);
    expect(bytes.length).toBe(signed!.length + 4 + FAKE_CMS.length);
    expect(await encodePublicationsFile(content)).toEqual(signed);
  });

  it("re-encodes a decoded file byte for byte", async () => {
    const bytes = await encodePublicationsFile(content, () => FAKE_CMS);
    const file = decodePublicationsFile(bytes);
    expect(await encodePublicationsFile(file, () => file.signature)).toEqual(bytes);
  });

  it("accepts the minimal layout and unknown non-critical elements between the parts", () => {
    const unknown = encodeTlv(tlv(0x0710, Uint8Array.of(1), { nonCritical: true }));
    const file = decodePublicationsFile(fileOf(header, certificate, unknown, publication, signature));
    expect(file.certificates).toHaveLength(1);
    expect(file.publications).toHaveLength(1);
    expect(decodePublicationsFile(fileOf(header, signature)).publications).toEqual([]);
  });

  it("enforces the fixed order: header first, certificates before publications, signature last", () => {
    expect(formatErrorCode(() => decodePublicationsFile(fileOf(certificate, header, signature)))).toBe(
      "PUBLICATIONS_FILE_ORDER",
    );
    expect(
      formatErrorCode(() => decodePublicationsFile(fileOf(header, publication, certificate, signature))),
    ).toBe("PUBLICATIONS_FILE_ORDER");
    expect(formatErrorCode(() => decodePublicationsFile(fileOf(header, publication)))).toBe(
      "PUBLICATIONS_FILE_ORDER",
    );
    expect(formatErrorCode(() => decodePublicationsFile(fileOf(header, signature, publication)))).toBe(
      "PUBLICATIONS_FILE_ORDER",
    );
    expect(formatErrorCode(() => decodePublicationsFile(fileOf(header, header, signature)))).toBe(
      "PUBLICATIONS_FILE_ORDER",
    );
  });

  it("rejects a wrong magic, unknown critical elements, another version and oversized input", () => {
    const bytes = fileOf(header, signature);
    const wrongMagic = Uint8Array.from(bytes, (byte, i) => (i === 0 ? 0x00 : byte));
    expect(formatErrorCode(() => decodePublicationsFile(wrongMagic))).toBe("PUBLICATIONS_FILE_MAGIC");
    expect(formatErrorCode(() => decodePublicationsFile(new Uint8Array(3)))).toBe("PUBLICATIONS_FILE_MAGIC");
    const unknown = encodeTlv(tlv(0x0710, Uint8Array.of(1)));
    expect(formatErrorCode(() => decodePublicationsFile(fileOf(header, unknown, signature)))).toBe(
      "TLV_UNKNOWN_CRITICAL",
    );
    const version2 = encodeTlv(
      tlv(PublicationsFileTag.HEADER, encodeTlvSequence([uintTlv(1, 2), uintTlv(2, 1), stringTlv(3, "x")])),
    );
    expect(formatErrorCode(() => decodePublicationsFile(fileOf(version2, signature)))).toBe(
      "PUBLICATIONS_FILE_VERSION",
    );
    expect(formatErrorCode(() => decodePublicationsFile(bytes, bytes.length - 1))).toBe(
      "PUBLICATIONS_FILE_TOO_LARGE",
    );
  });
});

import { describe, expect, it } from "vitest";
import { decodeSignature, type KsiSignature, signatureToJson } from "../../src/index.ts";
import { readTestPackCsv, readTestPackFile, TEST_PACK_CSVS } from "./helpers/testpack.ts";

function load(...path: string[]): KsiSignature {
  return decodeSignature(readTestPackFile(...path));
}

describe("signatureToJson", () => {
  const row = readTestPackCsv(TEST_PACK_CSVS.valid).find((r) => r.file === "signature-extended.ksig")!;
  const json = signatureToJson(load("valid-signatures", "signature-extended.ksig"));

  it("survives JSON.stringify (no bigint, no bytes) and parses back to the same object", () => {
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it("shows the input hash as hex and the aggregation time as Unix seconds and ISO 8601", () => {
    expect(json.inputHash.toUpperCase()).toBe(row.inputHash);
    expect(json.aggregationTime).toEqual({
      unix: row.aggregationTime,
      iso: new Date(row.aggregationTime! * 1000).toISOString(),
    });
  });

  it("shows each link with direction, level correction and a readable sibling", () => {
    const [first] = json.aggregationChains;
    expect(first!.aggregationAlgorithm).toBe("SHA-256");
    expect(first!.chainIndex).toEqual(["13", "19", "93", "15", "3"]);
    const link = first!.links[0]!;
    expect(link).toMatchObject({ direction: "left", levelCorrection: 0 });
    expect(link.sibling).toMatchObject({
      kind: "metadata",
      metadata: { clientId: "anon", machineId: "ksigw-testuser:1", sequenceNumber: "0" },
    });
    const metadata = link.sibling.kind === "metadata" ? link.sibling.metadata : undefined;
    expect(metadata?.requestTime?.iso).toMatch(/^2024-03-14T/);
    const imprintLink = json.aggregationChains[1]!.links[1]!;
    expect(imprintLink).toMatchObject({ levelCorrection: 1, sibling: { kind: "imprint" } });
  });

  it("shows the publication record with its publication string", () => {
    expect(json.calendarChain!.links.map((link) => link.direction).join(",")).toBe(
      ["left", "left", "left", ...new Array(17).fill("right")].join(","),
    );
    expect(json.publicationRecord!.publishedData).toMatchObject({
      publicationTime: { unix: row.publicationTime },
      publicationString: row.publicationString,
    });
    expect(json.publicationRecord!.publishedData.publishedHash.toUpperCase()).toBe(row.calendarOutput);
  });

  it("shows the calendar authentication record's signature data", () => {
    const auth = signatureToJson(
      load("valid-signatures", "signature-one-aggregation-chain-chc-and-auth.ksig"),
    );
    expect(auth.calendarAuthRecord).toMatchObject({
      signatureType: "1.2.840.113549.1.1.11",
      certificateId: "8aefeb78",
    });
  });

  it("shows an RFC 3161 record and takes the signature's input hash from it", () => {
    const rfc = signatureToJson(load("valid-signatures", "rfc3161-signature.ksig"));
    expect(rfc.rfc3161Record).toMatchObject({
      tstInfoAlgorithm: "SHA-256",
      chainIndex: ["11", "21", "61", "11", "5"],
    });
    expect(rfc.inputHash).toBe(rfc.rfc3161Record!.inputHash);
  });

  it("leaves out ISO times and the publication string where a time is beyond any date", () => {
    const sig = load(
      "internal-policy-signatures",
      "calendar-authentication-record",
      "invalid-signature-cal-auth-rec-pub-time-has-child-element.tlv",
    );
    const data = signatureToJson(sig).calendarAuthRecord!.publishedData;
    expect(data.publicationTime.iso).toBeUndefined();
    expect(data.publicationString).toBeUndefined();
  });
});

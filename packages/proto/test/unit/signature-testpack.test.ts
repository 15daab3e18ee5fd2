import { describe, expect, it } from "vitest";
import { decodeSignature, encodeSignature, FormatError, type KsiSignature, toHex } from "../../src/index.ts";
import {
  readTestPackCsv,
  readTestPackFile,
  TEST_PACK_CSVS,
  testPackSignatureFiles,
  withoutSources,
} from "./helpers/testpack.ts";

const rows = [...readTestPackCsv(TEST_PACK_CSVS.valid), ...readTestPackCsv(TEST_PACK_CSVS.internalPolicy)];
const files = testPackSignatureFiles();
const mustNotParse = new Set(rows.filter((row) => row.policy === "parsing").map((row) => row.name));

function decodeFile(name: string): KsiSignature {
  return decodeSignature(readTestPackFile(name));
}

describe("KSI test pack", () => {
  it("lists every signature file in one of its CSVs", () => {
    expect(files.length).toBeGreaterThan(150);
    expect(new Set(rows.map((row) => row.name))).toEqual(new Set(files));
  });

  describe.each(rows.filter((row) => row.policy === "parsing"))("$name (parsing)", (row) => {
    it("is rejected as malformed", () => {
      expect(() => decodeFile(row.name)).toThrow(FormatError);
    });
  });

  describe.each(rows.filter((row) => row.policy !== "parsing"))("$name ($policy)", (row) => {
    it("decodes, with the input hash and times the CSV gives", () => {
      const sig = decodeFile(row.name);
      const input = sig.rfc3161Record?.inputHash ?? sig.aggregationChains[0]!.inputHash;
      if (row.inputHash !== undefined) expect(toHex(input).toUpperCase()).toBe(row.inputHash);
      if (row.aggregationTime !== undefined) {
        expect(sig.rfc3161Record?.aggregationTime ?? sig.aggregationChains[0]!.aggregationTime).toBe(
          row.aggregationTime,
        );
      }
      if (row.publicationTime !== undefined)
        expect(sig.calendarChain?.publicationTime).toBe(row.publicationTime);
    });
  });

  describe.each(files.filter((name) => !mustNotParse.has(name)))("%s", (name) => {
    it("re-encodes byte for byte", () => {
      const bytes = readTestPackFile(name);
      expect(encodeSignature(decodeSignature(bytes))).toEqual(bytes);
    });
  });

  describe.each(files.filter((name) => name.startsWith("valid-signatures")))("%s", (name) => {
    it("encodes canonically, without its source bytes, to a signature with the same content", () => {
      const sig = decodeFile(name);
      const canonical = encodeSignature(withoutSources(sig));
      expect(withoutSources(decodeSignature(canonical))).toEqual(withoutSources(sig));
    });
  });
});

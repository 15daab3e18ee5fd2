import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodePublicationString,
  ksiAnchorVerdict,
  publicationPolicy,
  readTimeStampToken,
  TimestampTokenError,
  der as tlv,
  tokenKsiSignature,
  tokenVerdict,
  verifySignature,
  verifyTsaKey,
} from "../../src/index.ts";
import { editToken, makeTestTsa, type TestTsa } from "./helpers/openssl-tsa.ts";
import { testPackPath } from "./helpers/testpack.ts";

/** A real KSI signature of the test pack: its input hash, aggregation time and publication (signature-results.csv). */
const KSI = new Uint8Array(readFileSync(testPackPath("valid-signatures", "signature-extended.ksig")));
const KSI_DIGEST = "11A700B0C8066C47ECBA05ED37BC14DCADB238552D86C659342D1D7E87B8772D";
const KSI_TIME = 1710452040;
const PUBLICATION = decodePublicationString(
  "AAAAAA-DF6NWU-2ANERL-ZQKP5E-WEEQEF-JT76EI-HLTKXG-FQKRZC-ZJJV4E-LAJNHZ-2WY22Z-C3V2JA",
);
const OTHER_DIGEST = "00".repeat(31) + "01";

let tsa: TestTsa;
beforeAll(() => {
  tsa = makeTestTsa();
});
afterAll(() => tsa.remove());

/** Both anchors and the verdict, as `tempel verify` decides them offline with the publication given. */
async function verify(
  bytes: Uint8Array,
  options: { anchors?: Uint8Array[]; documentMatches?: boolean } = {},
) {
  const token = readTimeStampToken(bytes);
  const tsaVerdict = await verifyTsaKey(token, {
    trustAnchors: options.anchors ?? [tsa.caDer],
    now: Math.floor(Date.now() / 1000),
  });
  const found = tokenKsiSignature(token);
  const ksi =
    "signature" in found
      ? ksiAnchorVerdict(
          await verifySignature(
            found.signature,
            { documentHash: token.tstInfo.imprint, userPublication: PUBLICATION },
            publicationPolicy,
          ),
        )
      : found;
  return { token, tsa: tsaVerdict, ksi, verdict: tokenVerdict(options.documentMatches, tsaVerdict, ksi) };
}

/** An openssl token over the KSI signature's hash, dated at its time, carrying it. */
function anchoredToken(signer = tsa.tsa, edit: Parameters<typeof editToken>[1] = {}): Uint8Array {
  return editToken(tsa.token(KSI_DIGEST, signer), {
    genTime: KSI_TIME,
    signWith: signer.keyPath,
    ksiSignature: KSI,
    ...edit,
  });
}

describe("an RFC 3161 token's two anchors", () => {
  it("holds on both anchors for a token whose TSA chains to the CA and whose KSI signature is of its imprint at its genTime", async () => {
    const { tsa: key, ksi, verdict, token } = await verify(anchoredToken());
    expect(token.tstInfo.genTime).toBe(KSI_TIME);
    expect(key).toMatchObject({ state: "held", code: "TSA-OK" });
    expect(ksi).toMatchObject({ state: "held", code: "KSI-OK" });
    expect(verdict).toMatchObject({ result: "OK", heldBy: ["tsa", "ksi"] });
    expect(verdict.message).toContain("both anchors");
  });

  it("reads a token as openssl ts -reply writes it, in a TimeStampResp, with SHA-256, SHA-384 and SHA-512 imprints", async () => {
    for (const [sha, id, digest] of [
      ["sha256", 0x01, "ab".repeat(32)],
      ["sha384", 0x04, "cd".repeat(48)],
      ["sha512", 0x05, "ef".repeat(64)],
    ] as const) {
      const { tsa: key, token } = await verify(tsa.token(digest, tsa.tsa, { sha, reply: true }));
      expect(key.state).toBe("held");
      expect(token.tstInfo.imprint[0]).toBe(id);
      expect(Buffer.from(token.tstInfo.hashedMessage).toString("hex")).toBe(digest);
    }
  });

  it("holds on an RSA TSA key, as openssl signs with it (rsaEncryption with the digest named apart)", async () => {
    const { tsa: key } = await verify(tsa.token("ab".repeat(64), tsa.rsa, { sha: "sha512" }));
    expect(key).toMatchObject({ state: "held", certificate: { subject: "CN=TSA-RSA" } });
    expect((await verify(anchoredToken(tsa.rsa, { breakSignature: true }))).tsa.code).toBe("TSA-SIGNATURE");
  });

  it("finds the signer of a token without certificates (certReq false, as X-Road asks) in the CA file, else says it is missing", async () => {
    const bare = tsa.token(KSI_DIGEST, tsa.tsa, { certReq: false });
    expect(readTimeStampToken(bare).certificates).toHaveLength(0);
    expect((await verify(bare)).tsa).toMatchObject({ state: "not-held", code: "TSA-NO-CERTIFICATE" });
    expect((await verify(bare, { anchors: [tsa.caDer, tsa.tsa.der] })).tsa).toMatchObject({ state: "held" });
  });

  it("holds on the TSA key alone for a token whose KSI attribute was stripped, and says the time rests on that key", async () => {
    const { ksi, verdict } = await verify(tsa.token(KSI_DIGEST, tsa.tsa));
    expect(ksi).toMatchObject({ state: "not-held", code: "KSI-ABSENT" });
    expect(verdict).toMatchObject({ result: "OK", heldBy: ["tsa"] });
    expect(verdict.message).toContain("TSA's key alone");
    expect((await verify(anchoredToken(tsa.tsa, { ksiSignature: null }))).verdict.heldBy).toEqual(["tsa"]);
  });

  it("holds on the KSI anchor alone when the TSA certificate has expired since, and says the key no longer vouches", async () => {
    const { tsa: key, verdict } = await verify(anchoredToken(tsa.expired));
    expect(key).toMatchObject({ state: "not-held", code: "TSA-EXPIRED" });
    expect(key.message).toContain("expired at 2025-01-01T00:00:00Z");
    expect(verdict).toMatchObject({ result: "OK", heldBy: ["ksi"] });
    expect(verdict.message).toContain("keyless KSI signature alone");
  });

  it("holds on the KSI anchor alone when no TSA CA is given", async () => {
    const { tsa: key, verdict } = await verify(anchoredToken(), { anchors: [] });
    expect(key).toMatchObject({ state: "not-held", code: "TSA-NO-CA" });
    expect(verdict).toMatchObject({ result: "OK", heldBy: ["ksi"] });
  });

  it("is inconclusive with neither anchor: no CA and no KSI signature", async () => {
    const { verdict } = await verify(tsa.token(KSI_DIGEST, tsa.tsa), { anchors: [] });
    expect(verdict).toMatchObject({ result: "NA", heldBy: [] });
  });

  it("fails a token time-stamping another document than the one given", async () => {
    const { verdict } = await verify(anchoredToken(), { documentMatches: false });
    expect(verdict).toMatchObject({ result: "FAIL", heldBy: [] });
  });
});

describe("attacks on the TSA key anchor", () => {
  it("fails a token whose CMS signature was altered", async () => {
    const { tsa: key, verdict } = await verify(anchoredToken(tsa.tsa, { breakSignature: true }));
    expect(key).toMatchObject({ state: "failed", code: "TSA-SIGNATURE" });
    expect(verdict.result).toBe("FAIL");
  });

  it("fails a token whose genTime was changed after the TSA signed it", async () => {
    const signed = anchoredToken();
    const moved = editToken(signed, { genTime: KSI_TIME + 3600 });
    const { tsa: key } = await verify(moved);
    expect(key).toMatchObject({ state: "failed", code: "TSA-DIGEST" });
  });

  it("fails a token signed by a TSA certificate that does not chain to the CA given", async () => {
    const { tsa: key, verdict } = await verify(anchoredToken(tsa.rogue));
    expect(key).toMatchObject({ state: "failed", code: "TSA-CHAIN" });
    expect(verdict).toMatchObject({ result: "FAIL", heldBy: ["ksi"] });
    expect(verdict.message).toContain("the KSI anchor alone still proves the imprint's time");
  });

  it("fails a token whose certificate lacks the critical id-kp-timeStamping extended key usage", async () => {
    const token = anchoredToken(tsa.tsa, { certificate: tsa.nonCriticalEku.der });
    const { tsa: key } = await verify(token);
    expect(key).toMatchObject({ state: "failed", code: "TSA-EKU" });
  });

  it("fails a token whose TSA signed a SHA-1 digest of the TSTInfo, which a collision could make serve another", async () => {
    const { tsa: key } = await verify(tsa.token(KSI_DIGEST, tsa.tsa, { signerDigest: "sha1" }));
    expect(key).toMatchObject({ state: "failed", code: "TSA-ALGORITHM" });
  });

  it("fails a token the TSA key signed for a time still to come", async () => {
    const future = Math.floor(Date.now() / 1000) + 3600;
    const { tsa: key } = await verify(anchoredToken(tsa.tsa, { genTime: future, ksiSignature: null }));
    expect(key).toMatchObject({ state: "failed", code: "TSA-FUTURE" });
  });

  it("fails a token whose ESSCertIDv2 names another certificate", async () => {
    const { tsa: key } = await verify(anchoredToken(tsa.tsa, { essCertificate: tsa.caDer }));
    expect(key).toMatchObject({ state: "failed", code: "TSA-ESS" });
  });
});

describe("attacks on the KSI anchor (an unsigned attribute anyone can swap)", () => {
  it("fails a token carrying the KSI signature of another document", async () => {
    const token = editToken(tsa.token(OTHER_DIGEST, tsa.tsa), {
      genTime: KSI_TIME,
      signWith: tsa.tsa.keyPath,
      ksiSignature: KSI,
    });
    const { tsa: key, ksi, verdict } = await verify(token);
    expect(key.state).toBe("held");
    expect(ksi).toMatchObject({ state: "failed", code: "KSI-IMPRINT" });
    expect(verdict).toMatchObject({ result: "FAIL" });
    expect(verdict.message).toContain("another document");
  });

  it("fails a token whose KSI signature was made at another time than its genTime", async () => {
    const { ksi, verdict } = await verify(anchoredToken(tsa.tsa, { genTime: KSI_TIME + 1 }));
    expect(ksi).toMatchObject({ state: "failed", code: "KSI-TIME" });
    expect(verdict.result).toBe("FAIL");
  });

  it("fails a KSI attribute that is not a KSI signature", async () => {
    const { ksi } = await verify(
      anchoredToken(tsa.tsa, { ksiSignature: new Uint8Array([0x88, 0x00, 0x00, 0x01, 0x00]) }),
    );
    expect(ksi).toMatchObject({ state: "failed", code: "KSI-MALFORMED" });
  });
});

describe("token parsing", () => {
  it("refuses bytes after the token, a refused reply and a token over a hash that is not SHA-2", () => {
    const token = tsa.token(KSI_DIGEST, tsa.tsa);
    const code = (bytes: Uint8Array) => {
      try {
        readTimeStampToken(bytes);
        return "parsed";
      } catch (error) {
        return error instanceof TimestampTokenError ? error.code : "other";
      }
    };
    expect(code(new Uint8Array([...token, 0]))).toBe("DER_MALFORMED");
    expect(code(tlv(0x30, tlv(0x30, tlv(0x02, new Uint8Array([2])))))).toBe("TOKEN_REFUSED");
    expect(code(tsa.token("aa".repeat(20), tsa.tsa, { sha: "sha1" as "sha256" }))).toBe(
      "TOKEN_HASH_UNSUPPORTED",
    );
    expect(code(token.subarray(0, 100))).toBe("DER_MALFORMED");
  });

  it("answers one-byte corruptions of a token with a parse error or a verdict, never a crash, and never holds one whose TSTInfo changed", async () => {
    const token = tsa.token(KSI_DIGEST, tsa.tsa);
    const tstInfo = readTimeStampToken(token).tstInfoDer;
    const from = Buffer.from(token).indexOf(Buffer.from(tstInfo));
    let heldElsewhere = 0;
    // Every third byte: each field of the token is hit, at a third of the cost.
    for (let i = 0; i < token.length; i += 3) {
      const bytes = token.slice();
      bytes[i]! ^= 0xff;
      let parsed: ReturnType<typeof readTimeStampToken>;
      try {
        parsed = readTimeStampToken(bytes);
      } catch (error) {
        expect(error, `byte ${i}`).toBeInstanceOf(TimestampTokenError);
        continue;
      }
      const key = await verifyTsaKey(parsed, {
        trustAnchors: [tsa.caDer],
        now: Math.floor(Date.now() / 1000),
      });
      tokenKsiSignature(parsed);
      if (i >= from && i < from + tstInfo.length) expect(key.state, `byte ${i}`).not.toBe("held");
      else if (key.state === "held") heldElsewhere++;
    }
    // Only bytes nothing signs and nothing reads may change harmlessly: the digestAlgorithms list.
    expect(heldElsewhere).toBeLessThan(token.length / 30);
  });
});

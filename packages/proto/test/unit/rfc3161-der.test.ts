import { describe, expect, it } from "vitest";
import {
  contextTag,
  der,
  derAlgorithm,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derSetOf,
  encodeTstInfo,
  type FailInfoName,
  fromHex,
  nobleHasher,
  OID,
  parseTimeStampRequest,
  readChildren,
  readInteger,
  readOid,
  readSingle,
  readTime,
  readTimeStampResponse,
  readTimeStampToken,
  rejectionResponse,
  TAG,
  TEMPEL_TSA_POLICY,
  TimeStampRefusal,
  TokenWriter,
  tempelKsiSignatureOf,
  toHex,
} from "../../src/index.ts";
import { placeholderSigner } from "./rfc3161-fixtures.ts";

const hex = (text: string) => fromHex(text.replace(/\s/g, ""))!;
/** `openssl ts -query -data f.txt -cert -sha256` (OpenSSL 3.0): NULL parameters, a 64-bit nonce, certReq. */
const OPENSSL_QUERY = hex(
  "30440201013031300d0609608648016503040201050004205891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03020900ce95d4af32e564500101ff",
);

/** A TimeStampReq with the given fields in the given order (so tests can also break the order). */
function request(
  fields: { version?: bigint; algorithm?: Uint8Array; digest?: Uint8Array; tail?: Uint8Array[] } = {},
): Uint8Array {
  return derSequence(
    derInteger(fields.version ?? 1n),
    derSequence(
      fields.algorithm ?? derAlgorithm(OID.sha512),
      derOctetString(fields.digest ?? new Uint8Array(64)),
    ),
    ...(fields.tail ?? []),
  );
}

function refusalOf(bytes: Uint8Array): FailInfoName | undefined {
  try {
    parseTimeStampRequest(bytes, TEMPEL_TSA_POLICY);
    return undefined;
  } catch (error) {
    if (error instanceof TimeStampRefusal) return error.failInfo;
    throw error;
  }
}

describe("DER reader", () => {
  it("refuses non-DER framing: indefinite or non-minimal lengths, trailing bytes, truncation", () => {
    expect(() => readSingle(hex("3080 0000"))).toThrow(/indefinite/);
    expect(() => readSingle(hex("3081 01 00"))).toThrow(/minimally/);
    expect(() => readSingle(hex("0400 00"))).toThrow(/trailing/);
    expect(() => readSingle(hex("0405 0000"))).toThrow(/longer/);
    expect(() => readSingle(hex("1f01 00"))).toThrow(/high tag/);
  });

  it("refuses a time the calendar does not have, which Date.UTC would roll into another day", () => {
    const time = (tag: number, text: string) =>
      readTime(readSingle(der(tag, new TextEncoder().encode(text))));
    expect(time(TAG.GENERALIZED_TIME, "20260228235959Z")).toBe(Date.UTC(2026, 1, 28, 23, 59, 59) / 1000);
    expect(() => time(TAG.GENERALIZED_TIME, "20260230120000Z")).toThrow(/no real time/);
    expect(() => time(TAG.GENERALIZED_TIME, "20261207240000Z")).toThrow(/no real time/);
    expect(() => time(TAG.GENERALIZED_TIME, "20261207235960Z")).toThrow(/no real time/);
    expect(() => time(TAG.UTC_TIME, "260431120000Z")).toThrow(/no real time/);
  });

  it("reads INTEGERs only in minimal two's complement and writes them so", () => {
    // Six octets and fewer are read as doubles, more as BigInt: both sides of that line, either sign.
    const edges = [1n << 47n, (1n << 47n) - 1n, (1n << 55n) + 1n, (1n << 80n) + 12_345n, (1n << 159n) + 5n];
    for (const value of [
      0n,
      1n,
      127n,
      128n,
      255n,
      256n,
      -1n,
      -128n,
      -129n,
      ...edges,
      ...edges.map((e) => -e),
    ]) {
      expect(readInteger(readSingle(derInteger(value)))).toBe(value);
    }
    expect(toHex(derInteger(128n))).toBe("02020080");
    expect(() => readInteger(readSingle(hex("0202 007f")))).toThrow(/minimally/);
    expect(() => readInteger(readSingle(hex("0202 ff80")))).toThrow(/minimally/);
  });

  it("round-trips object identifiers, the project's 128-bit UUID arc included", () => {
    // Arcs up to 2^46 are read as doubles, larger ones as BigInt: arcs across that line and past 2^53.
    const large = ["1.2.70368744177663.70368744177664.9007199254740993", "2.70368744177700.1"];
    for (const oid of [OID.sha256, OID.timeStamping, TEMPEL_TSA_POLICY, "2.999.3", ...large]) {
      expect(readOid(readSingle(derOid(oid)))).toBe(oid);
    }
    expect(toHex(derOid(OID.tstInfo))).toBe("060b2a864886f70d0109100104");
  });

  it("writes definite lengths in their shortest form and reads them back", () => {
    for (const [length, head] of [
      [127, "047f"],
      [128, "048180"],
      [255, "0481ff"],
      [256, "04820100"],
      [65_536, "0483010000"],
    ] as const) {
      const encoded = derOctetString(new Uint8Array(length));
      expect(toHex(encoded.subarray(0, head.length / 2))).toBe(head);
      expect(readSingle(encoded).value.length).toBe(length);
    }
  });

  it("sorts SET OF elements by their encodings", () => {
    const a = derOctetString(Uint8Array.of(2));
    const b = derInteger(5);
    expect(derSetOf([a, b])).toEqual(der(TAG.SET, b, a));
  });
});

describe("TimeStampReq", () => {
  it("reads openssl's query: the imprint and nonce kept as sent, certReq, the KSI imprint", () => {
    const parsed = parseTimeStampRequest(OPENSSL_QUERY, TEMPEL_TSA_POLICY);
    expect(toHex(parsed.messageImprint)).toBe(toHex(OPENSSL_QUERY.subarray(5, 5 + 0x33)));
    expect(toHex(parsed.nonce!)).toBe("020900ce95d4af32e56450");
    expect(parsed.certReq).toBe(true);
    expect(parsed.ksiImprint[0]).toBe(0x01);
    expect(toHex(parsed.ksiImprint.subarray(1))).toBe(toHex(parsed.hashedMessage));
  });

  it("accepts SHA-512 with absent parameters and no options", () => {
    const parsed = parseTimeStampRequest(request(), TEMPEL_TSA_POLICY);
    expect(parsed.ksiImprint[0]).toBe(0x05);
    expect(parsed.certReq).toBe(false);
    expect(parsed.nonce).toBeUndefined();
  });

  it("refuses each malformed or unsupported request with the failure RFC 3161 names", () => {
    const cases: [string, Uint8Array, FailInfoName][] = [
      ["not DER", hex("3080 020101 0000"), "badDataFormat"],
      ["trailing bytes", Uint8Array.of(...request(), 0), "badDataFormat"],
      ["empty body", new Uint8Array(0), "badDataFormat"],
      ["version 2", request({ version: 2n }), "badRequest"],
      ["SHA-1", request({ algorithm: derAlgorithm("1.3.14.3.2.26"), digest: new Uint8Array(20) }), "badAlg"],
      ["odd parameters", request({ algorithm: derSequence(derOid(OID.sha512), derInteger(0)) }), "badAlg"],
      [
        "two algorithm parameters",
        request({ algorithm: derSequence(derOid(OID.sha256), hex("0500"), hex("0500")) }),
        "badDataFormat",
      ],
      ["short digest", request({ digest: new Uint8Array(32) }), "badDataFormat"],
      ["other policy", request({ tail: [derOid("1.3.6.1.4.1.32473.1")] }), "unacceptedPolicy"],
      [
        "extension",
        request({
          tail: [
            der(contextTag(0), derSequence(derOid("1.3.6.1.4.1.32473.9"), derOctetString(new Uint8Array(1)))),
          ],
        }),
        "unacceptedExtension",
      ],
      ["fields out of order", request({ tail: [derInteger(7), derOid(TEMPEL_TSA_POLICY)] }), "badDataFormat"],
      ["BOOLEAN not 00/FF", request({ tail: [hex("010101")] }), "badDataFormat"],
    ];
    for (const [name, bytes, failInfo] of cases) expect(refusalOf(bytes), name).toBe(failInfo);
    expect(refusalOf(request({ tail: [derOid(TEMPEL_TSA_POLICY), derInteger(-5)] }))).toBeUndefined();
  });
});

describe("TimeStampResp rejection", () => {
  it("encodes failInfo as DER named bits, as OpenSSL does", () => {
    expect(toHex(rejectionResponse("badAlg", "x"))).toMatch(/03020780$/);
    expect(toHex(rejectionResponse("unacceptedPolicy", "x"))).toMatch(/0303000001$/);
    expect(toHex(rejectionResponse("systemFailure", "x"))).toMatch(/03050600000040$/);
  });
});

describe("TimeStampToken reader", () => {
  const signer = placeholderSigner();
  const tstInfo = encodeTstInfo({
    policy: TEMPEL_TSA_POLICY,
    messageImprint: derSequence(derAlgorithm(OID.sha256), derOctetString(new Uint8Array(32).fill(1))),
    serialNumber: 42n,
    genTime: 1_800_000_000,
    nonce: derInteger(99),
  });
  const token = new TokenWriter(signer, new Uint8Array(32))
    .prepare(tstInfo, false)
    .token(Uint8Array.of(1, 2, 3), Uint8Array.of(8, 0, 0));

  it("reads back what the writer made: TSTInfo fields, the signed attributes as a SET, the KSI attribute", () => {
    const read = readTimeStampToken(token);
    expect(read.tstInfo).toMatchObject({
      policy: TEMPEL_TSA_POLICY,
      serialNumber: 42n,
      genTime: 1_800_000_000,
      nonce: 99n,
    });
    expect(read.tstInfoDer).toEqual(tstInfo);
    expect(read.signerInfo.signedAttributesDer[0]).toBe(TAG.SET);
    expect(read.signerInfo.signedAttributes.has(OID.signingCertificateV2)).toBe(true);
    expect(tempelKsiSignatureOf(read)).toEqual(Uint8Array.of(8, 0, 0));
  });

  it("writes tokens whose lengths take one to three octets, with and without certificates and KSI attribute", () => {
    const certified = {
      ...signer,
      certificate: derSequence(new Uint8Array(300)),
      chain: [derSequence(new Uint8Array(40))],
    };
    const writer = new TokenWriter(certified, new Uint8Array(32).fill(5));
    for (const ksiLength of [3, 200, 1_000]) {
      for (const certificates of [false, true]) {
        const ksi = new Uint8Array(ksiLength).fill(8);
        const unsigned = writer.prepare(tstInfo, certificates);
        const read = readTimeStampToken(unsigned.token(new Uint8Array(72).fill(3), ksi));
        expect(read.tstInfoDer).toEqual(tstInfo);
        expect(read.certificates).toEqual(certificates ? [certified.certificate, ...certified.chain] : []);
        expect(read.signerInfo.signedAttributesDer).toEqual(unsigned.signedAttributes);
        expect(read.signerInfo.signedAttributes.get(OID.messageDigest)?.[0]?.value).toEqual(
          nobleHasher(0x01, tstInfo),
        );
        expect(read.signerInfo.signature).toEqual(new Uint8Array(72).fill(3));
        expect(tempelKsiSignatureOf(read)).toEqual(ksi);
        const response = readTimeStampResponse(unsigned.response(new Uint8Array(72).fill(3), ksi));
        expect(response.status).toBe(0);
        expect(response.token).toEqual(unsigned.token(new Uint8Array(72).fill(3), ksi));
      }
    }
    expect(
      tempelKsiSignatureOf(readTimeStampToken(writer.prepare(tstInfo, false).token(Uint8Array.of(1)))),
    ).toBe(undefined);
  });

  it("takes an eContent split into a constructed OCTET STRING (BER, as pkijs writes it)", () => {
    const [, content] = readChildren(readSingle(token));
    const fields = readChildren(readSingle(content!.value));
    const [eContentType] = readChildren(fields[2]!);
    const split = der(0x24, derOctetString(tstInfo.subarray(0, 10)), derOctetString(tstInfo.subarray(10)));
    const encapsulated = derSequence(eContentType!.der, der(contextTag(0), split));
    const rest = fields.slice(3).map((field) => field.der);
    const signedData = derSequence(fields[0]!.der, fields[1]!.der, encapsulated, ...rest);
    const patched = derSequence(derOid(OID.signedData), der(contextTag(0), signedData));
    expect(readTimeStampToken(patched).tstInfoDer).toEqual(tstInfo);
  });
});

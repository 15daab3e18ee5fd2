import { describe, expect, it } from "vitest";
import {
  decodeSafeUint,
  decodeString,
  decodeTlv,
  decodeTlvAt,
  decodeTlvSequence,
  decodeUint,
  encodeTlv,
  encodeTlvSequence,
  Fields,
  FormatError,
  fromHex,
  stringBytes,
  stringTlv,
  type TlvElement,
  tlv,
  toHex,
  uintBytes,
  uintTlv,
} from "../../src/index.ts";

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

describe("TLV header flags", () => {
  it("reads the non-critical and forward bits of a TLV8 header", () => {
    const element = decodeTlv(hex("7e 01 01"));
    expect(element).toMatchObject({ type: 0x1e, nonCritical: true, forward: true, tlv16: false });
    expect(decodeTlv(hex("1e 01 01"))).toMatchObject({ nonCritical: false, forward: false });
    expect(decodeTlv(hex("3e 01 01"))).toMatchObject({ nonCritical: false, forward: true });
    expect(decodeTlv(hex("5e 01 01"))).toMatchObject({ nonCritical: true, forward: false });
  });

  it("reads a TLV16 header's 13-bit type and 16-bit length", () => {
    const element = decodeTlv(hex("c8 10 00 02 ab cd"));
    expect(element).toMatchObject({ type: 0x0810, nonCritical: true, forward: false, tlv16: true });
    expect(toHex(element.value)).toBe("abcd");
  });

  it("writes the flags it read", () => {
    for (const text of ["7e0101", "3e0101", "c8100002abcd", "a8010000"]) {
      expect(toHex(encodeTlv(decodeTlv(hex(text))))).toBe(text);
    }
  });
});

describe("TLV8 and TLV16 forms", () => {
  it("uses TLV8 up to type 0x1f and 255 value bytes", () => {
    const element = tlv(0x1f, new Uint8Array(255));
    expect(element.tlv16).toBe(false);
    expect(encodeTlv(element).length).toBe(2 + 255);
  });

  it("switches to TLV16 from type 0x20 or from 256 value bytes", () => {
    expect(tlv(0x20, new Uint8Array(0)).tlv16).toBe(true);
    const long = encodeTlv(tlv(0x01, new Uint8Array(256)));
    expect(toHex(long.subarray(0, 4))).toBe("80010100");
  });

  it("keeps the TLV16 form of a short element written that way, so it re-encodes byte for byte", () => {
    const bytes = hex("80 02 00 01 05");
    const element = decodeTlv(bytes);
    expect(element).toMatchObject({ type: 0x02, tlv16: true });
    expect(encodeTlv(element)).toEqual(bytes);
  });

  it("accepts the largest type and length and refuses anything beyond", () => {
    expect(encodeTlv(tlv(0x1fff, new Uint8Array(0xffff))).length).toBe(4 + 0xffff);
    expect(formatErrorCode(() => tlv(0x2000, new Uint8Array(0)))).toBe("TLV_TYPE_RANGE");
    expect(formatErrorCode(() => tlv(0x01, new Uint8Array(0x10000)))).toBe("TLV_TOO_LONG");
  });

  it("refuses to write a TLV8 header for an element that needs TLV16", () => {
    const element: TlvElement = {
      type: 0x0801,
      nonCritical: false,
      forward: false,
      tlv16: false,
      value: new Uint8Array(0),
    };
    expect(formatErrorCode(() => encodeTlv(element))).toBe("TLV_HEADER_FORM");
  });
});

describe("TLV framing faults", () => {
  it("rejects a header cut short", () => {
    expect(formatErrorCode(() => decodeTlv(hex("01")))).toBe("TLV_TRUNCATED");
    expect(formatErrorCode(() => decodeTlv(hex("88 01 00")))).toBe("TLV_TRUNCATED");
  });

  it("rejects a value cut short", () => {
    expect(formatErrorCode(() => decodeTlv(hex("01 03 aa bb")))).toBe("TLV_TRUNCATED");
    expect(formatErrorCode(() => decodeTlv(hex("88 01 01 00 aa")))).toBe("TLV_TRUNCATED");
  });

  it("rejects bytes after a single element", () => {
    expect(formatErrorCode(() => decodeTlv(hex("01 01 aa 00")))).toBe("TLV_TRAILING_BYTES");
  });

  it("decodes a sequence as views into the input and bounds its length", () => {
    const bytes = hex("01 01 aa 02 00 03 02 bb cc");
    const elements = decodeTlvSequence(bytes);
    expect(elements.map((e) => e.type)).toEqual([1, 2, 3]);
    expect(elements[2]!.value.buffer).toBe(bytes.buffer);
    expect(formatErrorCode(() => decodeTlvSequence(bytes, 2))).toBe("TLV_TOO_MANY_ELEMENTS");
  });

  it("decodes at an offset and reports where the next element starts", () => {
    const { element, next } = decodeTlvAt(hex("ff 01 01 aa ff"), 1);
    expect(element.type).toBe(1);
    expect(next).toBe(4);
  });

  it("encodes a sequence as the concatenation of its elements", () => {
    const sequence = encodeTlvSequence([uintTlv(1, 1), stringTlv(2, "a")]);
    expect(toHex(sequence)).toBe("010101" + "02026100");
  });
});

describe("TLV integers", () => {
  it("decodes the empty value as zero and big-endian values of up to 8 bytes", () => {
    expect(decodeUint(tlv(1, new Uint8Array(0)))).toBe(0n);
    expect(decodeUint(tlv(1, hex("01 00")))).toBe(256n);
    expect(decodeUint(tlv(1, hex("ff ff ff ff ff ff ff ff")))).toBe(0xffff_ffff_ffff_ffffn);
  });

  it("rejects a non-minimal encoding and more than 8 bytes", () => {
    expect(formatErrorCode(() => decodeUint(tlv(1, hex("00 01"))))).toBe("TLV_INTEGER_NOT_MINIMAL");
    expect(formatErrorCode(() => decodeUint(tlv(1, hex("00"))))).toBe("TLV_INTEGER_NOT_MINIMAL");
    expect(formatErrorCode(() => decodeUint(tlv(1, new Uint8Array(9).fill(1))))).toBe("TLV_INTEGER_TOO_LONG");
    expect(formatErrorCode(() => decodeSafeUint(tlv(1, hex("00 05"))))).toBe("TLV_INTEGER_NOT_MINIMAL");
  });

  it("limits safe integers to 2^53 - 1", () => {
    expect(decodeSafeUint(tlv(1, uintBytes(Number.MAX_SAFE_INTEGER)))).toBe(Number.MAX_SAFE_INTEGER);
    expect(formatErrorCode(() => decodeSafeUint(tlv(1, uintBytes(2n ** 53n))))).toBe("TLV_INTEGER_RANGE");
  });

  it("encodes minimally and round-trips the byte-length boundaries", () => {
    expect(uintBytes(0).length).toBe(0);
    for (const value of [1n, 255n, 256n, 65_535n, 65_536n, 2n ** 56n - 1n, 2n ** 56n, 2n ** 64n - 1n]) {
      const bytes = uintBytes(value);
      expect(bytes[0]).not.toBe(0);
      expect(decodeUint(tlv(1, bytes))).toBe(value);
    }
  });

  it("refuses to encode negative, unsafe or over-64-bit values", () => {
    expect(formatErrorCode(() => uintBytes(-1))).toBe("TLV_INTEGER_RANGE");
    expect(formatErrorCode(() => uintBytes(2n ** 64n))).toBe("TLV_INTEGER_RANGE");
    expect(formatErrorCode(() => uintBytes(2 ** 60))).toBe("TLV_INTEGER_RANGE");
  });
});

describe("TLV strings", () => {
  it("round-trips UTF-8 with its terminating NUL", () => {
    const element = stringTlv(1, "Tempel ✓ ü");
    expect(element.value[element.value.length - 1]).toBe(0);
    expect(decodeString(element)).toBe("Tempel ✓ ü");
  });

  it("rejects a missing terminator, an embedded NUL and invalid UTF-8", () => {
    expect(formatErrorCode(() => decodeString(tlv(1, hex("61 62"))))).toBe("TLV_STRING_NOT_TERMINATED");
    expect(formatErrorCode(() => decodeString(tlv(1, new Uint8Array(0))))).toBe("TLV_STRING_NOT_TERMINATED");
    expect(formatErrorCode(() => decodeString(tlv(1, hex("61 00 62 00"))))).toBe("TLV_STRING_EMBEDDED_NUL");
    expect(formatErrorCode(() => decodeString(tlv(1, hex("c3 28 00"))))).toBe("TLV_STRING_NOT_UTF8");
  });

  it("refuses to encode a string containing NUL", () => {
    expect(formatErrorCode(() => stringBytes("a\u0000b"))).toBe("TLV_STRING_EMBEDDED_NUL");
  });
});

describe("Fields (strict child reader)", () => {
  const specs = [
    { type: 0x01, name: "mandatory", min: 1 },
    { type: 0x02, name: "optional" },
    { type: 0x03, name: "list", max: 3 },
  ] as const;
  const parent = (children: string) => tlv(0x10, hex(children));

  it("groups known children and skips unknown non-critical ones", () => {
    const fields = new Fields(parent("01 00  5f 01 ff  03 00  03 00"), specs, "test");
    expect(fields.required(0x01).type).toBe(1);
    expect(fields.optional(0x02)).toBeUndefined();
    expect(fields.all(0x03)).toHaveLength(2);
    expect(fields.children).toHaveLength(4);
  });

  it("rejects an unknown critical child", () => {
    expect(formatErrorCode(() => new Fields(parent("01 00  04 00"), specs, "test"))).toBe(
      "TLV_UNKNOWN_CRITICAL",
    );
  });

  it("enforces minimum and maximum counts", () => {
    expect(formatErrorCode(() => new Fields(parent("02 00"), specs, "test"))).toBe("TLV_MISSING");
    expect(formatErrorCode(() => new Fields(parent("01 00 02 00 02 00"), specs, "test"))).toBe(
      "TLV_DUPLICATE",
    );
    expect(formatErrorCode(() => new Fields(parent("01 00 03 00 03 00 03 00 03 00"), specs, "test"))).toBe(
      "TLV_DUPLICATE",
    );
  });

  it("rejects a child whose framing overruns the parent", () => {
    expect(formatErrorCode(() => new Fields(parent("01 05 00"), specs, "test"))).toBe("TLV_TRUNCATED");
  });
});

import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/index.ts";

describe("hex", () => {
  it("decodes upper- and lower-case digits and round-trips every byte value", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromHex(toHex(all))).toEqual(all);
    expect(fromHex(toHex(all).toUpperCase())).toEqual(all);
    expect(fromHex("")).toEqual(new Uint8Array(0));
    expect(fromHex("0aFf")).toEqual(Uint8Array.of(0x0a, 0xff));
  });

  it("refuses an odd length and any character that is not a hex digit", () => {
    for (const text of ["0", "abc", "0g", "g0", " 00", "00 ", "+1", "0x00", "\u00e9\u00e9", "\u0660\u0661"]) {
      expect(fromHex(text)).toBeUndefined();
    }
  });
});

import { toHex } from "@tempel/proto";
import { describe, expect, it } from "vitest";
import { encodeRequest, randomImprints } from "../../../../scripts/common/load/protocols.ts";
import { ResponseBuffers } from "../../../../scripts/common/load/response-buffers.ts";

describe("load generator parts", () => {
  it("writes a JSON sign request byte for byte as JSON.stringify would", () => {
    const agency = { loginId: "demo", key: "secret" };
    for (const count of [1, 2, 1000]) {
      const { imprints } = randomImprints(count);
      const { body } = encodeRequest({ protocol: "json", agency }, imprints, 1n);
      expect(new TextDecoder().decode(body)).toBe(JSON.stringify({ hashes: imprints.map(toHex) }));
    }
  });

  it("hands a returned response buffer out again for an answer that fits in it", () => {
    const buffers = new ResponseBuffers();
    const first = buffers.take(1000);
    expect(first.length).toBe(1000);
    buffers.give(first.buffer);
    const smaller = buffers.take(600);
    expect(smaller.buffer).toBe(first.buffer);
    expect(smaller.length).toBe(600);
    const larger = buffers.take(2000);
    expect(larger.buffer).not.toBe(first.buffer);
    expect(larger.byteOffset).toBe(0);
  });
});

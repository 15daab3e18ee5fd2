import { describe, expect, it } from "vitest";
import { encodeFrame, FrameDecoder } from "../../src/network/frame.ts";

const bytes = (length: number, fill = 7) => new Uint8Array(length).fill(fill);

describe("network frames", () => {
  it("prefixes the payload with its length as an unsigned LEB128 varint", () => {
    expect(encodeFrame(Uint8Array.of(1, 2, 3))).toEqual(Uint8Array.of(3, 1, 2, 3));
    expect(encodeFrame(new Uint8Array(0))).toEqual(Uint8Array.of(0));
    expect(encodeFrame(bytes(300)).subarray(0, 2)).toEqual(Uint8Array.of(0xac, 0x02));
    expect(encodeFrame(bytes(128)).subarray(0, 2)).toEqual(Uint8Array.of(0x80, 0x01));
  });

  it("decodes frames however the stream splits them, including empty ones", () => {
    const frames = [bytes(0), bytes(1, 1), bytes(127, 2), bytes(128, 3), bytes(1000, 4)];
    const wire = Uint8Array.from(frames.flatMap((frame) => [...encodeFrame(frame)]));
    for (const chunkSize of [1, 2, 3, 129, wire.length]) {
      const decoder = new FrameDecoder(1000);
      const out: Uint8Array[] = [];
      for (let at = 0; at < wire.length; at += chunkSize)
        out.push(...decoder.push(wire.subarray(at, at + chunkSize)));
      expect(out).toEqual(frames);
    }
  });

  it("returns frames the caller may keep after the chunk's memory is reused", () => {
    const chunk = encodeFrame(Uint8Array.of(9, 9));
    const [frame] = new FrameDecoder(10).push(chunk);
    chunk.fill(0);
    expect(frame).toEqual(Uint8Array.of(9, 9));
  });

  it("accepts a frame of exactly the limit and rejects one byte more at its prefix", () => {
    expect(new FrameDecoder(300).push(encodeFrame(bytes(300)))).toHaveLength(1);
    expect(() => new FrameDecoder(300).push(encodeFrame(bytes(301)).subarray(0, 2))).toThrow(
      expect.objectContaining({ code: "FRAME_TOO_LARGE", details: { length: 301, limit: 300 } }),
    );
  });

  it("rejects a prefix longer than the limit can need before more data arrives", () => {
    // 1024 needs two varint bytes; a third continuation byte is garbage.
    const decoder = new FrameDecoder(1024);
    expect(decoder.push(Uint8Array.of(0xff))).toEqual([]);
    expect(() => decoder.push(Uint8Array.of(0xff))).toThrow(
      expect.objectContaining({ code: "FRAME_LENGTH_INVALID" }),
    );
  });

  it("rejects a zero-padded prefix, which would let one length have two encodings", () => {
    expect(() => new FrameDecoder(1024).push(Uint8Array.of(0x83, 0x00, 1, 2, 3))).toThrow(
      expect.objectContaining({ code: "FRAME_LENGTH_INVALID" }),
    );
  });

  it("waits for the rest of a frame without returning a partial one", () => {
    const decoder = new FrameDecoder(100);
    const wire = encodeFrame(bytes(50));
    expect(decoder.push(wire.subarray(0, 30))).toEqual([]);
    expect(decoder.push(wire.subarray(30))).toEqual([bytes(50)]);
  });
});

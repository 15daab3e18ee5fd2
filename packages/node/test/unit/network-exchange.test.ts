import { streamPair } from "@libp2p/utils";
import { describe, expect, it } from "vitest";
import { decodeAnswer, encodeAnswer, readFrame } from "../../src/network/exchange.ts";
import { encodeFrame } from "../../src/network/frame.ts";

describe("network sync exchange", () => {
  it("round-trips an answer and a failure code", () => {
    const body = Uint8Array.of(1, 2, 3);
    expect(decodeAnswer(encodeAnswer({ ok: true, body }))).toEqual({ ok: true, body });
    expect(decodeAnswer(encodeAnswer({ ok: true, body: new Uint8Array(0) }))).toEqual({
      ok: true,
      body: new Uint8Array(0),
    });
    expect(decodeAnswer(encodeAnswer({ ok: false, code: "CALENDAR_GAP" }))).toEqual({
      ok: false,
      code: "CALENDAR_GAP",
    });
  });

  it("sends only well-formed error codes, replacing anything else with INTERNAL", () => {
    for (const code of ["lower", "WITH SPACE", "", "X".repeat(65), "ÜNICODE"]) {
      expect(decodeAnswer(encodeAnswer({ ok: false, code }))).toEqual({ ok: false, code: "INTERNAL" });
    }
  });

  it.each([
    ["an empty frame", new Uint8Array(0)],
    ["an unknown status", Uint8Array.of(2, 1)],
    ["a failure without a code", Uint8Array.of(1)],
    ["a failure with a malformed code", Uint8Array.of(1, 0x61)],
  ])("rejects %s as RESPONSE_INVALID", (_, frame) => {
    expect(() => decodeAnswer(frame)).toThrow(expect.objectContaining({ code: "RESPONSE_INVALID" }));
  });

  it("reads the first frame from a stream even when it arrives in pieces", async () => {
    const [local, remote] = await streamPair();
    const reading = readFrame(remote, 100, AbortSignal.timeout(1_000));
    const wire = encodeFrame(Uint8Array.of(4, 5, 6));
    local.send(wire.subarray(0, 2));
    await new Promise((resolve) => setTimeout(resolve, 10));
    local.send(wire.subarray(2));
    expect(await reading).toEqual(Uint8Array.of(4, 5, 6));
  });

  it("rejects with FRAME_TRUNCATED when the stream ends inside a frame", async () => {
    const [local, remote] = await streamPair();
    const reading = readFrame(remote, 100, AbortSignal.timeout(1_000));
    local.send(encodeFrame(Uint8Array.of(4, 5, 6)).subarray(0, 2));
    await local.close();
    await expect(reading).rejects.toMatchObject({ code: "FRAME_TRUNCATED" });
  });

  it("rejects an oversized frame, and with the signal's reason when it aborts first", async () => {
    const [local, remote] = await streamPair();
    const reading = readFrame(remote, 2, AbortSignal.timeout(1_000));
    local.send(encodeFrame(Uint8Array.of(1, 2, 3)));
    await expect(reading).rejects.toMatchObject({ code: "FRAME_TOO_LARGE" });

    const [, quiet] = await streamPair();
    await expect(readFrame(quiet, 2, AbortSignal.timeout(20))).rejects.toMatchObject({
      name: "TimeoutError",
    });
  });
});

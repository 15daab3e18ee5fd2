import { describe, expect, it } from "vitest";
import { LineSplitter, LogLineQueue } from "../../src/index.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Each line with the offset just past its terminator, the text pushed in the given pieces. */
function split(pieces: readonly string[]): [string, number][] {
  const splitter = new LineSplitter();
  const out: [string, number][] = [];
  const line = (b: Uint8Array, end: number) => out.push([new TextDecoder().decode(b), end]);
  for (const piece of pieces) splitter.push(bytes(piece), line);
  splitter.end(line);
  return out;
}

describe("where lines end (for tempel watch's byte ranges)", () => {
  it("gives each line's end offset past LF, CR LF or CR, whatever the chunks", () => {
    const text = "a\nbb\r\nccc\rdd";
    const whole = split([text]);
    expect(whole).toEqual([
      ["a", 2],
      ["bb", 6],
      ["ccc", 10],
      ["dd", 12],
    ]);
    // Split inside lines and inside the CR LF pair: the same lines; the LF that arrives after its CR
    // counts in the next line's range instead.
    expect(split(["a\nb", "b\r", "\nccc\r", "dd"])).toEqual([
      ["a", 2],
      ["bb", 5],
      ["ccc", 10],
      ["dd", 12],
    ]);
    for (let cut = 1; cut < text.length; cut++) {
      if (cut === 5) continue;
      expect(split([text.slice(0, cut), text.slice(cut)]), `cut at ${cut}`).toEqual(whole);
    }
  });

  it("LogLineQueue fed by push tells where the last line taken ends", () => {
    const queue = new LogLineQueue();
    queue.push(bytes("one\ntwo\nthr"));
    expect(queue.waiting).toBe(2);
    queue.take();
    expect(queue.takenEnd).toBe(4);
    queue.push(bytes("ee\n"));
    queue.take();
    queue.take();
    expect(queue.takenEnd).toBe(14);
    expect(queue.take()).toBeUndefined();
  });

  it("hands out lines as ranges of the chunk itself (not copied, so shared memory stays shared), a line begun in an earlier chunk alone", () => {
    const splitter = new LineSplitter();
    const seen: [string, boolean, number][] = [];
    let chunk = new Uint8Array(new SharedArrayBuffer(5));
    const line = (data: Uint8Array, start: number, end: number, after: number) =>
      seen.push([new TextDecoder().decode(data.subarray(start, end)), data === chunk, after]);
    chunk.set(bytes("ab\ncd"));
    splitter.pushRanges(chunk, line);
    chunk = new Uint8Array(new SharedArrayBuffer(7));
    chunk.set(bytes("e\r\nfg\rh"));
    splitter.pushRanges(chunk, line);
    splitter.end((data, after) => seen.push([new TextDecoder().decode(data), false, after]));
    expect(seen).toEqual([
      ["ab", true, 3],
      ["cde", false, 8],
      ["fg", true, 11],
      ["h", false, 12],
    ]);
  });
});

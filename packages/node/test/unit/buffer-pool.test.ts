import { describe, expect, it } from "vitest";
import { BufferPool } from "../../src/api/buffer-pool.ts";

describe("BufferPool", () => {
  it("hands a buffer out again only once released, and only for answers of about its size", () => {
    const pool = new BufferPool(4);
    const first = pool.take(1000);
    const second = pool.take(1000);
    expect(first.bytes).toHaveLength(1000);
    expect(second.bytes.buffer).not.toBe(first.bytes.buffer);
    first.release();
    first.release();
    expect(pool.take(400).bytes.buffer).not.toBe(first.bytes.buffer);
    const reused = pool.take(600);
    expect(reused.bytes.buffer).toBe(first.bytes.buffer);
    expect(reused.bytes).toHaveLength(600);
    // Released twice, but kept once: a second taker gets a buffer of its own.
    expect(pool.take(600).bytes.buffer).not.toBe(first.bytes.buffer);
  });

  it("keeps at most its bound of released buffers", () => {
    const pool = new BufferPool(1);
    const [a, b] = [pool.take(100), pool.take(100)];
    a.release();
    b.release();
    expect(pool.take(100).bytes.buffer).toBe(a.bytes.buffer);
    expect(pool.take(100).bytes.buffer).not.toBe(b.bytes.buffer);
  });
});

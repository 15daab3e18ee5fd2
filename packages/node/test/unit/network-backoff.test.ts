import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/network/backoff.ts";

const options = { initialMs: 100, maxMs: 1_000 };

describe("network redial backoff", () => {
  it("doubles the ceiling per attempt up to the maximum", () => {
    const ceiling = (attempt: number) => backoffDelay(attempt, options, () => 1);
    expect([1, 2, 3, 4, 5, 6, 50, 5000].map(ceiling)).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });

  it("draws the delay from the upper half of the ceiling", () => {
    expect(backoffDelay(3, options, () => 0)).toBe(200);
    expect(backoffDelay(3, options, () => 0.5)).toBe(300);
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelay(2, options);
      expect(delay).toBeGreaterThanOrEqual(100);
      expect(delay).toBeLessThanOrEqual(200);
    }
  });
});

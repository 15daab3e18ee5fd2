import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Reconnector } from "../../src/network/reconnector.ts";

const options = { backoff: { initialMs: 100, maxMs: 1_000 }, dialTimeoutMs: 500 };

/** A fake dialler: peers connect when `reachable` says so; every dial's time is recorded. */
function harness(peers = ["p"]) {
  const state = {
    reachable: false,
    connected: new Set<string>(),
    blocked: new Set<string>(),
    dials: [] as number[],
    failures: [] as { attempt: number; retryInMs: number }[],
  };
  const reconnector = new Reconnector(
    peers,
    options,
    {
      dial: async (peer) => {
        state.dials.push(Date.now());
        if (!state.reachable) throw new Error("connection refused");
        state.connected.add(peer);
        reconnector.connected(peer);
      },
      wantsDial: (peer) => !state.blocked.has(peer) && !state.connected.has(peer),
      onDialFailure: (_peer, _error, attempt, retryInMs) => state.failures.push({ attempt, retryInMs }),
    },
    () => 0, // the lower edge of every jitter range
  );
  return { state, reconnector };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("network reconnector", () => {
  it("dials every peer at start and retries a failing dial with doubling delays up to the maximum", async () => {
    const { state, reconnector } = harness(["p", "q"]);
    reconnector.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(state.dials).toEqual([0, 0]);
    state.dials.length = 0;
    await vi.advanceTimersByTimeAsync(3_000);
    const peerP = state.failures.filter((_, i) => i % 2 === 0);
    expect(peerP.map((f) => f.attempt)).toEqual(peerP.map((_, i) => i + 1));
    expect(peerP.slice(0, 7).map((f) => f.retryInMs)).toEqual([50, 100, 200, 400, 500, 500, 500]);
    expect(state.dials.filter((_, i) => i % 2 === 0).slice(0, 5)).toEqual([50, 150, 350, 750, 1250]);
    reconnector.stop();
  });

  it("stops dialling once connected and redials a lost connection after a short pause", async () => {
    const { state, reconnector } = harness();
    state.reachable = true;
    reconnector.start();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(state.dials).toEqual([0]);
    state.connected.delete("p");
    reconnector.disconnected("p");
    await vi.advanceTimersByTimeAsync(49);
    expect(state.dials).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.dials).toEqual([0, 5_050]);
    reconnector.stop();
  });

  it("escalates the backoff for connections closed soon after opening, as a refusing gater does", async () => {
    const { state, reconnector } = harness();
    state.reachable = true;
    reconnector.start();
    await vi.advanceTimersByTimeAsync(0);
    /** Drops the connection and returns how long the redial took to come. */
    const dropAndTimeRedial = async (): Promise<number> => {
      state.connected.delete("p");
      const droppedAt = Date.now();
      const dials = state.dials.length;
      reconnector.disconnected("p");
      while (state.dials.length === dials) await vi.advanceTimersByTimeAsync(10);
      return state.dials.at(-1)! - droppedAt;
    };
    const gaps: number[] = [];
    for (let i = 0; i < 6; i++) gaps.push(await dropAndTimeRedial());
    expect(gaps).toEqual([50, 100, 200, 400, 500, 500]);
    // A connection that lasted the longest backoff resets it.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await dropAndTimeRedial()).toBe(50);
    reconnector.stop();
  });

  it("leaves blocked peers alone and dials at once with a fresh backoff when released", async () => {
    const { state, reconnector } = harness();
    state.blocked.add("p");
    reconnector.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(state.dials).toEqual([]);
    state.blocked.delete("p");
    state.reachable = true;
    reconnector.retryNow("p");
    await vi.advanceTimersByTimeAsync(0);
    expect(state.dials).toEqual([10_000]);
    reconnector.stop();
  });

  it("cancels pending retries on stop", async () => {
    const { state, reconnector } = harness();
    reconnector.start();
    await vi.advanceTimersByTimeAsync(0);
    reconnector.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(state.dials).toEqual([0]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

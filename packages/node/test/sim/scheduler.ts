import type { Clock, TimerHandle } from "../../src/consensus/clock.ts";
import type { Prng } from "./prng.ts";

interface SimEvent {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void | Promise<void>;
  cancelled: boolean;
}

/**
 * Virtual time: a queue of events ordered by time (then by scheduling order). The simulation pops
 * one event, runs it and lets every effect settle before the next, so real I/O (LevelDB) takes no
 * virtual time and the order of events depends only on the seed.
 */
export class Scheduler {
  #now: number;
  #seq = 0;
  readonly #heap: SimEvent[] = [];

  constructor(startMs: number) {
    this.#now = startMs;
  }

  get now(): number {
    return this.#now;
  }

  at(time: number, run: () => void | Promise<void>): SimEvent {
    const event: SimEvent = { at: Math.max(time, this.#now), seq: this.#seq++, run, cancelled: false };
    this.#push(event);
    return event;
  }

  after(delayMs: number, run: () => void | Promise<void>): SimEvent {
    return this.at(this.#now + Math.max(0, delayMs), run);
  }

  /** Advances the clock to the next live event and returns it, or undefined when none is due by `until`. */
  next(until: number): SimEvent | undefined {
    while (this.#heap.length > 0) {
      const event = this.#heap[0]!;
      if (event.at > until) return undefined;
      this.#pop();
      if (event.cancelled) continue;
      this.#now = event.at;
      return event;
    }
    return undefined;
  }

  /** A node's clock: virtual time plus the node's current skew; timers die with `alive()`. */
  clock(skew: () => number, random: Prng, alive: () => boolean): Clock {
    return {
      now: () => this.#now + skew(),
      setTimer: (callback, delayMs) =>
        this.after(delayMs, () => {
          if (alive()) callback();
        }),
      clearTimer: (handle: TimerHandle) => {
        (handle as SimEvent).cancelled = true;
      },
      random: () => random.next(),
    };
  }

  #push(event: SimEvent): void {
    const heap = this.#heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

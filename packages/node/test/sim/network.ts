import type { PeerTransport } from "../../src/consensus/types.ts";
import type { Prng } from "./prng.ts";
import type { Scheduler } from "./scheduler.ts";

/** How unreliable the network is at the moment; the fault plan changes it during a run. */
export interface LinkFaults {
  dropRate: number;
  duplicateRate: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Chance that a message is held back long enough to arrive after later ones. */
  reorderRate: number;
  reorderDelayMs: number;
}

export const calmLinks: LinkFaults = {
  dropRate: 0,
  duplicateRate: 0,
  minDelayMs: 1,
  maxDelayMs: 5,
  reorderRate: 0,
  reorderDelayMs: 0,
};

type MessageHandler = (from: string, message: Uint8Array) => void;
type RequestHandler = (from: string, message: Uint8Array) => Promise<Uint8Array>;

interface Endpoint {
  onMessage?: MessageHandler;
  onRequest?: RequestHandler;
}

/** A request that gets no answer fails after this long, as a real transport's would. */
const REQUEST_TIMEOUT_MS = 1_000;

/**
 * The in-process network: every message goes through the scheduler, which drops, delays, duplicates
 * and reorders it as the current faults say, and never delivers across a partition or to a node
 * that is down. `observe` sees every message sent, for the invariant checks.
 */
export class SimNetwork {
  faults: LinkFaults = { ...calmLinks };
  /** Makes a node a faulty catch-up server: rewrites the replies it gives to requests. */
  tamperReplies: ((server: string, reply: Uint8Array) => Uint8Array) | undefined;
  /** Makes a node a faulty sender: rewrites (or, returning undefined, drops) what it sends. */
  tamperMessages: ((from: string, to: string, message: Uint8Array) => Uint8Array | undefined) | undefined;
  /** Sees every message as it is delivered (what a faulty member learns to forge from). */
  onDeliver: ((from: string, to: string, message: Uint8Array) => void) | undefined;
  readonly #scheduler: Scheduler;
  readonly #random: Prng;
  readonly #endpoints = new Map<string, Endpoint>();
  /** Node id → group; nodes in different groups cannot talk. Empty: no partition. */
  #groups = new Map<string, number>();
  readonly #observe: (from: string, message: Uint8Array) => void;

  constructor(scheduler: Scheduler, random: Prng, observe: (from: string, message: Uint8Array) => void) {
    this.#scheduler = scheduler;
    this.#random = random;
    this.#observe = observe;
  }

  /** A fresh endpoint for a node (re)starting; the previous incarnation's is gone. */
  attach(id: string, members: readonly string[]): PeerTransport {
    const endpoint: Endpoint = {};
    this.#endpoints.set(id, endpoint);
    const live = () => this.#endpoints.get(id) === endpoint;
    return {
      selfId: id,
      send: (to, message) => {
        if (live()) this.#send(id, to, message);
      },
      broadcast: (message) => {
        if (!live()) return;
        for (const to of members) if (to !== id) this.#send(id, to, message);
      },
      onMessage: (handler) => {
        endpoint.onMessage = handler;
      },
      request: (to, message, signal) => this.#request(id, to, message, signal),
      onRequest: (handler) => {
        endpoint.onRequest = handler;
      },
    };
  }

  detach(id: string): void {
    this.#endpoints.delete(id);
  }

  partition(groups: readonly (readonly string[])[]): void {
    this.#groups = new Map(groups.flatMap((group, i) => group.map((id) => [id, i] as const)));
  }

  heal(): void {
    this.#groups = new Map();
  }

  #connected(a: string, b: string): boolean {
    return (this.#groups.get(a) ?? -1) === (this.#groups.get(b) ?? -1);
  }

  /** Delivers arbitrary bytes as if `from` had sent them (a faulty member), unobserved. */
  inject(from: string, to: string, message: Uint8Array): void {
    this.#scheduler.after(this.#delay(), () => this.#endpoints.get(to)?.onMessage?.(from, message));
  }

  #send(from: string, to: string, sent: Uint8Array): void {
    this.#observe(from, sent);
    const message = this.tamperMessages === undefined ? sent : this.tamperMessages(from, to, sent);
    if (message === undefined) return;
    const copies = this.#random.chance(this.faults.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (this.#random.chance(this.faults.dropRate)) continue;
      this.#scheduler.after(this.#delay(), () => {
        const endpoint = this.#endpoints.get(to);
        if (!this.#connected(from, to) || endpoint?.onMessage === undefined) return;
        this.onDeliver?.(from, to, message);
        endpoint.onMessage(from, message);
      });
    }
  }

  #request(from: string, to: string, message: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        timeout.cancelled = true;
        outcome();
      };
      const timeout = this.#scheduler.after(REQUEST_TIMEOUT_MS, () =>
        settle(() => reject(new Error(`request to ${to} timed out`))),
      );
      signal?.addEventListener("abort", () => settle(() => reject(signal.reason)), { once: true });
      if (this.#random.chance(this.faults.dropRate)) return;
      this.#scheduler.after(this.#delay(), () => {
        const handler = this.#endpoints.get(to)?.onRequest;
        if (handler === undefined || !this.#connected(from, to)) return;
        handler(from, message).then(
          (reply) =>
            this.#scheduler.after(this.#delay(), () => {
              const sent = this.tamperReplies?.(to, reply) ?? reply;
              if (this.#connected(from, to)) settle(() => resolve(sent));
            }),
          (error: unknown) => this.#scheduler.after(this.#delay(), () => settle(() => reject(error))),
        );
      });
    });
  }

  #delay(): number {
    const f = this.faults;
    const base = this.#random.int(f.minDelayMs, f.maxDelayMs);
    return this.#random.chance(f.reorderRate) ? base + this.#random.int(0, f.reorderDelayMs) : base;
  }
}

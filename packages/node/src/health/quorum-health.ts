import { TempelError } from "@tempel/proto";
import type { PeerTransport } from "../consensus/index.ts";
import type { Logger } from "../logger/index.ts";

export interface QuorumHealthOptions {
  /**
   * A member this long silent counts as unreachable even while its connection stays open (a frozen
   * process or host keeps its sockets). A live member sends something far more often: followers
   * their certificate shares every second, a leader its heartbeats, a member without a leader its
   * pre-votes every election timeout.
   */
  readonly silenceMs: number;
  /** How often a change is looked for, to log it and to tell rounds waiting for a certificate. */
  readonly checkIntervalMs: number;
  /** Members, this node included, that must be reachable for a second to be committed and certified. */
  readonly needed: number;
}

export interface QuorumHealthModules {
  readonly selfId: string;
  /** Every member of the genesis, this node included. */
  readonly members: readonly string[];
  /** Members with an open connection to this node (the network's view). */
  connected(): readonly string[];
  /** A monotonic clock in milliseconds. */
  readonly now: () => number;
  readonly logger: Logger;
}

/** How many members this node can reach now, against how many it needs. */
export interface QuorumView {
  readonly members: number;
  readonly needed: number;
  /** The members reachable now, this node first. */
  readonly reachable: readonly string[];
}

/** Why a node without a quorum cannot sign; code NO_QUORUM. */
export class NoQuorumError extends TempelError<"NO_QUORUM"> {
  constructor(view: QuorumView) {
    super(
      "NO_QUORUM",
      `no quorum: ${view.reachable.length} of ${view.members} members reachable, ${view.needed} needed; ` +
        "this node signs again once enough members are back",
      { ...view },
    );
  }
}

/**
 * Whether this node can reach a quorum of the cluster: a member counts as reachable while it is
 * connected and has sent something within `silenceMs`. Without a quorum no second can be committed
 * or certified, so the node reports not ready and refuses to sign at once rather than let clients
 * wait for rounds that cannot end. Built on what the network already knows (its connections) and on
 * the messages agreement receives (`observe` passes them through), so agreement needs no change.
 */
export class QuorumHealth {
  readonly #options: QuorumHealthOptions;
  readonly #m: QuorumHealthModules;
  readonly #members: ReadonlySet<string>;
  readonly #lastHeard = new Map<string, number>();
  /** Aborted while the quorum is lacking (as last checked); a fresh one once it is back. */
  #watch = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #checking = false;

  constructor(options: QuorumHealthOptions, modules: QuorumHealthModules) {
    this.#options = options;
    this.#m = modules;
    this.#members = new Set(modules.members);
  }

  /** The transport with every message and answer from a member noted as a sign of life. */
  observe(transport: PeerTransport): PeerTransport {
    const heard = (peer: string) => this.heard(peer);
    return {
      selfId: transport.selfId,
      send: (to, message) => transport.send(to, message),
      broadcast: (message) => transport.broadcast(message),
      onMessage: (handler) =>
        transport.onMessage((from, message) => {
          heard(from);
          handler(from, message);
        }),
      request: async (to, message, signal) => {
        const answer = await transport.request(to, message, signal);
        heard(to);
        return answer;
      },
      onRequest: (handler) =>
        transport.onRequest((from, message) => {
          heard(from);
          return handler(from, message);
        }),
    };
  }

  /** `peer` was heard from just now. */
  heard(peer: string): void {
    if (peer !== this.#m.selfId && this.#members.has(peer)) this.#lastHeard.set(peer, this.#m.now());
  }

  /** Whether `id` is this node or a member reachable now. */
  isReachable(id: string): boolean {
    return id === this.#m.selfId || this.#reachablePeers().includes(id);
  }

  view(): QuorumView {
    return {
      members: this.#members.size,
      needed: this.#options.needed,
      reachable: [this.#m.selfId, ...this.#reachablePeers()],
    };
  }

  /**
   * Why this node cannot sign for lack of a quorum, or undefined while it has one. Asked on every
   * sign request, so the answer while the quorum holds is a count with no list built or sorted; the
   * view is built only for the refusal.
   */
  shortfall(): NoQuorumError | undefined {
    if (1 + this.#reachablePeerCount() >= this.#options.needed) return undefined;
    return new NoQuorumError(this.view());
  }

  /** Aborted (with a NoQuorumError) as soon as the quorum is found lacking; already so while it is. */
  lostSignal(): AbortSignal {
    if (this.#checking) this.#check();
    return this.#watch.signal;
  }

  /**
   * Checks begin once the members have had `silenceMs` to be heard from: a node that has just started
   * has heard from nobody yet, which is no loss to log (it reports not ready meanwhile all the same).
   */
  start(): void {
    this.#timer ??= setTimeout(() => {
      this.#checking = true;
      this.#timer = setInterval(() => this.#check(), this.#options.checkIntervalMs);
    }, this.#options.silenceMs);
  }

  stop(): void {
    clearTimeout(this.#timer);
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#checking = false;
  }

  #check(): void {
    const lacking = this.shortfall();
    const lost = this.#watch.signal.aborted;
    if (lacking !== undefined && !lost) {
      this.#m.logger.warn("quorum lost: signing refused until enough members are back", lacking.details);
      this.#watch.abort(lacking);
    } else if (lacking === undefined && lost) {
      this.#m.logger.info("quorum reachable again", { ...this.view() });
      this.#watch = new AbortController();
    }
  }

  #reachablePeers(): string[] {
    const now = this.#m.now();
    return this.#m
      .connected()
      .filter((peer) => this.#isLivePeer(peer, now))
      .sort();
  }

  #reachablePeerCount(): number {
    // A lone member (or a quorum of one) needs nobody: no need to ask the network at all.
    if (this.#options.needed <= 1) return 0;
    const now = this.#m.now();
    let count = 0;
    for (const peer of this.#m.connected()) if (this.#isLivePeer(peer, now)) count++;
    return count;
  }

  #isLivePeer(peer: string, now: number): boolean {
    return (
      peer !== this.#m.selfId &&
      this.#members.has(peer) &&
      now - (this.#lastHeard.get(peer) ?? Number.NEGATIVE_INFINITY) < this.#options.silenceMs
    );
  }
}

import type { Stream, StreamCloseEvent } from "@libp2p/interface";
import { concatBytes } from "@tempel/proto";
import { RequestError } from "./errors.ts";

/** A yamux data frame's default size: batching beyond it buys nothing. */
const MAX_BATCH_BYTES = 64 * 1024;

export type OutboundDropReason = "queue_full" | "unreachable" | "stopped";

export interface OutboundChannelDeps {
  /** Opens a stream to the peer over an existing connection; rejects when there is none. */
  open(signal: AbortSignal): Promise<Stream>;
  sent(): void;
  dropped(reason: OutboundDropReason, count: number, error?: unknown): void;
}

/**
 * One peer's outgoing one-way messages, in order, over one long-lived stream: a new stream per
 * message would cost a protocol negotiation round trip each time. Frames wait in a queue bounded in
 * bytes while the stream opens or while the transport asks us to wait (`send()` returned false,
 * until `drain`). On overflow the oldest frames go: the protocol retries on its timers, and a newer
 * message supersedes an older one. If the stream cannot be opened or breaks, the waiting frames are
 * dropped rather than kept for a peer that may be gone for long; the next message opens a new stream.
 */
export class OutboundChannel {
  readonly #maxQueuedBytes: number;
  readonly #openTimeoutMs: number;
  readonly #deps: OutboundChannelDeps;
  readonly #closed = new AbortController();
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #stream: Stream | null = null;
  #pumping = false;

  constructor(options: { maxQueuedBytes: number; openTimeoutMs: number }, deps: OutboundChannelDeps) {
    this.#maxQueuedBytes = options.maxQueuedBytes;
    this.#openTimeoutMs = options.openTimeoutMs;
    this.#deps = deps;
  }

  enqueue(frame: Uint8Array): void {
    if (this.#closed.signal.aborted) {
      this.#deps.dropped("stopped", 1);
      return;
    }
    this.#queue.push(frame);
    this.#queuedBytes += frame.length;
    let overflow = 0;
    while (this.#queuedBytes > this.#maxQueuedBytes) {
      this.#queuedBytes -= this.#queue.shift()!.length;
      overflow++;
    }
    if (overflow > 0) this.#deps.dropped("queue_full", overflow);
    if (!this.#pumping) {
      this.#pumping = true;
      // Writing from a microtask lets every message sent in the same tick share one write.
      queueMicrotask(() => void this.#pump());
    }
  }

  /** Drops what waits and refuses further frames; the stream itself ends with its connection. */
  close(): void {
    this.#closed.abort();
    const dropped = this.#queue.length;
    this.#queue = [];
    this.#queuedBytes = 0;
    if (dropped > 0) this.#deps.dropped("stopped", dropped);
  }

  async #pump(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const stream = this.#stream?.writeStatus === "writable" ? this.#stream : await this.#open();
        const count = this.#batchLength();
        const frames = this.#queue.slice(0, count);
        const writable = stream.send(count === 1 ? frames[0] : concatBytes(...frames));
        this.#queue.splice(0, count);
        for (const frame of frames) {
          this.#queuedBytes -= frame.length;
          this.#deps.sent();
        }
        if (!writable) await drained(stream, this.#closed.signal);
      }
    } catch (error) {
      const dropped = this.#queue.length;
      this.#queue = [];
      this.#queuedBytes = 0;
      if (dropped > 0) this.#deps.dropped("unreachable", dropped, error);
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Frames that queued up while the stream opened or drained go out in one write: each write costs
   * a muxer frame, an encryption and a syscall, which dominate for small messages.
   */
  #batchLength(): number {
    let count = 1;
    let bytes = this.#queue[0].length;
    while (count < this.#queue.length && bytes + this.#queue[count].length <= MAX_BATCH_BYTES) {
      bytes += this.#queue[count].length;
      count++;
    }
    return count;
  }

  async #open(): Promise<Stream> {
    const signal = AbortSignal.any([this.#closed.signal, AbortSignal.timeout(this.#openTimeoutMs)]);
    const stream = await this.#deps.open(signal);
    stream.addEventListener(
      "close",
      () => {
        if (this.#stream === stream) this.#stream = null;
      },
      { once: true },
    );
    this.#stream = stream;
    return stream;
  }
}

/**
 * Resolves on the stream's next `drain` event. Not `stream.onDrain()`: in @libp2p/utils 7.4 it keeps
 * its first promise after that has resolved, so from the second wait on it no longer waits.
 */
function drained(stream: Stream, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (finish: () => void): void => {
      stream.removeEventListener("drain", onDrain);
      stream.removeEventListener("close", onClose);
      signal.removeEventListener("abort", onAbort);
      finish();
    };
    const onDrain = (): void => settle(resolve);
    const onClose = (event: StreamCloseEvent): void =>
      settle(() =>
        reject(event.error ?? new RequestError("PEER_UNREACHABLE", "stream closed while sending")),
      );
    const onAbort = (): void => settle(() => reject(signal.reason));
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    stream.addEventListener("drain", onDrain);
    stream.addEventListener("close", onClose);
    signal.addEventListener("abort", onAbort);
  });
}

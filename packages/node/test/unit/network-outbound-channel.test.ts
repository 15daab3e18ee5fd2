import type { Stream } from "@libp2p/interface";
import { streamPair } from "@libp2p/utils";
import { describe, expect, it } from "vitest";
import { encodeFrame, FrameDecoder } from "../../src/network/frame.ts";
import { OutboundChannel, type OutboundDropReason } from "../../src/network/outbound-channel.ts";

const frame = (n: number) => encodeFrame(Uint8Array.of(n));

/** The far end of a stream: the payloads it has received, in order. */
function receiver(stream: Stream): number[] {
  const received: number[] = [];
  const decoder = new FrameDecoder(16);
  stream.addEventListener("message", (event) => {
    for (const payload of decoder.push(event.data.subarray())) received.push(payload[0]);
  });
  return received;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > 500) throw new Error("condition not reached");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function channel(open: (signal: AbortSignal) => Promise<Stream>, maxQueuedBytes = 1_000) {
  const log = { opened: 0, sent: 0, dropped: [] as [OutboundDropReason, number][] };
  const outbound = new OutboundChannel(
    { maxQueuedBytes, openTimeoutMs: 1_000 },
    {
      open: (signal) => {
        log.opened++;
        return open(signal);
      },
      sent: () => log.sent++,
      dropped: (reason, count) => log.dropped.push([reason, count]),
    },
  );
  return { outbound, log };
}

describe("network outbound channel", () => {
  it("sends every frame in order over one stream opened once", async () => {
    const [local, remote] = await streamPair();
    const received = receiver(remote);
    const { outbound, log } = channel(async () => local);
    for (let i = 0; i < 20; i++) outbound.enqueue(frame(i));
    await until(() => received.length === 20);
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(log).toEqual({ opened: 1, sent: 20, dropped: [] });
  });

  it("stops writing while the transport asks to wait and resumes on drain", async () => {
    const [local, remote] = await streamPair({ capacity: 1, delay: 1 });
    const send = local.send.bind(local);
    let sentWhileFull = 0;
    local.send = (data) => {
      if (local.writableNeedsDrain) sentWhileFull++;
      return send(data);
    };
    const received = receiver(remote);
    const { outbound } = channel(async () => local);
    for (let i = 0; i < 50; i++) outbound.enqueue(frame(i));
    await until(() => received.length === 50);
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(sentWhileFull).toBe(0);
  });

  it("drops the oldest waiting frames beyond the byte bound", async () => {
    const [local, remote] = await streamPair();
    const received = receiver(remote);
    let opened!: (stream: Stream) => void;
    const { outbound, log } = channel(
      () => new Promise((resolve) => (opened = resolve)),
      3 * frame(0).length,
    );
    for (let i = 0; i < 5; i++) outbound.enqueue(frame(i));
    await until(() => log.opened === 1);
    opened(local);
    await until(() => received.length === 3);
    expect(received).toEqual([2, 3, 4]);
    expect(log.dropped).toEqual([
      ["queue_full", 1],
      ["queue_full", 1],
    ]);
  });

  it("drops what waits when no stream can be opened and tries again for the next frame", async () => {
    const [local, remote] = await streamPair();
    const received = receiver(remote);
    let reachable = false;
    const { outbound, log } = channel(async () => {
      if (!reachable) throw new Error("not connected");
      return local;
    });
    outbound.enqueue(frame(1));
    outbound.enqueue(frame(2));
    await until(() => log.dropped.length === 1);
    expect(log.dropped).toEqual([["unreachable", 2]]);
    reachable = true;
    outbound.enqueue(frame(3));
    await until(() => received.length === 1);
    expect(received).toEqual([3]);
  });

  it("opens a new stream once the old one has closed", async () => {
    const pairs = [await streamPair(), await streamPair()];
    const received = pairs.map(([, remote]) => receiver(remote));
    const { outbound, log } = channel(async () => pairs[log.opened - 1][0]);
    outbound.enqueue(frame(1));
    await until(() => received[0].length === 1);
    pairs[0][1].abort(new Error("the peer resets the stream"));
    await until(() => pairs[0][0].status !== "open");
    outbound.enqueue(frame(2));
    await until(() => received[1].length === 1);
    expect(received).toEqual([[1], [2]]);
    expect(log.opened).toBe(2);
  });

  it("drops waiting frames and refuses new ones once closed", async () => {
    const { outbound, log } = channel(() => new Promise(() => {}));
    outbound.enqueue(frame(1));
    outbound.close();
    outbound.enqueue(frame(2));
    expect(log.dropped).toEqual([
      ["stopped", 1],
      ["stopped", 1],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(log.opened).toBe(0);
  });
});

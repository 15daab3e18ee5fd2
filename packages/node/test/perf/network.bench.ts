/**
 * Latency of the cluster network on loopback, against agreement's budget of ~100 ms per exchange:
 * three real libp2p members in one process (TCP, noise, yamux), measuring
 * - a direct exchange: send() to a member that send()s straight back (a vote or append and its ack);
 * - a broadcast answered by both other members (the leader's append: first ack = majority of 3);
 * - request()/response on a fresh stream per exchange (catch-up), small and 1 MiB answers;
 * - pipelined one-way throughput: many send()s in a row until all have arrived.
 * Run: npx node packages/node/test/perf/network.bench.ts [exchanges]
 */
import { fullyConnected, startCluster, type TestNode, utf8 } from "../e2e/network-fixtures.ts";
import { waitFor } from "../e2e/node-fixtures.ts";

const exchanges = Number(process.argv[2] ?? 2_000);
const WARM_UP = 200;

function summary(name: string, millis: number[]): string {
  const sorted = [...millis].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(3);
  return `${name.padEnd(44)} n=${sorted.length}  p50 ${at(0.5)}  p90 ${at(0.9)}  p99 ${at(0.99)}  max ${sorted.at(-1)!.toFixed(3)} ms`;
}

/** Times `exchange` sequentially, dropping the warm-up runs. */
async function time(count: number, exchange: (i: number) => Promise<void>): Promise<number[]> {
  const millis: number[] = [];
  for (let i = 0; i < WARM_UP + count; i++) {
    const started = performance.now();
    await exchange(i);
    if (i >= WARM_UP) millis.push(performance.now() - started);
  }
  return millis;
}

/** Collects the arrival times of the replies to each sequence number. */
class Replies {
  readonly #waiting = new Map<
    number,
    { times: number[]; count: number; resolve: (times: number[]) => void }
  >();

  constructor(node: TestNode) {
    node.network.onMessage((_from, message) => {
      const seq = new DataView(message.buffer, message.byteOffset).getUint32(0);
      const waiter = this.#waiting.get(seq);
      if (waiter === undefined) return;
      waiter.times.push(performance.now());
      if (waiter.times.length === waiter.count) {
        this.#waiting.delete(seq);
        waiter.resolve(waiter.times);
      }
    });
  }

  expect(seq: number, count: number): Promise<number[]> {
    return new Promise((resolve) => this.#waiting.set(seq, { times: [], count, resolve }));
  }
}

function numbered(seq: number, size: number): Uint8Array {
  const message = new Uint8Array(size);
  new DataView(message.buffer).setUint32(0, seq);
  return message;
}

const startedAt = performance.now();
const { nodes } = await startCluster(3);
await waitFor("a full mesh", () => fullyConnected(nodes));
console.log(`3 members connected in ${(performance.now() - startedAt).toFixed(0)} ms (create, start, dial)`);
const [a, b, c] = nodes;

// b and c echo every one-way message back to its sender.
for (const echo of [b, c]) echo.network.onMessage((from, message) => echo.network.send(from, message));
const replies = new Replies(a);

const direct = await time(exchanges, async (i) => {
  const reply = replies.expect(i, 1);
  a.network.send(b.member.id, numbered(i, 200));
  await reply;
});
console.log(summary("send + send back (200 B)", direct));

const firstAck: number[] = [];
const bothAcks = await time(exchanges, async (i) => {
  const seq = exchanges + WARM_UP + i;
  const acks = replies.expect(seq, 2);
  const started = performance.now();
  a.network.broadcast(numbered(seq, 200));
  const [first] = await acks;
  if (i >= WARM_UP) firstAck.push(first - started);
});
console.log(summary("broadcast, first ack (majority of 3)", firstAck));
console.log(summary("broadcast, both acks", bothAcks));

b.network.onRequest(async (_from, message) => message);
const small = await time(exchanges, async (i) => {
  await a.network.request(b.member.id, numbered(i, 200));
});
console.log(summary("request/response (200 B)", small));

const big = new Uint8Array(1024 * 1024);
b.network.onRequest(async () => big);
const large = await time(Math.min(200, exchanges), async (i) => {
  await a.network.request(b.member.id, numbered(i, 16));
});
console.log(summary("request/response (1 MiB answer)", large));

const pipelined = 20_000;
let arrived = 0;
const allArrived = new Promise<void>((resolve) =>
  b.network.onMessage(() => {
    if (++arrived === pipelined) resolve();
  }),
);
const pipeStart = performance.now();
for (let i = 0; i < pipelined; i++) a.network.send(b.member.id, utf8(`message ${i}`.padEnd(200)));
await allArrived;
const pipeSeconds = (performance.now() - pipeStart) / 1000;
console.log(
  `${"pipelined send (200 B)".padEnd(44)} ${pipelined} messages in ${(pipeSeconds * 1000).toFixed(0)} ms = ${Math.round(pipelined / pipeSeconds)} msg/s; dropped ${a.metrics.total("dropped")}`,
);

await Promise.all(nodes.map((node) => node.network.stop()));

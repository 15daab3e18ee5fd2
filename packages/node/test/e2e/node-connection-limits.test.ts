import { mkdtempSync, rmSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeAggregationResponsePdu, encodeAggregationRequestPdu } from "@tempel/proto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { InitResult } from "../../src/genesis/index.ts";
import { silentLogger } from "../../src/logger/logger.ts";
import { type RunningNode, startNode } from "../../src/node.ts";
import { postBytes } from "../perf/load-client.ts";
import { initTestNode, randomImprint, TestClient } from "./node-fixtures.ts";
import { RawConnection } from "./raw-http.ts";

// Real sockets against a real node whose caps are small: 6 connections, 3 from one address, and
// 1.5 s for a first request. Linux routes all of 127.0.0.0/8 to loopback, so 127.0.0.2 and
// 127.0.0.3 are other client addresses.
const MAX = 6;
const PER_ADDRESS = 3;
const FIRST_REQUEST_MS = 1500;

let dir: string;
let init: InitResult;
let node: RunningNode;
let client: TestClient;
let opened: RawConnection[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tempel-limits-"));
  let config: Awaited<ReturnType<typeof initTestNode>>["config"];
  ({ init, config } = await initTestNode(join(dir, "a")));
  config.api.maxConnections = MAX;
  config.api.maxConnectionsPerAddress = PER_ADDRESS;
  config.api.firstRequestTimeoutMs = FIRST_REQUEST_MS;
  node = await startNode(config, silentLogger);
  client = new TestClient(node.port, init.agency);
});

afterEach(async () => {
  for (const connection of opened) connection.close();
  opened = [];
  // The node counts a connection out when it sees it close.
  await new Promise((resolve) => setTimeout(resolve, 100));
});

afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(from?: string): Promise<RawConnection> {
  const connection = await RawConnection.open(node.port, from);
  opened.push(connection);
  return connection;
}

/** Whether the node closed the connection within `ms`. */
async function closedWithin(connection: RawConnection, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const closed = await Promise.race([connection.closed().then(() => true as const), timeout]);
  clearTimeout(timer);
  return closed;
}

/** Signs one hash over `connection` and says whether a signature came back. */
async function signsOver(connection: RawConnection): Promise<boolean> {
  const body = encodeAggregationRequestPdu(
    { header: { loginId: init.agency.loginId }, requests: [{ requestId: 1n, requestHash: randomImprint() }] },
    new TextEncoder().encode(init.agency.key),
  );
  await connection.send(postBytes("/ksi/aggregator", { "content-type": "application/ksi-request" }, body));
  const answer = await connection.response();
  const { pdu } = decodeAggregationResponsePdu(new Uint8Array(answer.body));
  return answer.status === 200 && pdu.responses[0]?.aggregationChains.length === 1;
}

function refusedCount(reason: string): Promise<number> {
  // Asked from an address of its own, which the caps leave room for.
  return new Promise((resolve, reject) => {
    get(
      { host: "127.0.0.1", port: node.port, path: "/metrics", localAddress: "127.0.0.9", agent: false },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () => {
          const line = new RegExp(
            `^tempel_http_refused_connections_total\\{reason="${reason}"\\} (\\d+)$`,
            "m",
          ).exec(text);
          resolve(line === null ? 0 : Number(line[1]));
        });
      },
    ).on("error", reject);
  });
}

describe("connection caps", () => {
  it("closes connections over the per-address cap as they come, and keeps signing on the others", async () => {
    const before = await refusedCount("per_address");
    const held = [await connect(), await connect(), await connect()];
    const over = await connect();
    expect(await closedWithin(over, 1000)).toBe(true);
    expect(await refusedCount("per_address")).toBe(before + 1);
    // Another address is not held back by this one's connections, and the held ones still sign.
    expect(await signsOver(await connect("127.0.0.2"))).toBe(true);
    expect(await signsOver(held[0]!)).toBe(true);
    // A connection closed makes room for a new one from that address.
    held[1]!.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await signsOver(await connect())).toBe(true);
  });

  it("closes connections over the total cap, from whatever address", async () => {
    const before = await refusedCount("total");
    const held: RawConnection[] = [];
    for (const from of ["127.0.0.1", "127.0.0.2"])
      for (let i = 0; i < PER_ADDRESS; i++) held.push(await connect(from));
    const over = await connect("127.0.0.3");
    expect(await closedWithin(over, 1000)).toBe(true);
    // Room for the metrics request.
    held[0]!.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await refusedCount("total")).toBe(before + 1);
  });

  it("keeps signing while idle clients hold connections up to their per-address cap", async () => {
    for (const from of ["127.0.0.2", "127.0.0.3"])
      for (let i = 0; i < PER_ADDRESS - 1; i++) await connect(from);
    const [signature] = await client.signPdu([randomImprint()]);
    expect((await client.verify(signature!)).calendar.result).toBe("OK");
  });
});

describe("the first-request timeout", () => {
  it("closes a connection that sends nothing after the timeout, not before", async () => {
    const silent = await connect();
    expect(await closedWithin(silent, FIRST_REQUEST_MS - 500)).toBe(false);
    expect(await closedWithin(silent, 2000)).toBe(true);
  });

  it("closes a connection that sends its head a byte at a time (handed to node:http) after the timeout", async () => {
    const slow = await connect();
    const head =
      "POST /ksi/aggregator HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/ksi-request\r\n";
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < head.length) slow.send(head[sent++]!).catch(() => undefined);
    }, 100);
    try {
      const started = performance.now();
      expect(await closedWithin(slow, FIRST_REQUEST_MS + 2500)).toBe(true);
      expect(performance.now() - started).toBeGreaterThan(FIRST_REQUEST_MS - 200);
    } finally {
      clearInterval(drip);
    }
  });
});

describe("a client's close", () => {
  it("lets go of the connection at once, not at the timeout", async () => {
    const closing = await connect();
    closing.socket.end();
    expect(await closedWithin(closing, 500)).toBe(true);
  });
});

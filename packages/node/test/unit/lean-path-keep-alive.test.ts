import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LeanPath } from "../../src/api/lean-path.ts";

const TYPE = "application/ksi-request";
const KEEP_ALIVE_MS = 200;

let server: Server | undefined;
let client: Socket | undefined;

afterEach(() => {
  client?.destroy();
  server?.close();
});

/** A lean path on loopback whose one route echoes the body. */
async function echoServer(): Promise<number> {
  const lean = new LeanPath(
    {
      requestContentType: TYPE,
      responseContentType: TYPE,
      maxPduBytes: 1024,
      firstRequestTimeoutMs: 5_000,
      keepAliveTimeoutMs: KEEP_ALIVE_MS,
    },
    {
      routes: new Map([["/echo", { endpoint: "echo", answer: (body: Uint8Array) => body }]]),
      handOver: (socket) => socket.destroy(),
      failure: () => ({ status: 500, contentType: TYPE, body: new Uint8Array() }),
      answered: () => undefined,
    },
  );
  server = createServer((socket) => lean.accept(socket));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

const request = (body: string) =>
  `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${TYPE}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

/** Resolves with each answer's body as it comes, and with "closed" when the server closes. */
function answers(socket: Socket): () => Promise<string> {
  let received = "";
  let closed = false;
  let wake: (() => void) | undefined;
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("latin1");
    wake?.();
  });
  socket.on("close", () => {
    closed = true;
    wake?.();
  });
  socket.on("error", () => undefined);
  return async () => {
    for (;;) {
      const match = /\r\n\r\n/.exec(received);
      if (match !== null) {
        const length = Number(/content-length: (\d+)/i.exec(received.slice(0, match.index))![1]);
        const end = match.index + 4 + length;
        if (received.length >= end) {
          const body = received.slice(match.index + 4, end);
          received = received.slice(end);
          return body;
        }
      }
      if (closed) return "closed";
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };
}

describe("the lean path's keep-alive timeout", () => {
  it("answers a request that arrived while the event loop was blocked past the timeout, instead of closing", async () => {
    const port = await echoServer();
    client = connect({ host: "127.0.0.1", port });
    const next = answers(client);
    client.write(request("first"));
    expect(await next()).toBe("first");
    await new Promise((resolve) => setTimeout(resolve, KEEP_ALIVE_MS - 50));
    // From the check phase, so that the next loop iteration runs timers (the server's idle timeout,
    // past due by then) before its poll reads the request the client wrote just before the block.
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        client!.write(request("second"));
        const blockedUntil = Date.now() + 2 * KEEP_ALIVE_MS;
        while (Date.now() < blockedUntil);
        resolve();
      }),
    );
    expect(await next()).toBe("second");
  });

  it("still closes a connection that stays idle for the timeout", async () => {
    const port = await echoServer();
    client = connect({ host: "127.0.0.1", port });
    const next = answers(client);
    client.write(request("only"));
    expect(await next()).toBe("only");
    expect(await next()).toBe("closed");
  });
});

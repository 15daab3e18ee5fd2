import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AbortedError, NetworkError, ProtocolError, ServiceError } from "../../src/errors.ts";
import { nodeHttpTransport } from "../../src/node/http-transport.ts";
import { EndpointPool, type EndpointPoolOptions } from "../../src/transport/endpoint-pool.ts";
import type { HttpAnswer, HttpRequest, HttpTransport } from "../../src/transport/http-transport.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];

async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port that was just listened on and closed: connecting to it is refused. */
async function deadEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return url;
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

const parseJson = async (response: HttpAnswer, endpoint: string) => {
  if (response.status >= 500) {
    throw new ServiceError("SERVER", `${endpoint}: ${response.status}`, {
      httpStatus: response.status,
      retryable: true,
    });
  }
  if (response.status >= 400) {
    throw new ServiceError("CLIENT", `${endpoint}: ${response.status}`, {
      httpStatus: response.status,
      retryable: false,
    });
  }
  try {
    return JSON.parse(new TextDecoder().decode(await response.bytes(1024, "answer"))) as { node: string };
  } catch {
    throw new ProtocolError("GARBAGE", `${endpoint} answered garbage`);
  }
};

const ok =
  (name: string): Handler =>
  (_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ node: name }));
  };

const GET: HttpRequest = { method: "GET" };

describe.each([
  ["fetch", undefined],
  ["node:http", nodeHttpTransport()],
] as const)("EndpointPool over %s", (_name, transport: HttpTransport | undefined) => {
  const pooled = (options: EndpointPoolOptions) =>
    new EndpointPool({ ...options, ...(transport !== undefined && { transport }) });

  it("fails over past an endpoint that refuses connections", async () => {
    const pool = pooled({ endpoints: [await deadEndpoint(), await serve(ok("b"))], backoffMs: 1 });
    for (let i = 0; i < 4; i++) {
      expect((await pool.request("/x", GET, parseJson)).node).toBe("b");
    }
  });

  it("fails over past an endpoint that answers garbage", async () => {
    const garbage = await serve((_req, res) => res.end("\x00\x01not json"));
    const pool = pooled({ endpoints: [garbage, await serve(ok("good"))], backoffMs: 1 });
    expect((await pool.request("/x", GET, parseJson)).node).toBe("good");
  });

  it("fails over past an endpoint that times out", async () => {
    const silent = await serve(() => {});
    const pool = pooled({
      endpoints: [silent, await serve(ok("fast"))],
      timeoutMs: 200,
      backoffMs: 1,
    });
    expect((await pool.request("/x", GET, parseJson)).node).toBe("fast");
  });

  it("returns a final service error at once without trying other endpoints", async () => {
    let otherCalls = 0;
    const rejecting = await serve((_req, res) => {
      res.statusCode = 401;
      res.end("{}");
    });
    const other = await serve((req, res) => {
      otherCalls++;
      ok("other")(req, res);
    });
    const pool = pooled({ endpoints: [rejecting, other] });
    await expect(pool.request("/x", GET, parseJson)).rejects.toMatchObject({
      code: "CLIENT",
      httpStatus: 401,
    });
    expect(otherCalls).toBe(0);
  });

  it("reports every endpoint down as a NetworkError that says what to check", async () => {
    const pool = pooled({
      endpoints: [await deadEndpoint(), await deadEndpoint()],
      retries: 2,
      backoffMs: 1,
    });
    const error = await pool.request("/x", GET, parseJson).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).code).toBe("UNAVAILABLE");
    expect((error as NetworkError).message).toMatch(/cluster is running/);
  });

  it("answers from the hedged endpoint when the first is slow", async () => {
    const slow = await serve((req, res) => setTimeout(() => ok("slow")(req, res), 2_000));
    const pool = pooled({ endpoints: [slow, await serve(ok("hedge"))], hedgeAfterMs: 50 });
    expect((await pool.request("/x", GET, parseJson)).node).toBe("hedge");
  });

  it("stops at once when the caller aborts", async () => {
    const silent = await serve(() => {});
    const pool = pooled({ endpoints: [silent], timeoutMs: 30_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(pool.request("/x", GET, parseJson, controller.signal)).rejects.toBeInstanceOf(AbortedError);
  });
});

describe("nodeHttpTransport", () => {
  const transport = nodeHttpTransport();

  it("refuses a body past its bound, declared or streamed", async () => {
    const declared = await serve((_req, res) => res.end("x".repeat(100)));
    const answer = await transport(declared, GET);
    await expect(answer.bytes(99, "the answer")).rejects.toMatchObject({ code: "RESPONSE_TOO_LARGE" });
    const streamed = await serve((_req, res) => {
      res.write("x".repeat(60));
      setTimeout(() => res.end("x".repeat(60)), 20);
    });
    await expect((await transport(streamed, GET)).bytes(99, "the answer")).rejects.toMatchObject({
      code: "RESPONSE_TOO_LARGE",
    });
  });

  it("reads a body in pieces as a plain byte array, and refuses one cut short", async () => {
    const pieces = await serve((_req, res) => {
      res.write("ab");
      setTimeout(() => res.end("cd"), 20);
    });
    const body = await (await transport(pieces, GET)).bytes(4, "the answer");
    expect(Object.getPrototypeOf(body)).toBe(Uint8Array.prototype);
    expect(new TextDecoder().decode(body)).toBe("abcd");
    const cut = await serve((_req, res) => {
      res.setHeader("content-length", "10");
      res.write("abc");
      setTimeout(() => res.destroy(), 20);
    });
    await expect((await transport(cut, GET)).bytes(10, "the answer")).rejects.toThrow();
  });

  it("sends a request again, once, when a kept-alive connection is reset under it", async () => {
    // Answers the first request of each connection and resets the connection at its second.
    const served = new WeakMap<object, number>();
    const url = await serve((req, res) => {
      const count = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, count);
      if (count > 1) req.socket.destroy();
      else res.end(`answer ${count}`);
    });
    const posted: HttpRequest = {
      method: "POST",
      contentType: "text/plain",
      body: new TextEncoder().encode("q"),
    };
    for (let i = 0; i < 2; i++) {
      const answer = await transport(url, posted);
      expect(new TextDecoder().decode(await answer.bytes(100, "the answer"))).toBe("answer 1");
    }
  });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AbortedError, NetworkError, ProtocolError, ServiceError } from "../../src/errors.ts";
import { EndpointPool } from "../../src/transport/endpoint-pool.ts";

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

const parseJson = async (response: Response, endpoint: string) => {
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
    return (await response.json()) as { node: string };
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

describe("EndpointPool", () => {
  it("fails over past an endpoint that refuses connections", async () => {
    const pool = new EndpointPool({ endpoints: [await deadEndpoint(), await serve(ok("b"))], backoffMs: 1 });
    for (let i = 0; i < 4; i++) {
      expect((await pool.request("/x", {}, parseJson)).node).toBe("b");
    }
  });

  it("fails over past an endpoint that answers garbage", async () => {
    const garbage = await serve((_req, res) => res.end("\x00\x01not json"));
    const pool = new EndpointPool({ endpoints: [garbage, await serve(ok("good"))], backoffMs: 1 });
    expect((await pool.request("/x", {}, parseJson)).node).toBe("good");
  });

  it("fails over past an endpoint that times out", async () => {
    const silent = await serve(() => {});
    const pool = new EndpointPool({
      endpoints: [silent, await serve(ok("fast"))],
      timeoutMs: 200,
      backoffMs: 1,
    });
    expect((await pool.request("/x", {}, parseJson)).node).toBe("fast");
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
    const pool = new EndpointPool({ endpoints: [rejecting, other] });
    await expect(pool.request("/x", {}, parseJson)).rejects.toMatchObject({
      code: "CLIENT",
      httpStatus: 401,
    });
    expect(otherCalls).toBe(0);
  });

  it("reports every endpoint down as a NetworkError that says what to check", async () => {
    const pool = new EndpointPool({
      endpoints: [await deadEndpoint(), await deadEndpoint()],
      retries: 2,
      backoffMs: 1,
    });
    const error = await pool.request("/x", {}, parseJson).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).code).toBe("UNAVAILABLE");
    expect((error as NetworkError).message).toMatch(/cluster is running/);
  });

  it("answers from the hedged endpoint when the first is slow", async () => {
    const slow = await serve((req, res) => setTimeout(() => ok("slow")(req, res), 2_000));
    const pool = new EndpointPool({ endpoints: [slow, await serve(ok("hedge"))], hedgeAfterMs: 50 });
    expect((await pool.request("/x", {}, parseJson)).node).toBe("hedge");
  });

  it("stops at once when the caller aborts", async () => {
    const silent = await serve(() => {});
    const pool = new EndpointPool({ endpoints: [silent], timeoutMs: 30_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(pool.request("/x", {}, parseJson, controller.signal)).rejects.toBeInstanceOf(AbortedError);
  });
});

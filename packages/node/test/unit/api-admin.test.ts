import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminHandler } from "../../src/api/admin.ts";
import { HttpError } from "../../src/api/http-error.ts";
import { silentLogger } from "../../src/logger/index.ts";

const PEERS = ["peer-a", "peer-b"];
const calls: string[][] = [];
const handle = adminHandler({
  peers: PEERS,
  setBlocked: async (peerIds) => {
    calls.push([...peerIds]);
  },
  logger: silentLogger,
});

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    handle(request, response, new URL(request.url ?? "/", "http://node")).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      response.writeHead(status).end(error instanceof HttpError ? error.code : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/partition`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function post(body: string, type = "application/json"): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": type }, body });
}

describe("the admin partition endpoint", () => {
  it("blocks the peers named in a POST and unblocks all on DELETE", async () => {
    calls.length = 0;
    const blocked = await post(JSON.stringify({ blocked: ["peer-b"] }));
    expect(blocked.status).toBe(200);
    expect(await blocked.json()).toEqual({ blocked: ["peer-b"] });
    const healed = await fetch(url, { method: "DELETE" });
    expect(healed.status).toBe(200);
    expect(await healed.json()).toEqual({ blocked: [] });
    expect(calls).toEqual([["peer-b"], []]);
  });

  it("refuses bodies that are not a list of distinct other members, and changes nothing", async () => {
    calls.length = 0;
    const refused = [
      JSON.stringify({ blocked: ["peer-c"] }),
      JSON.stringify({ blocked: ["peer-a", "peer-a"] }),
      JSON.stringify({ blocked: "peer-a" }),
      JSON.stringify({ blocked: [1] }),
      JSON.stringify({ blocked: ["peer-a", "peer-b", "peer-a"] }),
      JSON.stringify({ blocked: [], heal: true }),
      JSON.stringify(["peer-a"]),
      "{",
    ];
    for (const body of refused) expect((await post(body)).status, body).toBe(400);
    expect((await post(JSON.stringify({ blocked: [] }), "text/plain")).status).toBe(415);
    expect((await post(JSON.stringify({ blocked: ["x".repeat(20_000)] }))).status).toBe(413);
    expect((await fetch(url)).status).toBe(405);
    expect(calls).toEqual([]);
  });

  it("answers loopback clients only", async () => {
    const request = {
      socket: { remoteAddress: "192.0.2.7" },
      method: "DELETE",
      headers: { host: "127.0.0.1:3131" },
    };
    await expect(
      handle(
        request as unknown as IncomingMessage,
        {} as ServerResponse,
        new URL("http://node/admin/partition"),
      ),
    ).rejects.toMatchObject({ status: 403, code: "ADMIN_LOOPBACK_ONLY" });
    const mapped = { ...request, socket: { remoteAddress: "::ffff:127.0.0.1" } };
    const response = { writeHead: () => response, end: () => response, setHeader: () => {} };
    await expect(
      handle(
        mapped as unknown as IncomingMessage,
        response as unknown as ServerResponse,
        new URL("http://node"),
      ),
    ).resolves.toBeUndefined();
  });

  it("refuses a request for another Host, as a page rebound to 127.0.0.1 sends, and changes nothing", async () => {
    calls.length = 0;
    const { port } = new URL(url);
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const sent = request(
          { host: "127.0.0.1", port, path: "/admin/partition", method: "DELETE", headers: { host } },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        sent.on("error", reject);
        sent.end();
      });
    for (const host of [
      "evil.example",
      `evil.example:${port}`,
      "127.0.0.1.evil.example",
      "localhost.evil",
      "10.0.0.1",
    ])
      expect(await status(host), host).toBe(403);
    expect(calls).toEqual([]);
    for (const host of [
      "127.0.0.1",
      `127.0.0.1:${port}`,
      "[::1]",
      `[::1]:${port}`,
      "localhost",
      `LOCALHOST:${port}`,
    ])
      expect(await status(host), host).toBe(200);
    expect(calls).toHaveLength(6);
  });
});

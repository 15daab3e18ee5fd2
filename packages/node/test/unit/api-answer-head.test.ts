import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerHead, contentFields, headText } from "../../src/api/answer-head.ts";
import { CrossOriginResponse } from "../../src/api/cors.ts";
import { sendBytes, sendError } from "../../src/api/respond.ts";
import { RawConnection, type WireResponse } from "../e2e/raw-http.ts";

// node:http's path (CrossOriginResponse, sendBytes, sendError) against the lean path's headText for
// the same answer: a Node.js release that changes what node:http writes fails here, not in a client.

const PDU = new Uint8Array([0x02, 0x21, 0x00, 0x01, 0x00]);
let server: Server;
let port: number;
const open: RawConnection[] = [];

beforeAll(async () => {
  server = createServer({ ServerResponse: CrossOriginResponse }, (request, response) => {
    if (request.url === "/refused") sendError(response, 503, "OVERLOAD", "too many", { "retry-after": "1" });
    else sendBytes(response, 200, "application/ksi-response", PDU);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const connection of open) connection.close();
  await new Promise((resolve) => server.close(resolve));
});

async function ask(path: string, headers = ""): Promise<WireResponse> {
  const connection = await RawConnection.open(port);
  open.push(connection);
  await connection.send(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${headers}\r\n`);
  return connection.response();
}

/** headText's header lines, as RawConnection reads them off the wire. */
function linesOf(head: string): string[] {
  return head.split("\r\n").slice(1, -2);
}

/** The Date line's value changes with the second: compared by name only. */
const dated = (lines: readonly string[]) => lines.map((line) => line.replace(/^Date: .*/, "Date:"));

describe("the response head both HTTP paths build", () => {
  it("headText writes, line for line, the head node:http writes for an answer", async () => {
    const answer = await ask("/ok");
    const head = headText(200, answerHead(undefined, contentFields("application/ksi-response", PDU.length)), {
      close: false,
      keepAliveTimeoutMs: server.keepAliveTimeout,
    });
    expect(answer.status).toBe(200);
    expect(dated(answer.lines)).toEqual(dated(linesOf(head)));
  });

  it("writes a refusal's own header lines after the content's, and Connection: close when asked", async () => {
    const answer = await ask("/refused", "connection: close\r\n");
    const body = answer.body.length;
    const head = headText(
      503,
      answerHead(undefined, contentFields("application/json; charset=utf-8", body, { "retry-after": "1" })),
      { close: true, keepAliveTimeoutMs: server.keepAliveTimeout },
    );
    expect(answer.status).toBe(503);
    expect(dated(answer.lines)).toEqual(dated(linesOf(head)));
    expect(JSON.parse(answer.body.toString())).toEqual({ error: { code: "OVERLOAD", message: "too many" } });
  });

  it("echoes a page's Origin, varies on it, and lists the cross-origin fields first", async () => {
    const answer = await ask("/ok", "origin: https://page.example\r\n");
    expect(answer.lines.slice(0, 3)).toEqual([
      "access-control-allow-origin: https://page.example",
      "vary: origin",
      "access-control-expose-headers: retry-after, etag",
    ]);
    const head = headText(
      200,
      answerHead("https://page.example", contentFields("application/ksi-response", PDU.length)),
      { close: false, keepAliveTimeoutMs: server.keepAliveTimeout },
    );
    expect(dated(answer.lines)).toEqual(dated(linesOf(head)));
  });
});

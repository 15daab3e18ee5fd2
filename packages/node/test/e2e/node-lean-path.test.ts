import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AggregatorStatus,
  decodeAggregationResponsePdu,
  encodeAggregationRequestPdu,
  type Imprint,
  PduStatus,
} from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InitResult } from "../../src/genesis/index.ts";
import { silentLogger } from "../../src/logger/logger.ts";
import { type RunningNode, startNode } from "../../src/node.ts";
import { postBytes } from "../perf/load-client.ts";
import { initTestNode, randomImprint, sleep } from "./node-fixtures.ts";
import { RawConnection, type WireResponse } from "./raw-http.ts";

// Requests are written by hand here so that each one reaches the node whole, in pieces or pipelined,
// exactly as meant: whole KSI requests are the lean path's (api/lean-path.ts), the rest node:http's.

let dir: string;
let init: InitResult;
let node: RunningNode;
const open: RawConnection[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tempel-lean-"));
  let config: Awaited<ReturnType<typeof initTestNode>>["config"];
  ({ init, config } = await initTestNode(join(dir, "a")));
  node = await startNode(config, silentLogger);
});

afterAll(async () => {
  for (const connection of open) connection.close();
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function connection(port = node.port): Promise<RawConnection> {
  const opened = await RawConnection.open(port);
  open.push(opened);
  return opened;
}

const KSI = { "content-type": "application/ksi-request" };

function signRequest(
  imprint: Imprint,
  headers: Record<string, string> = KSI,
  agency: { loginId: string; key: string } = init.agency,
) {
  const body = encodeAggregationRequestPdu(
    { header: { loginId: agency.loginId }, requests: [{ requestId: 7n, requestHash: imprint }] },
    new TextEncoder().encode(agency.key),
  );
  return postBytes("/ksi/aggregator", headers, body);
}

/** The imprint the answer's one payload signs, or its status when refused. */
function signed(response: WireResponse): { imprint?: string; status: number } {
  expect(response.status).toBe(200);
  const { pdu } = decodeAggregationResponsePdu(new Uint8Array(response.body));
  const payload = pdu.responses[0]!;
  const chain = payload.aggregationChains[0];
  return {
    status: payload.status,
    ...(chain !== undefined && { imprint: Buffer.from(chain.inputHash).toString("hex") }),
  };
}

const hexOf = (imprint: Imprint) => Buffer.from(imprint).toString("hex");
/**
 * Header lines with the values that differ from second to second left out: the Date, and the
 * Content-Length, since a signature's calendar chain has as many links as its second's bits ask for
 * (two requests a moment apart may land in different rounds). `checkedLength` checks that one.
 */
const withoutVaryingValues = (lines: readonly string[]) =>
  lines.map((line) => line.replace(/^(date|content-length):.*/i, "$1"));
const checkedLength = (response: WireResponse) =>
  expect(response.lines).toContain(`content-length: ${response.body.length}`);

describe("the lean path for KSI PDU requests", () => {
  it("answers a whole KSI request with the same head and kind of body as node:http gives one sent in pieces", async () => {
    const whole = await connection();
    const imprint = randomImprint();
    await whole.send(signRequest(imprint));
    const pieces = await connection();
    const other = randomImprint();
    const request = signRequest(other);
    // A head in two writes is node:http's to parse: the lean path takes only what arrived whole.
    await pieces.send(request.subarray(0, 30));
    await sleep(50);
    await pieces.send(request.subarray(30));
    const [lean, usual] = [await whole.response(), await pieces.response()];
    expect(withoutVaryingValues(lean.lines)).toEqual(withoutVaryingValues(usual.lines));
    checkedLength(lean);
    checkedLength(usual);
    expect(signed(lean)).toEqual({ status: AggregatorStatus.OK, imprint: hexOf(imprint) });
    expect(signed(usual)).toEqual({ status: AggregatorStatus.OK, imprint: hexOf(other) });
  });

  it("answers KSI requests sent back to back on one connection in order", async () => {
    const pipelined = await connection();
    const imprints = [randomImprint(), randomImprint(), randomImprint()];
    await pipelined.send(Buffer.concat(imprints.map((imprint) => signRequest(imprint))));
    for (const imprint of imprints) expect(signed(await pipelined.response()).imprint).toBe(hexOf(imprint));
  });

  it("serves a connection's later requests of other kinds, and KSI ones after them, through node:http", async () => {
    const mixed = await connection();
    await mixed.send(signRequest(randomImprint()));
    expect(signed(await mixed.response()).status).toBe(AggregatorStatus.OK);
    await mixed.send("GET /v1/status HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
    const status = await mixed.response();
    expect(status.status).toBe(200);
    expect(JSON.parse(status.body.toString())).toHaveProperty("calendar");
    const imprint = randomImprint();
    await mixed.send(signRequest(imprint));
    expect(signed(await mixed.response()).imprint).toBe(hexOf(imprint));
  });

  it("closes the connection after its answer when the client asks", async () => {
    const once = await connection();
    await once.send(signRequest(randomImprint(), { ...KSI, connection: "close" }));
    const answer = await once.response();
    expect(answer.lines).toContain("Connection: close");
    expect(signed(answer).status).toBe(AggregatorStatus.OK);
    await once.closed();
  });

  it("answers a bad PDU or an unknown login with the KSI error PDU, and keeps the connection", async () => {
    const bad = await connection();
    await bad.send(postBytes("/ksi/aggregator", KSI, Buffer.from("not a PDU at all")));
    const errorStatus = async () => {
      const answer = await bad.response();
      expect(answer.status).toBe(200);
      return decodeAggregationResponsePdu(new Uint8Array(answer.body)).pdu.error?.status;
    };
    expect(await errorStatus()).toBe(PduStatus.INVALID_REQUEST);
    await bad.send(signRequest(randomImprint(), KSI, { ...init.agency, loginId: "nobody" }));
    expect(await errorStatus()).toBe(PduStatus.AUTHENTICATION_FAILURE);
    const imprint = randomImprint();
    await bad.send(signRequest(imprint));
    expect(signed(await bad.response()).imprint).toBe(hexOf(imprint));
  });

  it.each([
    {
      what: "a body above the PDU limit",
      request: () =>
        Buffer.from(
          `POST /ksi/aggregator HTTP/1.1\r\nhost: x\r\ncontent-type: application/ksi-request\r\ncontent-length: 70000\r\n\r\n`,
        ),
      status: 413,
      code: "BODY_TOO_LARGE",
    },
    {
      what: "another content type",
      request: () => signRequest(randomImprint(), { "content-type": "text/plain" }),
      status: 415,
      code: "UNSUPPORTED_MEDIA_TYPE",
    },
    {
      what: "another method",
      request: () => Buffer.from("GET /ksi/aggregator HTTP/1.1\r\nhost: x\r\n\r\n"),
      status: 405,
      code: "METHOD_NOT_ALLOWED",
    },
  ])("gives $what the refusal node:http gives it", async ({ request, status, code }) => {
    const refused = await connection();
    await refused.send(request());
    const answer = await refused.response();
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.body.toString()).error.code).toBe(code);
  });

  it.each([
    { what: "bytes that are no HTTP", request: () => Buffer.from("HELLO THERE\r\n\r\n") },
    {
      what: "a KSI request without a Host header",
      request: () =>
        Buffer.from(
          signRequest(randomImprint()).toString("latin1").replace("host: 127.0.0.1\r\n", ""),
          "latin1",
        ),
    },
  ])("answers $what with node:http's 400 and closes the connection", async ({ request }) => {
    const garbage = await connection();
    await garbage.send(request());
    expect((await garbage.response()).status).toBe(400);
    await garbage.closed();
  });

  it("signs requests it leaves to node:http: chunked, with Expect or from a page", async () => {
    const chunked = await connection();
    const imprint = randomImprint();
    const whole = signRequest(imprint);
    const body = whole.subarray(whole.indexOf("\r\n\r\n") + 4);
    await chunked.send(
      Buffer.concat([
        Buffer.from(
          "POST /ksi/aggregator HTTP/1.1\r\nhost: x\r\ncontent-type: application/ksi-request\r\n" +
            `transfer-encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n`,
        ),
        body,
        Buffer.from("\r\n0\r\n\r\n"),
      ]),
    );
    expect(signed(await chunked.response()).imprint).toBe(hexOf(imprint));

    const page = await connection();
    const fromPage = randomImprint();
    await page.send(signRequest(fromPage, { ...KSI, origin: "https://registry.example" }));
    const answer = await page.response();
    expect(answer.lines).toContain("access-control-allow-origin: https://registry.example");
    expect(signed(answer).imprint).toBe(hexOf(fromPage));

    const expecting = await connection();
    const expected = randomImprint();
    await expecting.send(signRequest(expected, { ...KSI, expect: "100-continue" }));
    const first = await expecting.response();
    const final = first.status === 100 ? await expecting.response() : first;
    expect(signed(final).imprint).toBe(hexOf(expected));
  });

  it("closes a keep-alive connection left idle for the keep-alive timeout (5 s)", async () => {
    const idle = await connection();
    await idle.send(signRequest(randomImprint()));
    await idle.response();
    const since = Date.now();
    await idle.closed();
    expect(Date.now() - since).toBeGreaterThanOrEqual(4_000);
  }, 15_000);

  it("on stop, answers a waiting request with Connection: close and closes idle connections", async () => {
    const other = await initTestNode(join(dir, "stopping"));
    const stopping = await startNode(other.config, silentLogger);
    const idle = await connection(stopping.port);
    await idle.send(signRequest(randomImprint(), KSI, other.init.agency));
    await idle.response();
    const waiting = await connection(stopping.port);
    await waiting.send(signRequest(randomImprint(), KSI, other.init.agency));
    await sleep(20);
    const stopped = stopping.stop();
    await idle.closed();
    const answer = await waiting.response();
    expect(answer.lines).toContain("Connection: close");
    await waiting.closed();
    await stopped;
  });
});

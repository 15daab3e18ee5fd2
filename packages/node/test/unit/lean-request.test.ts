import { describe, expect, it } from "vitest";
import { parseLeanRequest } from "../../src/api/lean-request.ts";

const routes = new Map([
  ["/ksi/aggregator", "aggregator"],
  ["/ksi/extender", "extender"],
]);
const TYPE = "application/ksi-request";
const BODY = "0123456789";

function request(lines: readonly string[], body = BODY): Buffer {
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n${body}`, "latin1");
}

const usual = [
  "POST /ksi/aggregator HTTP/1.1",
  "Host: 127.0.0.1:3131",
  "Content-Type: application/ksi-request",
  `Content-Length: ${BODY.length}`,
];

const parse = (bytes: Buffer, max = 1000) => parseLeanRequest(bytes, routes, () => TYPE, max);

describe("parseLeanRequest", () => {
  it("takes a whole KSI POST with its route, body and where it ends", () => {
    const bytes = request(usual);
    const taken = parse(bytes);
    expect(taken?.route).toBe("aggregator");
    expect(Buffer.from(taken!.body).toString()).toBe(BODY);
    expect(taken?.end).toBe(bytes.length);
    expect(taken?.close).toBe(false);
  });

  it("leaves what follows the request for the next one", () => {
    const bytes = Buffer.concat([request(usual), Buffer.from("POST /ksi/ext")]);
    expect(parse(bytes)?.end).toBe(request(usual).length);
  });

  it("takes header names in any case, other headers, a charset and keep-alive; notes close", () => {
    const taken = parse(
      request([
        "POST /ksi/extender HTTP/1.1",
        "HOST: x",
        "user-agent: libksi/3.21",
        "content-type:application/KSI-request; charset=binary",
        `content-length:   ${BODY.length}  `,
        "Connection: keep-alive, close",
      ]),
    );
    expect(taken?.route).toBe("extender");
    expect(taken?.close).toBe(true);
    expect(taken?.authorization).toBeUndefined();
  });

  it("hands over the Authorization header's value for the route to check", () => {
    expect(parse(request([...usual, "Authorization:  Basic YTpi "]))?.authorization).toBe("Basic YTpi");
  });

  it.each([
    ["a head not yet whole", Buffer.from(`${usual.join("\r\n")}\r\n`)],
    ["a body not yet whole", request(usual, BODY.slice(0, 4))],
    ["another path", request([usual[0]!.replace("aggregator", "aggregator?x=1"), ...usual.slice(1)])],
    ["another method", request([usual[0]!.replace("POST", "PUT"), ...usual.slice(1)])],
    ["HTTP/1.0", request([usual[0]!.replace("1.1", "1.0"), ...usual.slice(1)])],
    ["no Host", request(usual.filter((line) => !line.startsWith("Host")))],
    ["no content type", request(usual.filter((line) => !line.startsWith("Content-Type")))],
    ["another content type", request([...usual.slice(0, 2), "Content-Type: text/plain", usual[3]!])],
    ["two content types", request([...usual, "Content-Type: application/ksi-request"])],
    ["no length", request(usual.slice(0, 3))],
    ["two lengths", request([...usual, `Content-Length: ${BODY.length}`])],
    ["a length that is no number", request([...usual.slice(0, 3), "Content-Length: 1e1"])],
    ["a length above the limit", request([...usual.slice(0, 3), "Content-Length: 1001"], "x".repeat(1001))],
    ["chunked", request([...usual, "Transfer-Encoding: chunked"])],
    ["Expect", request([...usual, "Expect: 100-continue"])],
    ["Upgrade", request([...usual, "Connection: upgrade", "Upgrade: h2c"])],
    ["an Origin", request([...usual, "Origin: https://example.org"])],
    [
      "two Authorization headers",
      request([...usual, "Authorization: Basic YTpi", "Authorization: Basic Yzpk"]),
    ],
    ["a folded header", request([...usual, "X-Note: a", " b"])],
    ["a header name with a space", request([...usual, "X Note: a"])],
    ["a header value with a control character", request([...usual, "X-Note: a\u0001b"])],
    ["a bare LF", Buffer.from(`${usual.join("\n")}\n\n${BODY}`)],
    ["a head above 4 KiB", request([...usual, `X-Pad: ${"p".repeat(5000)}`])],
  ])("leaves %s to node:http", (_, bytes) => {
    expect(parse(bytes)).toBeUndefined();
  });

  describe("costs time linear in the head's size, whatever its header lines hold", () => {
    // Every head here is just under the 4 KiB the path takes; the baseline is one long plain value.
    const FILL = 3900;
    const cost = (bytes: Buffer) => {
      // The least of a few runs: what the parse costs, not what the machine's other work added.
      let least = Number.POSITIVE_INFINITY;
      for (let run = 0; run < 5; run++) {
        const start = process.cpuUsage();
        for (let i = 0; i < 20; i++) parse(bytes);
        const used = process.cpuUsage(start);
        least = Math.min(least, used.user + used.system);
      }
      return least;
    };
    const baseline = request([...usual, `X-Pad: ${"v".repeat(FILL)}`]);

    it.each([
      ["a run of spaces inside a value", `X-Pad: a${" ".repeat(FILL)}b`],
      ["a run of tabs inside a value", `X-Pad: a${"\t".repeat(FILL)}b`],
      ["spaces and letters in turn", `X-Pad: ${" a".repeat(FILL / 2)}`],
      ["a run of spaces before and after a value", `X-Pad:${" ".repeat(FILL / 2)}b${" ".repeat(FILL / 2)}`],
      [
        "a run of spaces inside the content type",
        `Content-Type: application/ksi-request;${" ".repeat(FILL)}x`,
      ],
      ["hundreds of header lines", Array.from({ length: 390 }, (_, i) => `X-${i}: v`).join("\r\n")],
    ])("%s", (_, extra) => {
      const bytes = request([
        ...usual.filter((line) => !extra.startsWith("Content-Type") || !line.startsWith("Content-Type")),
        extra,
      ]);
      expect(bytes.length).toBeLessThanOrEqual(4096 + 4 + BODY.length);
      parse(bytes);
      // Before the lines were cut by hand, the first three cost over 1000 times the baseline.
      expect(cost(bytes)).toBeLessThan(10 * cost(baseline) + 500);
    });
  });

  it("takes values with spaces and tabs around and inside them", () => {
    const taken = parse(
      request([
        "POST /ksi/aggregator HTTP/1.1",
        "Host: \t127.0.0.1 \t",
        "Content-Type: \t application/ksi-request \t; charset=binary \t",
        `Content-Length:\t${BODY.length}\t`,
        "Connection: \tkeep-alive , \t close\t",
        `User-Agent: a${" ".repeat(100)}b`,
      ]),
    );
    expect(taken?.route).toBe("aggregator");
    expect(taken?.close).toBe(true);
  });
});

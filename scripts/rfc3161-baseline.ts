/**
 * The comparison point of `npm run bench`: an RFC 3161-style timestamping server that signs every
 * hash with its own ECDSA P-256 signature (node:crypto), served by node:http like a Tempel node, and
 * driven by the same load generator (`npm run load -- --baseline URL`). The gap between its rate and
 * Tempel's is what one signature per second for all of a round's hashes buys.
 */
import { generateKeyPairSync, sign } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { EXIT_OK, integerFlag, parseFlags, runScript } from "./common/cli.ts";
import {
  BASELINE_IMPRINT_BYTES,
  BASELINE_MAX_BATCH,
  BASELINE_TOKEN_BYTES,
  signedPart,
} from "./common/load/baseline-protocol.ts";
import { PkijsTsa } from "./common/load/pkijs-tsa.ts";

const HELP = `Usage: node scripts/rfc3161-baseline.ts [--port P]

Serves POST /sign (concatenated SHA-256 imprints in, one ECDSA P-256 token per imprint out) and
GET /key (the public key, PEM) on 127.0.0.1 until SIGINT or SIGTERM. See
scripts/common/load/baseline-protocol.ts for the format. Also POST /tsa: a real RFC 3161 TSA built on
pkijs (RSA-2048, one signature per query; scripts/common/load/pkijs-tsa.ts), whose certificate
GET /tsa-certificate gives (PEM).

Options:
  --port P    port (default 3400; 0 picks a free one)
`;

const SHA2_256 = 0x01;
const MAX_BODY_BYTES = BASELINE_MAX_BATCH * BASELINE_IMPRINT_BYTES;

async function main(argv: readonly string[]): Promise<number> {
  const values = parseFlags(argv, { port: { type: "string" } }, HELP);
  if (values === undefined) return EXIT_OK;
  const port = integerFlag(values, "port", { min: 0, max: 65_535 }) ?? 3400;
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  let serial = 0n;
  const tsa = new PkijsTsa();

  const signAll = (body: Buffer): Buffer => {
    const count = body.length / BASELINE_IMPRINT_BYTES;
    const out = Buffer.alloc(count * BASELINE_TOKEN_BYTES);
    for (let i = 0; i < count; i++) {
      const imprint = body.subarray(i * BASELINE_IMPRINT_BYTES, (i + 1) * BASELINE_IMPRINT_BYTES);
      const time = BigInt(Date.now());
      serial++;
      const signature = sign("sha256", signedPart(time, serial, imprint), {
        key: privateKey,
        dsaEncoding: "ieee-p1363",
      });
      const at = i * BASELINE_TOKEN_BYTES;
      out.writeBigUInt64BE(time, at);
      out.writeBigUInt64BE(serial, at + 8);
      signature.copy(out, at + 16);
    }
    return out;
  };

  const server = createServer((request, response) => {
    const path = request.url ?? "/";
    if (request.method === "GET" && path === "/key")
      return reply(response, 200, "application/x-pem-file", publicPem);
    if (request.method === "GET" && path === "/healthz") return reply(response, 200, "text/plain", "ok\n");
    if (request.method === "GET" && path === "/tsa-certificate")
      return reply(response, 200, "application/x-pem-file", tsa.certificatePem);
    if (request.method === "POST" && path === "/tsa") {
      readBody(request)
        .then((body) => (body === undefined ? undefined : tsa.answer(body)))
        .then(
          (answer) =>
            answer === undefined
              ? reply(response, 413, "text/plain", "too large\n")
              : reply(response, 200, "application/timestamp-reply", Buffer.from(answer)),
          () => reply(response, 500, "text/plain", "the query failed\n"),
        );
      return;
    }
    if (request.method !== "POST" || path !== "/sign")
      return reply(response, 404, "text/plain", "no such endpoint\n");
    readBody(request).then(
      (body) => {
        const wellFormed =
          body !== undefined &&
          body.length > 0 &&
          body.length % BASELINE_IMPRINT_BYTES === 0 &&
          body.every((byte, i) => i % BASELINE_IMPRINT_BYTES !== 0 || byte === SHA2_256);
        if (!wellFormed) return reply(response, 400, "text/plain", "send 1..1024 SHA-256 imprints\n");
        reply(response, 200, "application/octet-stream", signAll(body));
      },
      () => reply(response, 400, "text/plain", "unreadable request\n"),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  process.stdout.write(
    `listening on http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : port}\n`,
  );
  await new Promise<void>((resolve) => {
    const close = () => {
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.once("SIGINT", close);
    process.once("SIGTERM", close);
  });
  return EXIT_OK;
}

/** The body, or undefined when it is larger than any valid request (then it is not read further). */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    request.on("data", (chunk: Buffer) => {
      length += chunk.length;
      if (length > MAX_BODY_BYTES) {
        request.removeAllListeners("data");
        request.resume();
        resolve(undefined);
      } else chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks, length)));
    request.on("error", reject);
  });
}

function reply(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  response.end(body);
}

runScript("rfc3161-baseline", () => main(process.argv.slice(2)));

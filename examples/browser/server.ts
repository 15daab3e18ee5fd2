import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TempelClient, type TempelClientOptions } from "@tempel/client";
import { nodeHttpTransport } from "@tempel/client/node";
import { FormatError } from "@tempel/proto";
import { build } from "esbuild";

/**
 * The agency's own server for the example page: it serves the page, tells it where the cluster is,
 * and signs the hashes the page sends with the agency's key, which stays here. A real application
 * puts its own user login in front of /api/sign; this example signs for anyone who reaches it.
 *
 *   TEMPEL_ENDPOINTS=http://127.0.0.1:3131 TEMPEL_LOGIN=agency1 TEMPEL_KEY=… \
 *   TEMPEL_GENESIS=path/to/genesis.json node examples/browser/server.ts   # then open http://127.0.0.1:8080
 */

export interface AgencyBackendOptions {
  readonly host: string;
  readonly port: number;
  /** The nodes' API base URLs. */
  readonly endpoints: string[];
  readonly agency: NonNullable<TempelClientOptions["agency"]>;
  /** The cluster's genesis file, as text. */
  readonly genesis: string;
}

export interface AgencyBackend {
  readonly url: string;
  close(): Promise<void>;
}

const HERE = import.meta.dirname;
/** An imprint in JSON is at most 130 hex digits; anything much longer is not a sign request. */
const MAX_BODY_BYTES = 1024;

/** The page's script, bundled for browsers: esbuild fails on any Node-only import it reaches. */
export async function bundlePage(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [join(HERE, "main.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.contents;
}

export async function startAgencyBackend(options: AgencyBackendOptions): Promise<AgencyBackend> {
  const script = await bundlePage();
  const page = readFileSync(join(HERE, "index.html"));
  const client = new TempelClient({
    endpoints: options.endpoints,
    agency: options.agency,
    trust: { genesis: options.genesis },
    transport: nodeHttpTransport(),
  });
  const cluster = JSON.stringify({ endpoints: options.endpoints, genesis: JSON.parse(options.genesis) });

  async function sign(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = "";
    for await (const chunk of request) {
      body += chunk;
      if (body.length > MAX_BODY_BYTES) return void response.writeHead(413).end("body too large");
    }
    let imprint: unknown;
    try {
      imprint = (JSON.parse(body) as { imprint?: unknown }).imprint;
    } catch {
      imprint = undefined;
    }
    if (typeof imprint !== "string") return void response.writeHead(400).end('send {"imprint": "<hex>"}');
    const signature = await client.sign({ imprint });
    response.writeHead(200, { "content-type": "application/octet-stream" }).end(signature.encode());
  }

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://agency").pathname;
    const answer = (type: string, bytes: Uint8Array | string) =>
      response.writeHead(200, { "content-type": type }).end(bytes);
    if (request.method === "POST" && path === "/api/sign") {
      sign(request, response).catch((error: unknown) => {
        // The SDK's errors say what failed: a FormatError is the page's bad imprint, the rest the cluster's
        // answer (ServiceError, NetworkError).
        const status = error instanceof FormatError ? 400 : 502;
        if (!response.headersSent) response.writeHead(status).end((error as Error).message);
      });
      return;
    }
    request.resume();
    if (path === "/main.js") answer("text/javascript", script);
    else if (path === "/api/cluster") answer("application/json", cluster);
    else if (path === "/") answer("text/html; charset=utf-8", page);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  return {
    url: `http://${options.host}:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const env = process.env;
  const missing = ["TEMPEL_ENDPOINTS", "TEMPEL_LOGIN", "TEMPEL_KEY", "TEMPEL_GENESIS"].filter((n) => !env[n]);
  if (missing.length > 0) {
    console.error(`set ${missing.join(", ")} (see docs/sdk.md, "In a browser")`);
    process.exit(2);
  }
  const backend = await startAgencyBackend({
    host: "127.0.0.1",
    port: Number(env.PORT ?? 8080),
    endpoints: env.TEMPEL_ENDPOINTS!.split(","),
    agency: { loginId: env.TEMPEL_LOGIN!, key: env.TEMPEL_KEY! },
    genesis: readFileSync(env.TEMPEL_GENESIS!, "utf8"),
  });
  console.log(`the example page is at ${backend.url}/`);
}

import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { privateFileProblem } from "../identity/index.ts";
import type { Logger } from "../logger/index.ts";
import { type ClientCertificate, type TimeStampAuthority, TsaError } from "../tsa/index.ts";
import { type ConnectionLimitOptions, ConnectionLimits } from "./connection-limits.ts";
import { HttpError } from "./http-error.ts";
import type { ApiMetrics } from "./metrics.ts";
import { httpRefusal } from "./refusals.ts";
import { sendError } from "./respond.ts";
import { typedBody } from "./routes.ts";
import type { ApiServer } from "./server.ts";
import { TIMESTAMP_QUERY, TSA_PATH, tsaRoute } from "./tsa-route.ts";

export interface TsaTlsOptions extends ConnectionLimitOptions {
  readonly host: string;
  readonly port: number;
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile: string;
  readonly maxPduBytes: number;
  readonly retryAfterSeconds: number;
}

export interface TsaTlsModules {
  readonly tsa: TimeStampAuthority;
  readonly metrics: ApiMetrics;
  readonly logger: Logger;
}

/** A client that has not sent its request this long after the handshake is cut off. */
const REQUEST_TIMEOUT_MS = 60_000;
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * POST /tsa over TLS for agencies that authenticate with a client certificate (docs/rfc3161.md,
 * Access). node:tls verifies the certificate against the client CA only, and valid now; the handshake
 * takes any certificate or none (`rejectUnauthorized` false) so that a refused client gets an HTTP 401
 * or 403 saying why, rather than a bare TLS alert. Everything else is the HTTP port's /tsa route.
 */
export function startTsaTlsServer(options: TsaTlsOptions, modules: TsaTlsModules): Promise<ApiServer> {
  const settings = {
    "tsa.tlsCertFile": options.certFile,
    "tsa.tlsKeyFile": options.keyFile,
    "tsa.clientCaFile": options.clientCaFile,
  };
  const missing = Object.keys(settings).filter((name) => settings[name as keyof typeof settings] === "");
  if (missing.length > 0) {
    throw new TsaError("TSA_TLS_CONFIG", `tsa.tlsPort is set: set ${missing.join(", ")} too`);
  }
  const exposed = privateFileProblem(options.keyFile, "TSA TLS key");
  if (exposed !== undefined) throw new TsaError("TSA_KEY_EXPOSED", exposed);
  const { tsa, metrics, logger } = modules;
  const refusalModules = { metrics, logger, retryAfterSeconds: options.retryAfterSeconds };
  const server: Server = createServer(
    {
      key: readFileSync(options.keyFile),
      cert: readFileSync(options.certFile),
      ca: readFileSync(options.clientCaFile),
      requestCert: true,
      rejectUnauthorized: false,
      requestTimeout: REQUEST_TIMEOUT_MS,
      headersTimeout: HEADERS_TIMEOUT_MS,
    },
    (request, response) => {
      const path = new URL(request.url ?? "/", "https://node").pathname;
      const handled =
        path !== TSA_PATH
          ? Promise.reject(new HttpError("NOT_FOUND", `this port serves POST ${TSA_PATH} only`))
          : request.method !== "POST"
            ? Promise.reject(new HttpError("METHOD_NOT_ALLOWED", `use POST ${TSA_PATH}`))
            : tsaRoute(
                request,
                response,
                tsa,
                (r) => typedBody(r, TIMESTAMP_QUERY, options.maxPduBytes),
                (authority) =>
                  authority.authenticateCertificate(clientCertificate(request.socket as TLSSocket)),
              );
      handled
        .then(() => metrics.httpRequests.inc({ endpoint: "tsa_tls", status: response.statusCode }))
        .catch((error: unknown) => {
          const refusal = httpRefusal(error, "tsa_tls", refusalModules);
          if (response.headersSent) return;
          const headers = request.complete ? refusal.headers : { ...refusal.headers, connection: "close" };
          sendError(response, refusal.status, refusal.code, refusal.message, headers);
          metrics.httpRequests.inc({ endpoint: "tsa_tls", status: refusal.status });
        });
    },
  );
  // The same caps as the HTTP port's, counted apart: a TLS connection holds a descriptor too.
  const limits = new ConnectionLimits(options, (reason) => metrics.refusedConnections.inc({ reason }));
  server.prependListener("connection", (socket: Socket) => {
    limits.admit(socket);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: options.port, host: options.host }, () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}

/** What node:tls found of the client's certificate. */
function clientCertificate(socket: TLSSocket): ClientCertificate {
  const peer = socket.getPeerCertificate();
  const present = peer !== null && typeof peer === "object" && Object.keys(peer).length > 0;
  const cn = present ? peer.subject?.CN : undefined;
  return {
    present,
    authorized: socket.authorized,
    ...(socket.authorizationError !== null &&
      socket.authorizationError !== undefined && { authorizationError: String(socket.authorizationError) }),
    ...(typeof cn === "string" && { commonName: cn }),
  };
}

import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { HashRequestError, RoundRejection } from "../aggregation/index.ts";
import type { Readiness } from "../health/index.ts";
import type { Logger } from "../logger/index.ts";
import type { Metrics, RejectReason } from "../metrics/index.ts";
import { isContradictedCalendar } from "../store/index.ts";
import type { TimeStampAuthority } from "../tsa/index.ts";
import { ADMIN_PARTITION_PATH } from "./admin.ts";
import { readBody } from "./body.ts";
import { CalendarRangeError } from "./calendar-range.ts";
import { ConnectionLimits } from "./connection-limits.ts";
import { HttpError } from "./http-error.ts";
import { HMAC_HEADER, type JsonApi, LOGIN_ID_HEADER } from "./json-api.ts";
import type { KsiEndpoints } from "./ksi-endpoints.ts";
import { LeanPath, type PduRoute } from "./lean-path.ts";
import type { ApiOptions } from "./options.ts";
import { EXPOSED_HEADERS, errorJson, JSON_CONTENT_TYPE, sendBytes, sendError, sendJson } from "./respond.ts";
import { TIMESTAMP_QUERY, TSA_PATH, tsaLeanRoute, tsaRoute } from "./tsa-route.ts";

export interface ApiModules {
  readonly json: JsonApi;
  readonly ksi: KsiEndpoints;
  /** GET /v1/publications; undefined when the cluster's genesis names no publications authority. */
  readonly publications: Handler | undefined;
  /** GET /v1/calendar/consistency: the JSON answer for the query in `url`. */
  readonly consistency: (url: URL) => Promise<unknown>;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Whether the node can sign now (caught up, not halted, a quorum reachable, not stopping), and if not why. */
  readonly ready: () => Readiness;
  /** The /admin/partition control (see admin.ts); absent unless `admin.enabled`, so a 404. */
  readonly admin?: Handler;
  /** POST /tsa, RFC 3161; absent when the node has no TSA key. */
  readonly tsa?: TimeStampAuthority;
}

export interface ApiServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stop accepting connections, let requests in flight finish, then close. */
  close(): Promise<void>;
}

export type Handler = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void>;

interface Route {
  /** Label of the endpoint in metrics: a fixed set, whatever paths clients send. */
  readonly endpoint: string;
  /** Undefined: the handler takes several methods and checks them itself. */
  readonly method: "GET" | "POST" | undefined;
  readonly handle: Handler;
}

const KSI_REQUEST = "application/ksi-request";
const KSI_RESPONSE = "application/ksi-response";
/** Requests that take longer (slow or stalled clients) are cut off. */
const REQUEST_TIMEOUT_MS = 60_000;
/** Paths browsers may call from other origins (a web page signing or verifying); preflights are cached this long. */
const CROSS_ORIGIN_PATH = /^\/(ksi|v1)\//;
const PREFLIGHT_MAX_AGE_SECONDS = 600;
/**
 * Connections the kernel may hold for the node to accept. KSI clients do not pipeline, so every
 * request waiting for its round holds a connection: at 10k requests/s that is 10k connections, and
 * Node's default of 511 made a burst of new ones lose SYNs and wait seconds for the retransmission
 * (the kernel caps this at net.core.somaxconn).
 */
const LISTEN_BACKLOG = 4096;
/** How often node:http looks for connections past their head or request timeout. */
const CONNECTIONS_CHECK_MS = 1000;

export function startApiServer(options: ApiOptions, modules: ApiModules): Promise<ApiServer> {
  const { json, ksi, metrics, logger } = modules;
  const jsonBody = (request: IncomingMessage) => typedBody(request, "application/json", options.maxJsonBytes);
  const view = (url: URL) => url.searchParams.get("view") === "json";
  const jsonRoute =
    (produce: (request: IncomingMessage, url: URL) => Promise<unknown> | unknown): Handler =>
    async (request, response, url) =>
      sendJson(response, 200, await produce(request, url));
  const aggregator: PduRoute = { endpoint: "ksi_aggregator", answer: (body) => ksi.aggregate(body) };
  const extender: PduRoute = { endpoint: "ksi_extender", answer: (body) => ksi.extend(body) };
  // Their own paths and the ones Guardtime's services use, which KSI clients are configured with.
  const pduRoutes = new Map<string, PduRoute>([
    ["/ksi/aggregator", aggregator],
    ["/gt-signingservice", aggregator],
    ["/ksi/extender", extender],
    ["/gt-extendingservice", extender],
  ]);
  const ksiRoute = ({ endpoint, answer }: PduRoute): Route => ({
    endpoint,
    method: "POST",
    // Chained, not awaited: an async function's frame would be kept for the second a request waits.
    handle: (request, response) =>
      typedBody(request, KSI_REQUEST, options.maxPduBytes)
        .then(answer)
        .then((body) => sendBytes(response, 200, KSI_RESPONSE, body)),
  });

  const routes = new Map<string, Route>([
    ...[...pduRoutes].map(([path, route]): [string, Route] => [path, ksiRoute(route)]),
    [
      "/v1/sign",
      {
        endpoint: "sign",
        method: "POST",
        handle: jsonRoute(async (r, u) => json.sign(r, await jsonBody(r), view(u))),
      },
    ],
    [
      "/v1/extend",
      {
        endpoint: "extend",
        method: "POST",
        handle: jsonRoute(async (r, u) => json.extend(r, await jsonBody(r), view(u))),
      },
    ],
    ["/v1/calendar/head", { endpoint: "calendar_head", method: "GET", handle: jsonRoute(() => json.head()) }],
    [
      "/v1/calendar/chain",
      { endpoint: "calendar_chain", method: "GET", handle: jsonRoute((_, u) => json.chain(u)) },
    ],
    ["/v1/status", { endpoint: "status", method: "GET", handle: jsonRoute(() => json.status()) }],
    [
      "/v1/calendar/consistency",
      {
        endpoint: "calendar_consistency",
        method: "GET",
        handle: jsonRoute((_, u) => modules.consistency(u)),
      },
    ],
    [
      "/v1/publications",
      {
        endpoint: "publications",
        method: "GET",
        handle:
          modules.publications ??
          (() =>
            Promise.reject(
              new HttpError(404, "NO_PUBLICATIONS", "this cluster's genesis names no publications authority"),
            )),
      },
    ],
    [
      TSA_PATH,
      {
        endpoint: "tsa",
        method: "POST",
        handle: (request, response) =>
          tsaRoute(request, response, modules.tsa, (r) => typedBody(r, TIMESTAMP_QUERY, options.maxPduBytes)),
      },
    ],
    ["/healthz", { endpoint: "healthz", method: "GET", handle: jsonRoute(() => ({ status: "ok" })) }],
    [
      "/readyz",
      {
        endpoint: "readyz",
        method: "GET",
        handle: async (_, response) => {
          const { notReady, quorum } = modules.ready();
          if (notReady === undefined) sendJson(response, 200, { status: "ready", quorum });
          else sendJson(response, 503, { error: notReady, quorum });
        },
      },
    ],
    [
      "/metrics",
      {
        endpoint: "metrics",
        method: "GET",
        handle: async (_, response) => {
          const text = await metrics.registry.metrics();
          response.writeHead(200, { "content-type": metrics.registry.contentType });
          response.end(text);
        },
      },
    ],
  ]);
  if (modules.admin !== undefined)
    routes.set(ADMIN_PARTITION_PATH, { endpoint: "admin", method: undefined, handle: modules.admin });

  /** Answers not sent yet; once the server closes, each tells its client to drop the connection. */
  const unanswered = new Set<ServerResponse>();
  let closing = false;
  const server: Server = createServer(
    {
      requestTimeout: REQUEST_TIMEOUT_MS,
      // A head sent slowly goes to node:http at its first bytes (lean-request.ts): it has as long
      // as the lean path gives a silent connection, checked every second rather than every 30.
      headersTimeout: options.firstRequestTimeoutMs,
      connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
      ServerResponse: CrossOriginResponse,
    },
    (request, response) => {
      if (closing) response.setHeader("connection", "close");
      else unanswered.add(response);
      const url = new URL(request.url ?? "/", "http://node");
      const preflight = request.method === "OPTIONS" && CROSS_ORIGIN_PATH.test(url.pathname);
      const route = preflight ? undefined : routes.get(url.pathname);
      const endpoint = preflight ? "preflight" : (route?.endpoint ?? "unknown");
      // One listener per request, which lives as long as the request waits (a second for a signature):
      // a response leaves `unanswered` when it closes, answered or dropped, and is counted if answered.
      response.on("close", () => {
        unanswered.delete(response);
        if (response.writableFinished) metrics.httpRequests.inc({ endpoint, status: response.statusCode });
      });
      if (preflight) {
        response.writeHead(204, {
          "access-control-allow-methods": "GET, POST",
          "access-control-allow-headers": `content-type, ${LOGIN_ID_HEADER}, ${HMAC_HEADER}`,
          "access-control-max-age": String(PREFLIGHT_MAX_AGE_SECONDS),
        });
        response.end();
        return;
      }
      const handled =
        route === undefined
          ? Promise.reject(new HttpError(404, "NOT_FOUND", `no endpoint ${url.pathname.slice(0, 100)}`))
          : route.method !== undefined && request.method !== route.method
            ? Promise.reject(
                new HttpError(405, "METHOD_NOT_ALLOWED", `use ${route.method} for ${url.pathname}`),
              )
            : route.handle(request, response, url);
      handled.catch((error: unknown) => {
        const refusal = failure(error, endpoint);
        if (response.headersSent) return;
        const headers = refusalHeaders(refusal);
        // An unread body (refused before or while reading) would otherwise be parsed as the next request.
        if (!request.complete) headers.connection = "close";
        sendError(response, refusal.status, refusal.code, refusal.message, headers);
      });
    },
  );
  const lean = new LeanPath(
    {
      requestContentType: KSI_REQUEST,
      responseContentType: KSI_RESPONSE,
      maxPduBytes: options.maxPduBytes,
      firstRequestTimeoutMs: options.firstRequestTimeoutMs,
      keepAliveTimeoutMs: server.keepAliveTimeout,
    },
    {
      routes: withTsa(pduRoutes, tsaLeanRoute(modules.tsa)),
      handOver: (socket, unread) => {
        // Paused so that the bytes put back reach node:http's parser, not a stream with no reader yet.
        socket.pause();
        if (unread !== undefined) socket.unshift(unread);
        httpConnection.call(server, socket);
        socket.resume();
      },
      failure: (error, endpoint) => {
        const refusal = failure(error, endpoint);
        return {
          status: refusal.status,
          contentType: JSON_CONTENT_TYPE,
          body: errorJson(refusal.code, refusal.message),
          headers: refusalHeaders(refusal),
        };
      },
      answered: (endpoint, status) => metrics.httpRequests.inc({ endpoint, status }),
    },
  );
  // Every connection starts on the lean path, which gives node:http the ones it does not answer.
  const httpConnection = server.listeners("connection")[0] as (socket: Socket) => void;
  server.removeListener("connection", httpConnection);
  const limits = new ConnectionLimits(options, (reason) => metrics.refusedConnections.inc({ reason }));
  server.on("connection", (socket: Socket) => {
    if (limits.admit(socket)) lean.accept(socket);
  });

  /** Logs and counts a request's failure; the answer for it. */
  function failure(error: unknown, endpoint: string): HttpError {
    const refusal = toHttpError(error, options.retryAfterSeconds);
    if (refusal === undefined) {
      logger.error("request failed", { endpoint, error });
      return isContradictedCalendar(error)
        ? new HttpError(500, error.code, `${error.message}; ask another node of the cluster`)
        : new HttpError(500, "INTERNAL", "the node could not answer this request");
    }
    const reason = rejectReason(refusal);
    if (reason !== undefined) metrics.rejectedRequests.inc({ reason });
    logger.info("request refused", {
      endpoint,
      status: refusal.status,
      code: refusal.code,
      message: refusal.message,
    });
    return refusal;
  }

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: options.port, host: options.host, backlog: LISTEN_BACKLOG }, () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        // Clients on keep-alive connections go on sending: without `connection: close` on every
        // answer from now on, their connections (and the close) would last as long as they do.
        close: () =>
          new Promise<void>((done) => {
            closing = true;
            for (const response of unanswered)
              if (!response.headersSent) response.setHeader("connection", "close");
            unanswered.clear();
            lean.close();
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}

/**
 * Every answer may be read by a page from any origin: requests are authenticated by HMAC (or not at
 * all), never by cookies, so a foreign page gains nothing a plain HTTP client has not. The headers a
 * client acts on (Retry-After on overload, ETag of the publications file) are exposed to it. They are
 * set as the head is written (every answer's head goes through writeHead, an implicit one too):
 * set on arrival, they were kept by every request waiting a second for its round.
 */
class CrossOriginResponse extends ServerResponse {
  override writeHead(statusCode: number, ...rest: unknown[]): this {
    const origin = this.req.headers.origin;
    this.setHeader("access-control-allow-origin", origin ?? "*");
    if (origin !== undefined) this.setHeader("vary", "origin");
    this.setHeader("access-control-expose-headers", EXPOSED_HEADERS);
    return super.writeHead(statusCode, ...(rest as [OutgoingHttpHeaders]));
  }
}

function withTsa(routes: Map<string, PduRoute>, tsa: PduRoute | undefined): Map<string, PduRoute> {
  return tsa === undefined ? routes : new Map([...routes, [TSA_PATH, tsa]]);
}

function refusalHeaders(refusal: HttpError): Record<string, string> {
  return refusal.retryAfter === undefined ? {} : { "retry-after": String(refusal.retryAfter) };
}

/** The body of a request sent as `expected` content type, at most `limit` bytes; refused otherwise. */
function typedBody(request: IncomingMessage, expected: string, limit: number): Promise<Uint8Array> {
  const header = request.headers["content-type"];
  // What clients send, no parameters and lower case, is taken as it is.
  if (header !== expected && header?.split(";")[0]?.trim().toLowerCase() !== expected) {
    return Promise.reject(new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", `send the body as ${expected}`));
  }
  return readBody(request, limit);
}

/** The HTTP answer for an expected failure, or undefined for a fault of the node itself. */
function toHttpError(error: unknown, retryAfter: number): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof RoundRejection) {
    if (error.code === "QUOTA") return new HttpError(429, error.code, error.message, 1);
    return new HttpError(503, error.code, error.message, retryAfter);
  }
  if (error instanceof CalendarRangeError) return new HttpError(400, error.code, error.message);
  if (error instanceof HashRequestError) return new HttpError(400, error.code, error.message);
  return undefined;
}

function rejectReason(error: HttpError): RejectReason | undefined {
  switch (error.code) {
    case "OVERLOAD":
      return "overload";
    case "QUOTA":
      return "quota";
    case "STOPPING":
      return "shutting_down";
    case "NO_QUORUM":
      return "no_quorum";
    case "AUTHENTICATION_FAILED":
    case "UNAUTHENTICATED":
      return "unauthenticated";
    case "BODY_TOO_LARGE":
      return "too_large";
    case "BAD_IMPRINT":
    case "IMPRINT_EMPTY":
    case "IMPRINT_LENGTH":
    case "HASH_UNKNOWN_ALGORITHM":
    case "HASH_NOT_IMPLEMENTED":
    case "HASH_DEPRECATED":
    case "LEVEL_RANGE":
      return "bad_imprint";
    default:
      return error.status >= 400 && error.status < 500 ? "bad_request" : undefined;
  }
}

import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Logger } from "../logger/index.ts";
import { ConnectionLimits } from "./connection-limits.ts";
import { answerPreflight, CrossOriginResponse, isPreflight } from "./cors.ts";
import { LeanPath } from "./lean-path.ts";
import type { ApiMetrics } from "./metrics.ts";
import type { ApiOptions } from "./options.ts";
import { httpRefusal } from "./refusals.ts";
import { errorJson, JSON_CONTENT_TYPE, sendError } from "./respond.ts";
import { KSI_REQUEST, KSI_RESPONSE, type RouteModules, routeFor, routeTable } from "./routes.ts";

export interface ApiModules extends RouteModules {
  readonly metrics: ApiMetrics;
  readonly logger: Logger;
}

export interface ApiServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stop accepting connections, let requests in flight finish, then close. */
  close(): Promise<void>;
}

/** Requests that take longer (slow or stalled clients) are cut off. */
const REQUEST_TIMEOUT_MS = 60_000;
/**
 * Connections the kernel may hold for the node to accept. KSI clients do not pipeline, so every
 * request waiting for its round holds a connection: at 10k requests/s that is 10k connections, and
 * Node's default of 511 made a burst of new ones lose SYNs and wait seconds for the retransmission
 * (the kernel caps this at net.core.somaxconn).
 */
const LISTEN_BACKLOG = 4096;
/** How often node:http looks for connections past their head or request timeout. */
const CONNECTIONS_CHECK_MS = 1000;

/**
 * The node's HTTP server: its lifecycle (listen, connection caps, shutdown) and the two paths a
 * request may take. Every connection starts on the lean path (lean-path.ts), which answers whole KSI
 * requests itself and hands any other to node:http, which serves the route table (routes.ts). Both
 * answer a failure by refusals.ts and build heads by answer-head.ts.
 */
export function startApiServer(options: ApiOptions, modules: ApiModules): Promise<ApiServer> {
  const { metrics, logger } = modules;
  const { routes, pduRoutes } = routeTable(options, modules);
  const refusalModules = { metrics, logger, retryAfterSeconds: options.retryAfterSeconds };

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
      const preflight = isPreflight(request.method, url.pathname);
      const route = preflight ? undefined : routeFor(routes, request.method, url);
      const endpoint = route?.endpoint ?? "preflight";
      // One listener per request, which lives as long as the request waits (a second for a signature):
      // a response leaves `unanswered` when it closes, answered or dropped, and is counted if answered.
      response.on("close", () => {
        unanswered.delete(response);
        if (response.writableFinished) metrics.httpRequests.inc({ endpoint, status: response.statusCode });
      });
      if (route === undefined) return answerPreflight(response);
      route.handle(request, response, url).catch((error: unknown) => {
        const refusal = httpRefusal(error, endpoint, refusalModules);
        if (response.headersSent) return;
        // An unread body (refused before or while reading) would otherwise be parsed as the next request.
        const headers = request.complete ? refusal.headers : { ...refusal.headers, connection: "close" };
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
      routes: pduRoutes,
      handOver: (socket, unread) => {
        // Paused so that the bytes put back reach node:http's parser, not a stream with no reader yet.
        socket.pause();
        if (unread !== undefined) socket.unshift(unread);
        httpConnection.call(server, socket);
        socket.resume();
      },
      failure: (error, endpoint) => {
        const refusal = httpRefusal(error, endpoint, refusalModules);
        return {
          status: refusal.status,
          contentType: JSON_CONTENT_TYPE,
          body: errorJson(refusal.code, refusal.message),
          headers: refusal.headers,
        };
      },
      answered: (endpoint, status) => metrics.httpRequests.inc({ endpoint, status }),
    },
  );
  // node:http's own connection listener is taken off the server and called only for the connections
  // the lean path hands over.
  const httpConnection = server.listeners("connection")[0] as (socket: Socket) => void;
  server.removeListener("connection", httpConnection);
  const limits = new ConnectionLimits(options, (reason) => metrics.refusedConnections.inc({ reason }));
  server.on("connection", (socket: Socket) => {
    if (limits.admit(socket)) lean.accept(socket);
  });

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

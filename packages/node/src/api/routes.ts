import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readiness } from "../health/index.ts";
import type { TimeStampAuthority } from "../tsa/index.ts";
import { ADMIN_PARTITION_PATH } from "./admin.ts";
import { readBody } from "./body.ts";
import { HttpError } from "./http-error.ts";
import type { JsonApi } from "./json-api.ts";
import type { KsiEndpoints } from "./ksi-endpoints.ts";
import type { PduRoute } from "./lean-path.ts";
import type { ApiMetrics } from "./metrics.ts";
import type { ApiOptions } from "./options.ts";
import { type PublicationsSource, publicationsHandler } from "./publications-endpoint.ts";
import { sendBytes, sendJson } from "./respond.ts";
import { TIMESTAMP_QUERY, TSA_PATH, tsaLeanRoute, tsaRoute } from "./tsa-route.ts";

export type Handler = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void>;

export interface Route {
  /** Label of the endpoint in metrics: a fixed set, whatever paths clients send. */
  readonly endpoint: string;
  /** Undefined: the handler takes several methods and checks them itself. */
  readonly method: "GET" | "POST" | undefined;
  readonly handle: Handler;
}

export interface RouteModules {
  /** Undefined on a gateway tier: it keeps no calendar and serves KSI clients only. */
  readonly json: JsonApi | undefined;
  readonly ksi: KsiEndpoints;
  /** The publication service; undefined when the cluster's genesis names no publications authority. */
  readonly publications: PublicationsSource | undefined;
  readonly metrics: Pick<ApiMetrics, "registry">;
  /** Whether the node can sign now (caught up, not halted, a quorum reachable, not stopping), and if not why. */
  readonly ready: () => Readiness;
  /** The /admin/partition control (see admin.ts); absent unless `admin.enabled`, so a 404. */
  readonly admin?: Handler;
  /** POST /tsa, RFC 3161; absent when the node has no TSA key. */
  readonly tsa?: TimeStampAuthority;
}

export const KSI_REQUEST = "application/ksi-request";
export const KSI_RESPONSE = "application/ksi-response";

export interface RouteTable {
  /** Every path the node answers, by path. */
  readonly routes: ReadonlyMap<string, Route>;
  /** The one-body POST endpoints the lean path answers too: KSI PDUs, and RFC 3161 queries when open. */
  readonly pduRoutes: ReadonlyMap<string, PduRoute>;
}

/** The node's endpoints: path, metric label, method and handler. */
export function routeTable(options: ApiOptions, modules: RouteModules): RouteTable {
  const { json, ksi, metrics } = modules;
  const jsonBody = (request: IncomingMessage) => typedBody(request, "application/json", options.maxJsonBytes);
  const view = (url: URL) => url.searchParams.get("view") === "json";
  const aggregator: PduRoute = { endpoint: "ksi_aggregator", answer: (body) => ksi.aggregate(body) };
  const extender: PduRoute = { endpoint: "ksi_extender", answer: (body) => ksi.extend(body) };
  // Their own paths and the ones Guardtime's services use, which KSI clients are configured with.
  const pduRoutes = new Map<string, PduRoute>([
    ["/ksi/aggregator", aggregator],
    ["/gt-signingservice", aggregator],
    ...(ksi.extends
      ? ([
          ["/ksi/extender", extender],
          ["/gt-extendingservice", extender],
        ] as const)
      : []),
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
  const get = (endpoint: string, handle: Handler): Route => ({ endpoint, method: "GET", handle });
  const post = (endpoint: string, handle: Handler): Route => ({ endpoint, method: "POST", handle });

  const routes = new Map<string, Route>([
    ...[...pduRoutes].map(([path, route]): [string, Route] => [path, ksiRoute(route)]),
    // The JSON API needs the node's calendar, which a gateway tier does not keep.
    ...(json === undefined
      ? []
      : ([
          [
            "/v1/sign",
            post(
              "sign",
              jsonRoute(async (r, u) => json.sign(r, await jsonBody(r), view(u))),
            ),
          ],
          [
            "/v1/extend",
            post(
              "extend",
              jsonRoute(async (r, u) => json.extend(r, await jsonBody(r), view(u))),
            ),
          ],
          [
            "/v1/calendar/head",
            get(
              "calendar_head",
              jsonRoute(() => json.head()),
            ),
          ],
          [
            "/v1/calendar/chain",
            get(
              "calendar_chain",
              jsonRoute((_, u) => json.chain(u)),
            ),
          ],
          [
            "/v1/calendar/consistency",
            get(
              "calendar_consistency",
              jsonRoute((_, u) => json.consistency(u)),
            ),
          ],
          [
            "/v1/status",
            get(
              "status",
              jsonRoute(() => json.status()),
            ),
          ],
        ] satisfies [string, Route][])),
    ["/v1/publications", get("publications", publicationsHandler(modules.publications))],
    [
      TSA_PATH,
      post("tsa", (request, response) =>
        tsaRoute(request, response, modules.tsa, (r) => typedBody(r, TIMESTAMP_QUERY, options.maxPduBytes)),
      ),
    ],
    [
      "/healthz",
      get(
        "healthz",
        jsonRoute(() => ({ status: "ok" })),
      ),
    ],
    [
      "/readyz",
      get("readyz", async (_, response) => {
        const { notReady, quorum } = modules.ready();
        if (notReady === undefined) sendJson(response, 200, { status: "ready", quorum });
        else sendJson(response, 503, { error: notReady, quorum });
      }),
    ],
    [
      "/metrics",
      get("metrics", async (_, response) => {
        const text = await metrics.registry.metrics();
        response.writeHead(200, { "content-type": metrics.registry.contentType });
        response.end(text);
      }),
    ],
  ]);
  if (modules.admin !== undefined)
    routes.set(ADMIN_PARTITION_PATH, { endpoint: "admin", method: undefined, handle: modules.admin });
  const tsaLean = tsaLeanRoute(modules.tsa);
  if (tsaLean !== undefined) pduRoutes.set(TSA_PATH, tsaLean);
  return { routes, pduRoutes };
}

/** The route a request is for, or the refusal of a path or method the node does not answer. */
export function routeFor(routes: RouteTable["routes"], method: string | undefined, url: URL): Route {
  const route = routes.get(url.pathname);
  if (route === undefined) {
    return refusedRoute("unknown", new HttpError("NOT_FOUND", `no endpoint ${url.pathname.slice(0, 100)}`));
  }
  if (route.method !== undefined && method !== route.method) {
    return refusedRoute(
      route.endpoint,
      new HttpError("METHOD_NOT_ALLOWED", `use ${route.method} for ${url.pathname}`),
    );
  }
  return route;
}

function refusedRoute(endpoint: string, refusal: HttpError): Route {
  return { endpoint, method: undefined, handle: () => Promise.reject(refusal) };
}

function jsonRoute(produce: (request: IncomingMessage, url: URL) => Promise<unknown> | unknown): Handler {
  return async (request, response, url) => sendJson(response, 200, await produce(request, url));
}

/** The body of a request sent as `expected` content type, at most `limit` bytes; refused otherwise. */
export function typedBody(request: IncomingMessage, expected: string, limit: number): Promise<Uint8Array> {
  const header = request.headers["content-type"];
  // What clients send, no parameters and lower case, is taken as it is.
  if (header !== expected && header?.split(";")[0]?.trim().toLowerCase() !== expected) {
    return Promise.reject(new HttpError("UNSUPPORTED_MEDIA_TYPE", `send the body as ${expected}`));
  }
  return readBody(request, limit);
}

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Agency } from "../aggregation/index.ts";
import { type TimeStampAuthority, TsaError } from "../tsa/index.ts";
import { HttpError } from "./http-error.ts";
import type { PduRoute } from "./lean-path.ts";
import { sendBytes } from "./respond.ts";

export const TSA_PATH = "/tsa";
export const TIMESTAMP_QUERY = "application/timestamp-query";
/** Exactly this, without parameters: some clients compare the header string (RFC 3161 §3.4). */
const TIMESTAMP_REPLY = "application/timestamp-reply";

/**
 * POST /tsa: an RFC 3161 query in, a TimeStampResp out (200, also for a refused query, which is a
 * rejection inside). Only what is no query at all is an HTTP error: wrong type 415, too large 413,
 * no credentials 401, a client certificate refused 403, no TSA on this node 404. The agency comes from
 * the Authorization header unless `authenticate` says otherwise (the TLS port: its client certificate).
 */
export function tsaRoute(
  request: IncomingMessage,
  response: ServerResponse,
  tsa: TimeStampAuthority | undefined,
  readQuery: (request: IncomingMessage) => Promise<Uint8Array>,
  authenticate = (authority: TimeStampAuthority): Agency =>
    authority.authenticate(request.headers.authorization),
): Promise<void> {
  if (tsa === undefined) {
    return Promise.reject(
      new HttpError("NO_TSA", "this node has no TSA key and certificate; see docs/rfc3161.md"),
    );
  }
  let agency: Agency;
  try {
    agency = admitted(() => authenticate(tsa));
  } catch (error) {
    return Promise.reject(error);
  }
  return readQuery(request)
    .then((body) => tsa.answer(body, agency))
    .then((reply) => sendBytes(response, 200, TIMESTAMP_REPLY, reply));
}

/**
 * The route on the lean path (lean-path.ts), which answers one small POST per query without
 * node:http's per-request work: RFC 3161 clients send one hash per request. With Basic access the
 * lean path hands over the Authorization header; a refusal is the same HTTP 401 as node:http's.
 */
export function tsaLeanRoute(tsa: TimeStampAuthority | undefined): PduRoute | undefined {
  if (tsa === undefined) return undefined;
  const open = tsa.open ? tsa.authenticate(undefined) : undefined;
  return {
    endpoint: "tsa",
    answer: (body, authorization) =>
      tsa.answer(body, open ?? admitted(() => tsa.authenticate(authorization))),
    contentTypes: { request: TIMESTAMP_QUERY, response: TIMESTAMP_REPLY },
  };
}

/** The agency `authenticate` gives, its refusal as the HTTP error it is answered with. */
function admitted(authenticate: () => Agency): Agency {
  try {
    return authenticate();
  } catch (error) {
    if (!(error instanceof TsaError)) throw error;
    throw new HttpError(
      error.code === "CERTIFICATE_REFUSED" ? "CERTIFICATE_REFUSED" : "UNAUTHENTICATED",
      error.message,
    );
  }
}

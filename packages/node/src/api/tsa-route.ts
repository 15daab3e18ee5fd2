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
    agency = authenticate(tsa);
  } catch (error) {
    if (error instanceof TsaError) {
      const code = error.code === "CERTIFICATE_REFUSED" ? "CERTIFICATE_REFUSED" : "UNAUTHENTICATED";
      return Promise.reject(new HttpError(code, error.message));
    }
    return Promise.reject(error);
  }
  return readQuery(request)
    .then((body) => tsa.answer(body, agency))
    .then((reply) => sendBytes(response, 200, TIMESTAMP_REPLY, reply));
}

/**
 * The route on the lean path (lean-path.ts), which answers one small POST per query without
 * node:http's per-request work: RFC 3161 clients send one hash per request. Only for open access:
 * the lean path reads no Authorization header, so with Basic access queries go through node:http.
 */
export function tsaLeanRoute(tsa: TimeStampAuthority | undefined): PduRoute | undefined {
  if (tsa === undefined || !tsa.open) return undefined;
  const agency = tsa.authenticate(undefined);
  return {
    endpoint: "tsa",
    answer: (body) => tsa.answer(body, agency),
    contentTypes: { request: TIMESTAMP_QUERY, response: TIMESTAMP_REPLY },
  };
}

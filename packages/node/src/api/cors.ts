import { type OutgoingHttpHeaders, ServerResponse } from "node:http";
import { answerHead } from "./answer-head.ts";
import { HMAC_HEADER, LOGIN_ID_HEADER } from "./json-api.ts";

/** Paths browsers may call from other origins (a web page signing or verifying). */
const CROSS_ORIGIN_PATH = /^\/(ksi|v1)\//;
/** How long a browser may cache a preflight's answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * Every answer may be read by a page from any origin: requests are authenticated by HMAC (or not at
 * all), never by cookies, so a foreign page gains nothing a plain HTTP client has not. The headers a
 * client acts on (Retry-After on overload, ETag of the publications file) are exposed to it. They are
 * added as the head is written (every answer's head goes through writeHead, an implicit one too):
 * set on arrival, they were kept by every request waiting a second for its round.
 */
export class CrossOriginResponse extends ServerResponse {
  override writeHead(statusCode: number, ...rest: unknown[]): this {
    const [message, fields] = typeof rest[0] === "string" ? [rest[0], rest[1]] : [undefined, rest[0]];
    const head = answerHead(this.req.headers.origin, fields as OutgoingHttpHeaders | undefined);
    return message === undefined
      ? super.writeHead(statusCode, head)
      : super.writeHead(statusCode, message, head);
  }
}

/** Whether a request is a browser's preflight for a cross-origin call. */
export function isPreflight(method: string | undefined, path: string): boolean {
  return method === "OPTIONS" && CROSS_ORIGIN_PATH.test(path);
}

/** The preflight's answer: the methods and request headers a page may use, cached for a while. */
export function answerPreflight(response: ServerResponse): void {
  response.writeHead(204, {
    "access-control-allow-methods": "GET, POST",
    "access-control-allow-headers": `content-type, ${LOGIN_ID_HEADER}, ${HMAC_HEADER}`,
    "access-control-max-age": String(PREFLIGHT_MAX_AGE_SECONDS),
  });
  response.end();
}

import { type OutgoingHttpHeaders, STATUS_CODES } from "node:http";

/** Headers of an answer that a page from another origin may read (Access-Control-Expose-Headers). */
export const EXPOSED_HEADERS = "retry-after, etag";

/**
 * The header fields of every answer the node writes, in the order written: the cross-origin ones
 * (cors.ts says why every answer has them), then the answer's own. Both HTTP paths build their heads
 * here, node:http's (CrossOriginResponse) and the lean path's (headText), so that a KSI client sees
 * the same head whichever path answered it.
 */
export function answerHead(
  origin: string | undefined,
  fields: OutgoingHttpHeaders | undefined,
): OutgoingHttpHeaders {
  return {
    "access-control-allow-origin": origin ?? "*",
    ...(origin !== undefined && { vary: "origin" }),
    "access-control-expose-headers": EXPOSED_HEADERS,
    ...fields,
  };
}

/** The fields of an answer with a body: never cached, since every answer is for one request. */
export function contentFields(
  contentType: string,
  length: number,
  extra?: Readonly<Record<string, string>>,
): OutgoingHttpHeaders {
  return { "content-type": contentType, "content-length": length, "cache-control": "no-store", ...extra };
}

export interface HeadConnection {
  /** The connection closes after this answer. */
  readonly close: boolean;
  readonly keepAliveTimeoutMs: number;
}

/**
 * The head as node:http writes it for `fields` (answerHead's): the status line, the fields, then the
 * Date, Connection and Keep-Alive lines node:http adds last. For the lean path, which writes its own.
 */
export function headText(status: number, fields: OutgoingHttpHeaders, connection: HeadConnection): string {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n`;
  for (const name in fields) head += `${name}: ${fields[name]}\r\n`;
  return (
    `${head}Date: ${httpDate()}\r\n` +
    (connection.close
      ? "Connection: close\r\n\r\n"
      : `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(connection.keepAliveTimeoutMs / 1000)}\r\n\r\n`)
  );
}

let dateSecond = -1;
let dateText = "";

/** The Date header's value, made once a second: every answer of a round asks for it in that second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

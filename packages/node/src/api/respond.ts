import type { ServerResponse } from "node:http";

/**
 * A JSON body that is already serialized (UTF-8): a handler that writes megabytes of base64 into its
 * answer builds the bytes itself rather than have JSON.stringify scan and copy them again.
 */
export class SerializedJson {
  readonly bytes: Uint8Array;
  /** Called once the bytes have been handed to the operating system, when they may be reused. */
  readonly sent: (() => void) | undefined;

  constructor(bytes: Uint8Array, sent?: () => void) {
    this.bytes = bytes;
    this.sent = sent;
  }
}

export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";
/** Headers of an answer that a page from another origin may read (Access-Control-Expose-Headers). */
export const EXPOSED_HEADERS = "retry-after, etag";

/** The body of every error answer: `{error: {code, message}}`. */
export function errorJson(code: string, message: string): Buffer {
  return Buffer.from(JSON.stringify({ error: { code, message } }));
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const serialized =
    body instanceof SerializedJson ? body : new SerializedJson(Buffer.from(JSON.stringify(body)));
  response.writeHead(status, {
    "content-type": JSON_CONTENT_TYPE,
    "content-length": serialized.bytes.length,
    "cache-control": "no-store",
    ...headers,
  });
  response.end(serialized.bytes, serialized.sent);
}

export function sendBytes(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: Uint8Array,
): void {
  response.writeHead(status, {
    "content-type": contentType,
    "content-length": body.length,
    "cache-control": "no-store",
  });
  response.end(body);
}

export function sendError(
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(response, status, new SerializedJson(errorJson(code, message)), headers);
}

import type { ServerResponse } from "node:http";
import { contentFields } from "./answer-head.ts";

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

/** The body of every error answer: `{error: {code, message}}`. */
export function errorJson(code: string, message: string): Buffer {
  return Buffer.from(JSON.stringify({ error: { code, message } }));
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): void {
  const serialized =
    body instanceof SerializedJson ? body : new SerializedJson(Buffer.from(JSON.stringify(body)));
  response.writeHead(status, contentFields(JSON_CONTENT_TYPE, serialized.bytes.length, headers));
  response.end(serialized.bytes, serialized.sent);
}

export function sendBytes(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: Uint8Array,
): void {
  response.writeHead(status, contentFields(contentType, body.length));
  response.end(body);
}

export function sendError(
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers?: Readonly<Record<string, string>>,
): void {
  sendJson(response, status, new SerializedJson(errorJson(code, message)), headers);
}

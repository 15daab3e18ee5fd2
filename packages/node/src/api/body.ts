import type { IncomingMessage } from "node:http";
import { HttpError } from "./http-error.ts";

/**
 * The whole request body, refused as soon as it is known to exceed `limit` (declared length or bytes
 * received): an oversized body is never buffered.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = request.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (error: HttpError) => {
      request.off("data", onData);
      request.resume();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return fail(tooLarge(limit));
      chunks.push(chunk);
    };
    const onError = () => fail(new HttpError("BODY_ABORTED", "the request body was not received completely"));
    request.on("data", onData);
    request.once("end", () => {
      // A request may wait a second for its answer after this: left attached, the listeners would keep
      // this closure with them (Node emits no error on a request without an error listener).
      request.off("data", onData);
      request.off("error", onError);
      if (size > limit) return;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      resolve(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    });
    request.once("error", onError);
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError("BODY_TOO_LARGE", `the request body exceeds ${limit} bytes`);
}

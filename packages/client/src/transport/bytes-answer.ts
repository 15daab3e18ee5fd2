import type { ResponseParser } from "./endpoint-pool.ts";
import { httpFailure } from "./http-status.ts";

/** A parser for a 200 answer whose body is taken as bytes, at most `maxBytes` of them. */
export function bytesAnswer(maxBytes: number, what: string): ResponseParser<Uint8Array> {
  return async (response, endpoint) => {
    if (response.status !== 200) throw await httpFailure(response, endpoint);
    return response.bytes(maxBytes, what);
  };
}

import { ProtocolError } from "../errors.ts";
import type { ResponseParser } from "./endpoint-pool.ts";
import { httpFailure } from "./http-status.ts";
import { mediaType } from "./http-transport.ts";

/** The node's JSON answers (status, calendar head) are a few kilobytes; this leaves ample room. */
const MAX_JSON_BYTES = 1024 * 1024;

/**
 * A parser for a JSON API answer: a 200 with a JSON body that `read` accepts. `read` checks the shape
 * and throws ProtocolError for anything else, which sends the request on to another node.
 */
export function jsonAnswer<T>(read: (json: unknown, endpoint: string) => T): ResponseParser<T> {
  return async (response, endpoint) => {
    if (response.status !== 200) throw await httpFailure(response, endpoint);
    if (mediaType(response) !== "application/json") {
      await response.discard();
      throw new ProtocolError("BAD_CONTENT_TYPE", `${endpoint} did not answer JSON: is it a Tempel node?`);
    }
    const body = await response.bytes(MAX_JSON_BYTES, "JSON answer");
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
    } catch {
      throw new ProtocolError("BAD_JSON", `${endpoint} answered malformed JSON`);
    }
    return read(json, endpoint);
  };
}

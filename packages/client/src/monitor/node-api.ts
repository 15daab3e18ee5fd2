import {
  type CalendarHashChain,
  calendarChainAggregationTime,
  decodeCalendarChain,
  decodeTlv,
  MAX_PDU_BYTES,
  MAX_PUBLICATIONS_FILE_BYTES,
  TempelError,
} from "@tempel/proto";
import { type CalendarHead, readCalendarHead } from "../cluster/calendar-head.ts";
import { base64At, countAt, objectAt } from "../cluster/json-fields.ts";
import { NetworkError, ProtocolError } from "../errors.ts";
import { httpFailure } from "../transport/http-status.ts";
import { fetchAnswer, type HttpAnswer } from "../transport/http-transport.ts";
import { jsonAnswer } from "../transport/json-request.ts";

/** A node's publications file as last fetched: its bytes and entity tag. */
export interface FetchedFile {
  readonly bytes: Uint8Array;
  readonly etag: string | undefined;
}

/** The three questions the monitor asks one node, each strictly read and bounded in size. */
export class NodeApi {
  readonly url: string;
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number;

  constructor(url: string, fetch: typeof globalThis.fetch, timeoutMs: number) {
    this.url = url.replace(/\/+$/, "");
    this.#fetch = fetch;
    this.#timeoutMs = timeoutMs;
  }

  /** GET /v1/calendar/head. */
  async head(signal?: AbortSignal): Promise<CalendarHead> {
    return jsonAnswer(readCalendarHead)(await this.#get("/v1/calendar/head", {}, signal), this.url);
  }

  /** GET /v1/calendar/consistency: the calendar chain from `from` to the root at `to`, as answered. */
  async consistency(from: number, to: number, signal?: AbortSignal): Promise<CalendarHashChain> {
    const response = await this.#get(`/v1/calendar/consistency?from=${from}&to=${to}`, {}, signal);
    return jsonAnswer((json) => {
      const answer = objectAt(json, "consistency");
      if (countAt(answer.from, "from") !== from || countAt(answer.to, "to") !== to) {
        throw new ProtocolError("BAD_JSON", `${this.url} answered the consistency of other seconds`);
      }
      let chain: CalendarHashChain;
      try {
        chain = decodeCalendarChain(decodeTlv(base64At(answer.proof, "proof", MAX_PDU_BYTES)));
      } catch (error) {
        if (!(error instanceof TempelError) || error instanceof ProtocolError) throw error;
        throw new ProtocolError(
          "BAD_JSON",
          `${this.url}: the consistency proof does not parse: ${error.message}`,
        );
      }
      if (calendarChainAggregationTime(chain.links, chain.publicationTime) === undefined) {
        throw new ProtocolError("BAD_JSON", `${this.url}: the consistency proof is not a calendar chain`);
      }
      return chain;
    })(response, this.url);
  }

  /**
   * GET /v1/publications: the file, "unchanged" when it is still `knownEtag`, or undefined before the
   * cluster's first publication.
   */
  async publications(
    knownEtag: string | undefined,
    signal?: AbortSignal,
  ): Promise<FetchedFile | "unchanged" | undefined> {
    const headers: Record<string, string> = knownEtag === undefined ? {} : { "if-none-match": knownEtag };
    const response = await this.#get("/v1/publications", headers, signal);
    if (response.status === 304 || response.status === 404) {
      await response.discard();
      return response.status === 304 ? "unchanged" : undefined;
    }
    if (response.status !== 200) throw await httpFailure(response, this.url);
    return {
      bytes: await response.bytes(MAX_PUBLICATIONS_FILE_BYTES, "publications file"),
      etag: response.header("etag") ?? undefined,
    };
  }

  async #get(
    path: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<HttpAnswer> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    try {
      return fetchAnswer(
        await this.#fetch(this.url + path, {
          headers,
          signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
        }),
      );
    } catch (error) {
      const reason = timeout.aborted ? `no answer within ${this.#timeoutMs} ms` : (error as Error).message;
      throw new NetworkError("NODE_UNREACHABLE", `${this.url}${path}: ${reason}`);
    }
  }
}

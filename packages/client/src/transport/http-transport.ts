import { concatBytes } from "@tempel/proto";
import { ProtocolError } from "../errors.ts";

/** A request as the client sends it: a whole, small body of one content type. */
export interface HttpRequest {
  readonly method: "GET" | "POST";
  readonly contentType?: string;
  readonly body?: Uint8Array<ArrayBuffer>;
  readonly signal?: AbortSignal;
}

/** An answer's status and headers, its body read (or released) on demand. */
export interface HttpAnswer {
  readonly status: number;
  /** The value of header `name` (lower case), null when absent. */
  header(name: string): string | null;
  /**
   * The whole body, refused with ProtocolError RESPONSE_TOO_LARGE once it passes `maxBytes`: a faulty
   * or hostile endpoint cannot make the client buffer more than the largest answer it can legitimately
   * send. `what` names the body in that error.
   */
  bytes(maxBytes: number, what: string): Promise<Uint8Array>;
  /** Release a body that is not going to be read. */
  discard(): Promise<void>;
}

/**
 * How the client speaks HTTP. The default is the platform's `fetch`; a Node.js process may give
 * `nodeHttpTransport()` from `@tempel/client/node`, which costs much less CPU per request.
 * Failures to reach the endpoint reject with any error (the caller types them); an aborted `signal`
 * stops the request and the body read.
 */
export type HttpTransport = (url: string, request: HttpRequest) => Promise<HttpAnswer>;

export function answerTooLarge(what: string, maxBytes: number): ProtocolError {
  return new ProtocolError("RESPONSE_TOO_LARGE", `${what} is larger than the ${maxBytes} bytes it can be`);
}

/** The body length the answer declares; NaN when it declares none. */
export function declaredLength(answer: Pick<HttpAnswer, "header">): number {
  return Number(answer.header("content-length") ?? Number.NaN);
}

/** The media type of `answer` without parameters, lower-cased. */
export function mediaType(answer: Pick<HttpAnswer, "header">): string {
  return (answer.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/** A fetch Response as an HttpAnswer. */
export function fetchAnswer(response: Response): HttpAnswer {
  const answer: HttpAnswer = {
    status: response.status,
    header: (name) => response.headers.get(name),
    bytes: async (maxBytes, what) => {
      if (declaredLength(answer) > maxBytes) {
        await response.body?.cancel();
        throw answerTooLarge(what, maxBytes);
      }
      if (response.body === null) return new Uint8Array(0);
      const reader = response.body.getReader();
      const chunks: Uint8Array[] = [];
      let length = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        length += value.length;
        if (length > maxBytes) {
          await reader.cancel();
          throw answerTooLarge(what, maxBytes);
        }
        chunks.push(value);
      }
      return chunks.length === 1 ? chunks[0]! : concatBytes(...chunks);
    },
    discard: async () => {
      await response.body?.cancel();
    },
  };
  return answer;
}

/** HTTP over `fetch` (the browser's, Node's, or one given for tests or proxies). */
export function fetchTransport(fetch: typeof globalThis.fetch): HttpTransport {
  return async (url, request) =>
    fetchAnswer(
      await fetch(url, {
        method: request.method,
        ...(request.contentType !== undefined && { headers: { "content-type": request.contentType } }),
        ...(request.body !== undefined && { body: request.body }),
        ...(request.signal !== undefined && { signal: request.signal }),
      }),
    );
}

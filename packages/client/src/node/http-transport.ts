import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { NetworkError } from "../errors.ts";
import {
  answerTooLarge,
  declaredLength,
  type HttpAnswer,
  type HttpTransport,
} from "../transport/http-transport.ts";

class NodeAnswer implements HttpAnswer {
  readonly status: number;
  readonly #response: IncomingMessage;

  constructor(response: IncomingMessage) {
    this.status = response.statusCode ?? 0;
    this.#response = response;
  }

  header(name: string): string | null {
    const value = this.#response.headers[name];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(", ") : value;
  }

  bytes(maxBytes: number, what: string): Promise<Uint8Array> {
    const response = this.#response;
    return new Promise((resolve, reject) => {
      if (declaredLength(this) > maxBytes) {
        response.destroy();
        reject(answerTooLarge(what, maxBytes));
        return;
      }
      const chunks: Buffer[] = [];
      let length = 0;
      response.on("data", (chunk: Buffer) => {
        length += chunk.length;
        if (length <= maxBytes) chunks.push(chunk);
        else {
          response.destroy();
          reject(answerTooLarge(what, maxBytes));
        }
      });
      response.on("end", () => {
        const joined = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
        // A plain view: a Buffer's slice() would share bytes where callers expect a copy.
        resolve(new Uint8Array(joined.buffer, joined.byteOffset, joined.length));
      });
      // After an abort, a reset or a size refusal (which has already settled the promise).
      response.on("error", reject);
      response.on("close", () => {
        if (!response.complete) {
          reject(new NetworkError("CONNECTION_CLOSED", "the connection closed before the answer ended"));
        }
      });
    });
  }

  discard(): Promise<void> {
    this.#response.resume();
    return Promise.resolve();
  }
}

/**
 * HTTP over node:http and node:https with kept-alive connections: for a Node.js process, a request
 * costs about half the CPU it costs through fetch (measured at thousands in flight), which is what
 * bounds `signMany` with small batches. Each transport keeps its own connections.
 */
export function nodeHttpTransport(): HttpTransport {
  // Every connection a burst of requests opened stays for the next burst (signMany's batches of a
  // round all answer at once): Node's default keeps 256 per host and closes the rest, so thousands in
  // flight reconnected each round. Idle ones last until the node's keep-alive timeout closes them.
  const kept = { keepAlive: true, maxFreeSockets: Number.POSITIVE_INFINITY };
  const agents = { http: new HttpAgent(kept), https: new HttpsAgent(kept) };
  const send: (url: string, request: Parameters<HttpTransport>[1], resent: boolean) => Promise<HttpAnswer> = (
    url,
    request,
    resent,
  ) =>
    new Promise((resolve, reject) => {
      const secure = url.startsWith("https:");
      const headers: Record<string, string> = {};
      if (request.contentType !== undefined) headers["content-type"] = request.contentType;
      if (request.body !== undefined) headers["content-length"] = String(request.body.length);
      const outgoing = (secure ? httpsRequest : httpRequest)(url, {
        method: request.method,
        headers,
        agent: secure ? agents.https : agents.http,
        ...(request.signal !== undefined && { signal: request.signal }),
      });
      let answered = false;
      outgoing.on("response", (response) => {
        answered = true;
        resolve(new NodeAnswer(response));
      });
      outgoing.on("error", (error: NodeJS.ErrnoException) => {
        // A kept-alive connection the node closed as idle just as this request went out on it: the
        // node never read the request, so it goes once more on a new connection (Node's documentation
        // advises this), rather than count as the node failing and quarantine it.
        if (!answered && !resent && outgoing.reusedSocket && error.code === "ECONNRESET") {
          send(url, request, true).then(resolve, reject);
        } else reject(error);
      });
      outgoing.end(request.body);
    });
  return (url, request) => send(url, request, false);
}

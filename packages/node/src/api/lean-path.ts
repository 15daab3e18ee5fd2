import type { Socket } from "node:net";
import { answerHead, contentFields, headText } from "./answer-head.ts";
import { parseLeanRequest } from "./lean-request.ts";

/** A KSI PDU endpoint (or another one-body POST, such as RFC 3161's) as the lean path calls it. */
export interface PduRoute {
  /** Label of the endpoint in metrics. */
  readonly endpoint: string;
  /** The answer to a body; `authorization` is the request's Authorization header, if it had one. */
  readonly answer: (body: Uint8Array, authorization?: string) => Promise<Uint8Array> | Uint8Array;
  /** Content types of its requests and answers when not the KSI ones (the options'). */
  readonly contentTypes?: { readonly request: string; readonly response: string };
}

/** An answer the lean path writes: status, content type, body and any extra header lines. */
export interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LeanPathOptions {
  readonly requestContentType: string;
  readonly responseContentType: string;
  readonly maxPduBytes: number;
  /** A new connection without a whole request this long is closed, as node:http's headersTimeout does. */
  readonly firstRequestTimeoutMs: number;
  /** Idle keep-alive connections are closed after this long, as node:http does with its own. */
  readonly keepAliveTimeoutMs: number;
}

export interface LeanPathModules {
  readonly routes: ReadonlyMap<string, PduRoute>;
  /** Gives a connection, with the bytes read from it and not answered, to node:http for good. */
  readonly handOver: (socket: Socket, unread: Buffer | undefined) => void;
  /** The answer for an endpoint's failure (logged and counted there), as node:http's path gives it. */
  readonly failure: (error: unknown, endpoint: string) => RawAnswer;
  /** Called for each answer handed to the operating system in full. */
  readonly answered: (endpoint: string, status: number) => void;
}

/**
 * Bytes a connection may buffer while its request waits for the round; a client that sends more
 * (pipelining beyond a request or two) is paused until its answer is out.
 */
const MAX_BUFFERED_BYTES = 128 * 1024;

/**
 * The lean HTTP/1.1 path for KSI PDU requests. KSI clients send each hash as one small POST on a
 * keep-alive connection and wait a second for their round, so at 10k requests/s node:http's own work
 * per request (request and response objects, header maps, streams: about 60 µs on a 2-core EPYC)
 * took more of the node's one thread than the signing itself. Every new connection starts here; a
 * request that parseLeanRequest takes is answered from the bytes as received, one write per answer,
 * and the first that it does not take sends the connection to node:http with those bytes, where it
 * stays. Both paths answer a request alike (headers, errors, metrics).
 */
export class LeanPath {
  readonly options: LeanPathOptions;
  readonly modules: LeanPathModules;
  readonly #connections = new Set<LeanConnection>();
  #closing = false;

  constructor(options: LeanPathOptions, modules: LeanPathModules) {
    this.options = options;
    this.modules = modules;
  }

  accept(socket: Socket): void {
    const connection = new LeanConnection(socket, this);
    this.#connections.add(connection);
    socket.once("close", () => this.#connections.delete(connection));
  }

  /** From now on every answer closes its connection; idle connections close at once. */
  close(): void {
    this.#closing = true;
    for (const connection of this.#connections) connection.closeIfIdle();
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** A connection handed to node:http is no longer this path's to close. */
  forget(connection: LeanConnection): void {
    this.#connections.delete(connection);
  }
}

class LeanConnection {
  readonly #socket: Socket;
  readonly #path: LeanPath;
  /** Bytes received and not yet answered. */
  #unread: Buffer | undefined;
  #waiting = false;
  #answeredOnce = false;
  /** The last answer is written: whatever the client still sends is not read. */
  #ended = false;
  /** The client has closed its side: it sends nothing more, so its answer, if any, is the last. */
  #peerEnded = false;
  readonly #onData = (chunk: Buffer) => this.#received(chunk);
  // node:http's server is half-open (allowHalfOpen), so a client's close would otherwise leave the
  // socket, and its descriptor, held until the idle timeout.
  readonly #onEnd = () => {
    this.#peerEnded = true;
    if (!this.#waiting) this.#socket.destroy();
  };
  /** Chunks received so far: a timeout closes the connection only if none came since it fired. */
  #chunksReceived = 0;
  // After the event loop was blocked, timers run before the poll reads what arrived meanwhile: a
  // request already sent would be lost with its connection. The check phase comes after the poll.
  readonly #onTimeout = () => {
    const chunksBefore = this.#chunksReceived;
    setImmediate(() => {
      if (!this.#waiting && this.#chunksReceived === chunksBefore) this.#socket.destroy();
    });
  };

  constructor(socket: Socket, path: LeanPath) {
    this.#socket = socket;
    this.#path = path;
    socket.setNoDelay(true);
    socket.setTimeout(path.options.firstRequestTimeoutMs);
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("timeout", this.#onTimeout);
    // Resets and the like: "close" follows, and an answer for a closed socket is dropped.
    socket.on("error", ignore);
  }

  closeIfIdle(): void {
    if (!this.#waiting && this.#unread === undefined) this.#socket.destroy();
  }

  #received(chunk: Buffer): void {
    this.#chunksReceived++;
    if (this.#ended) return;
    this.#unread = this.#unread === undefined ? chunk : Buffer.concat([this.#unread, chunk]);
    if (!this.#waiting) this.#next();
    else if (this.#unread.length > MAX_BUFFERED_BYTES) this.#socket.pause();
  }

  #next(): void {
    const unread = this.#unread;
    if (unread === undefined) return;
    const { options, modules } = this.#path;
    const request = parseLeanRequest(
      unread,
      modules.routes,
      (route) => route.contentTypes?.request ?? options.requestContentType,
      options.maxPduBytes,
    );
    if (request === undefined) {
      this.#handOver(unread);
      return;
    }
    this.#unread = request.end < unread.length ? unread.subarray(request.end) : undefined;
    this.#waiting = true;
    const { endpoint, answer } = request.route;
    const responseType = request.route.contentTypes?.response ?? options.responseContentType;
    const close = request.close;
    let answering: Promise<Uint8Array> | Uint8Array;
    try {
      answering = answer(request.body, request.authorization);
    } catch (error) {
      answering = Promise.reject(error);
    }
    if (answering instanceof Uint8Array) this.#answer(endpoint, ok(responseType, answering), close);
    else
      answering.then(
        (body) => this.#answer(endpoint, ok(responseType, body), close),
        (error: unknown) => this.#answer(endpoint, modules.failure(error, endpoint), close),
      );
  }

  #answer(endpoint: string, answer: RawAnswer, close: boolean): void {
    this.#waiting = false;
    const socket = this.#socket;
    if (socket.destroyed) return;
    const last = close || this.#path.closing || this.#peerEnded;
    if (!this.#answeredOnce) {
      this.#answeredOnce = true;
      socket.setTimeout(this.#path.options.keepAliveTimeoutMs);
    }
    socket.write(responseBytes(answer, last, this.#path.options.keepAliveTimeoutMs), (error) => {
      if (error === undefined || error === null) this.#path.modules.answered(endpoint, answer.status);
    });
    if (last) {
      this.#unread = undefined;
      this.#ended = true;
      socket.end();
      return;
    }
    if (socket.isPaused()) socket.resume();
    this.#next();
  }

  #handOver(unread: Buffer): void {
    const socket = this.#socket;
    this.#unread = undefined;
    this.#path.forget(this);
    socket.off("data", this.#onData);
    socket.off("end", this.#onEnd);
    socket.off("timeout", this.#onTimeout);
    socket.off("error", ignore);
    socket.setTimeout(0);
    this.#path.modules.handOver(socket, unread);
  }
}

function ignore(): void {}

function ok(contentType: string, body: Uint8Array): RawAnswer {
  return { status: 200, contentType, body };
}

/**
 * The answer's bytes, head and body in one buffer for one write. The head is built as node:http's path
 * builds it for a request without an Origin (answer-head.ts): clients see no difference.
 */
function responseBytes(answer: RawAnswer, close: boolean, keepAliveTimeoutMs: number): Buffer {
  const fields = answerHead(undefined, contentFields(answer.contentType, answer.body.length, answer.headers));
  const head = headText(answer.status, fields, { close, keepAliveTimeoutMs });
  const headLength = Buffer.byteLength(head, "latin1");
  const bytes = Buffer.allocUnsafe(headLength + answer.body.length);
  bytes.write(head, 0, "latin1");
  bytes.set(answer.body, headLength);
  return bytes;
}

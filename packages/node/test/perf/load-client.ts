import { connect, type Socket } from "node:net";

/** A response as the load generator sees it: status and whole body. */
export interface RawResponse {
  readonly status: number;
  /** Valid until the next response on its connection arrives: read it at once. */
  readonly body: Buffer;
}

/**
 * A POST request as the bytes sent on the wire, built once and sent as often as the load asks: the
 * generator shares the machine with the node it measures, so it spends nothing per request on
 * building requests.
 */
export function postBytes(path: string, headers: Readonly<Record<string, string>>, body: Uint8Array): Buffer {
  const lines = [`POST ${path} HTTP/1.1`, "host: 127.0.0.1", `content-length: ${body.length}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), body]);
}

const HEADER_END = Buffer.from("\r\n\r\n");
/** The node answers every request with a content length; nothing else is expected from it. */
const CONTENT_LENGTH = /\r\ncontent-length: *(\d+)\r\n/i;
/** Longest response head this client reads before calling the response broken. */
const MAX_HEAD_BYTES = 16 * 1024;

/**
 * Every connection reads into this one buffer (each read is consumed before the next): a fresh
 * buffer per read of a multi-megabyte answer was most of the garbage this process made.
 */
const READ_BUFFER = Buffer.allocUnsafeSlow(256 * 1024);

/**
 * How long after its last answer a connection is still reused: the node closes keep-alive connections
 * idle for 5 s (its Keep-Alive header says so), and a request sent as it does is lost. One second short
 * of that, as undici reuses connections.
 */
const REUSE_WITHIN_MS = 4_000;

/** One keep-alive connection with at most one request in flight (KSI clients do not pipeline). */
class Connection {
  readonly socket: Socket;
  /** When its last answer came (performance.now()); undefined before the first. */
  answeredAt: number | undefined;
  /** Chunks of a response head not yet complete. */
  #head: Buffer[] = [];
  #headBytes = 0;
  #status = 0;
  #closeAfter = false;
  /**
   * Where response bodies are received, reused from response to response: a fresh buffer of
   * megabytes per JSON answer made this process collect garbage more than it did anything else.
   */
  #body = Buffer.alloc(0);
  /** Length of the body being received; -1 while its head is. */
  #bodyLength = -1;
  #bodyReceived = 0;
  #done: ((response: RawResponse | undefined) => void) | undefined;
  readonly #idle: (connection: Connection) => void;

  constructor(port: number, idle: (connection: Connection) => void) {
    this.#idle = idle;
    this.socket = connect({
      host: "127.0.0.1",
      port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (length) => {
          this.#read(READ_BUFFER.subarray(0, length));
          return true;
        },
      },
    });
    this.socket.on("error", () => this.#finish(undefined));
    this.socket.on("close", () => this.#finish(undefined));
  }

  send(request: Buffer): Promise<RawResponse | undefined> {
    return new Promise((resolve) => {
      this.#done = resolve;
      this.socket.write(request);
    });
  }

  #read(chunk: Buffer): void {
    let rest = chunk;
    if (this.#bodyLength < 0) {
      // Copied: the chunk is the shared read buffer, which the next read overwrites.
      this.#head.push(Buffer.from(chunk));
      this.#headBytes += chunk.length;
      const head = this.#head.length === 1 ? chunk : Buffer.concat(this.#head);
      this.#head = [head];
      const end = head.indexOf(HEADER_END);
      if (end < 0) {
        if (this.#headBytes > MAX_HEAD_BYTES) this.socket.destroy();
        return;
      }
      const text = head.toString("latin1", 0, end + 2);
      const length = CONTENT_LENGTH.exec(text);
      if (length === null) {
        this.socket.destroy();
        return;
      }
      this.#status = Number(text.slice(9, 12));
      this.#closeAfter = /\r\nconnection: *close\r\n/i.test(text);
      this.#head = [];
      this.#headBytes = 0;
      this.#bodyLength = Number(length[1]);
      this.#bodyReceived = 0;
      if (this.#body.length < this.#bodyLength) this.#body = Buffer.allocUnsafeSlow(this.#bodyLength);
      rest = head.subarray(end + HEADER_END.length);
    }
    if (this.#bodyReceived + rest.length > this.#bodyLength) {
      // More than was asked for: the node is broken, and this connection with it.
      this.socket.destroy();
      return;
    }
    this.#bodyReceived += rest.copy(this.#body, this.#bodyReceived);
    if (this.#bodyReceived < this.#bodyLength) return;
    const response = { status: this.#status, body: this.#body.subarray(0, this.#bodyLength) };
    this.#bodyLength = -1;
    const done = this.#done;
    this.#done = undefined;
    this.answeredAt = performance.now();
    if (this.#closeAfter) this.socket.destroy();
    else this.#idle(this);
    done?.(response);
  }

  #finish(response: RawResponse | undefined): void {
    const done = this.#done;
    this.#done = undefined;
    done?.(response);
  }
}

/**
 * A minimal HTTP/1.1 client for open-loop load: pre-built requests over a pool of keep-alive
 * connections, a new connection whenever none is idle, up to `maxConnections`; beyond that requests
 * wait for a connection (their latency counts the wait). It costs the generator a fraction of what
 * node:http's client does, so that on a shared machine the node, not the generator, is what runs out.
 */
export class LoadClient {
  readonly #port: number;
  readonly #maxConnections: number;
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();
  readonly #waiting: { request: Buffer; resolve: (response: RawResponse | undefined) => void }[] = [];
  /** Index of the next waiting request (the queue is only ever appended to and read in order). */
  #nextWaiting = 0;

  constructor(port: number, maxConnections: number) {
    this.#port = port;
    this.#maxConnections = maxConnections;
  }

  /** The response, or undefined when the connection failed before one came. */
  send(request: Buffer): Promise<RawResponse | undefined> {
    const connection = this.#reusable() ?? (this.#all.size < this.#maxConnections ? this.#open() : undefined);
    if (connection !== undefined) return connection.send(request);
    return new Promise((resolve) => this.#waiting.push({ request, resolve }));
  }

  /** An idle connection the node has not closed nor is about to close for idling; others are dropped. */
  #reusable(): Connection | undefined {
    const now = performance.now();
    for (let connection = this.#idle.pop(); connection !== undefined; connection = this.#idle.pop()) {
      if (connection.answeredAt === undefined || now - connection.answeredAt < REUSE_WITHIN_MS)
        return connection;
      connection.socket.destroy();
    }
    return undefined;
  }

  /**
   * Opens `count` connections and keeps them idle, as a population of clients with persistent
   * connections has them: the load then measures signing, not a storm of new connections.
   */
  async connect(count: number): Promise<void> {
    const opening = Array.from({ length: Math.min(count, this.#maxConnections - this.#all.size) }, () => {
      const connection = this.#open();
      return new Promise<void>((resolve) => {
        connection.socket.once("connect", () => {
          this.#idle.push(connection);
          resolve();
        });
        connection.socket.once("close", () => resolve());
      });
    });
    await Promise.all(opening);
  }

  close(): void {
    for (const connection of this.#all) connection.socket.destroy();
    this.#all.clear();
    this.#idle.length = 0;
  }

  #open(): Connection {
    const connection = new Connection(this.#port, (idle) => this.#reuse(idle));
    this.#all.add(connection);
    connection.socket.once("close", () => {
      this.#all.delete(connection);
      const at = this.#idle.indexOf(connection);
      if (at >= 0) this.#idle.splice(at, 1);
      const next = this.#takeWaiting();
      if (next !== undefined) this.#open().send(next.request).then(next.resolve);
    });
    return connection;
  }

  #takeWaiting(): { request: Buffer; resolve: (response: RawResponse | undefined) => void } | undefined {
    if (this.#nextWaiting === this.#waiting.length) return undefined;
    const next = this.#waiting[this.#nextWaiting++]!;
    if (this.#nextWaiting === this.#waiting.length) {
      this.#waiting.length = 0;
      this.#nextWaiting = 0;
    }
    return next;
  }

  #reuse(connection: Connection): void {
    const next = this.#takeWaiting();
    if (next === undefined) this.#idle.push(connection);
    else connection.send(next.request).then(next.resolve);
  }
}

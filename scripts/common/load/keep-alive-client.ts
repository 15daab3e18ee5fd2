import { connect, type Socket } from "node:net";

/** How one exchange ended: the status and body, or what went wrong (`timeout`, `network_ECONNRESET`, …). */
export type Exchanged = { readonly status: number; readonly body: Buffer } | { readonly failure: string };

const HEAD_END = Buffer.from("\r\n\r\n", "latin1");
const MAX_HEAD_BYTES = 16 * 1024;
const CONTENT_LENGTH = /\r\ncontent-length: *(\d{1,10}) *\r\n/i;
const CONNECTION_CLOSE = /\r\nconnection: *close *\r\n/i;

interface Pending {
  readonly bytes: Buffer;
  readonly deadline: number;
  readonly done: (result: Exchanged) => void;
  resent: boolean;
}

/**
 * A lean HTTP/1.1 client for one server: kept-alive connections, one request at a time on each, the
 * request written as whole bytes and the answer read by Content-Length. node:http's request and
 * response objects, header maps and streams cost the load generator as much CPU per RFC 3161 query as
 * the node spends answering it; this costs a few microseconds. Only for servers that answer with a
 * Content-Length (the node and the baseline do); an answer without one fails the exchange.
 */
export class KeepAliveClient {
  readonly #port: number;
  readonly #host: string;
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();
  readonly #onResent: () => void;

  constructor(url: URL, onResent: () => void) {
    this.#host = url.hostname.replace(/^\[|\]$/g, "");
    this.#port = Number(url.port || 80);
    this.#onResent = onResent;
  }

  /** Send `bytes` (a whole request) on an idle connection or a new one; `done` is called once. */
  exchange(bytes: Buffer, timeoutMs: number, done: (result: Exchanged) => void): void {
    this.#send({ bytes, deadline: performance.now() + timeoutMs, done, resent: false });
  }

  /** Fail the exchanges past their deadline (called about once a second). */
  sweep(now: number): void {
    for (const connection of this.#all) connection.expire(now);
  }

  close(): void {
    for (const connection of this.#all) connection.socket.destroy();
  }

  #send(pending: Pending): void {
    const reused = this.#idle.pop();
    const connection = reused ?? this.#open();
    connection.start(pending, reused !== undefined);
  }

  #open(): Connection {
    const socket = connect({ port: this.#port, host: this.#host, noDelay: true });
    const connection = new Connection(socket, {
      idle: () => this.#idle.push(connection),
      closed: () => {
        this.#all.delete(connection);
        const at = this.#idle.indexOf(connection);
        if (at >= 0) this.#idle.splice(at, 1);
      },
      resend: (pending) => {
        this.#onResent();
        this.#send(pending);
      },
    });
    this.#all.add(connection);
    return connection;
  }
}

interface ConnectionEvents {
  readonly idle: () => void;
  readonly closed: () => void;
  /** A kept-alive connection closed under a request before any answer: send it once more. */
  readonly resend: (pending: Pending) => void;
}

class Connection {
  readonly socket: Socket;
  readonly #events: ConnectionEvents;
  #pending: Pending | undefined;
  #reused = false;
  #received: Buffer | undefined;
  #bodyAt = -1;
  #length = 0;
  #status = 0;
  #close = false;

  constructor(socket: Socket, events: ConnectionEvents) {
    this.socket = socket;
    this.#events = events;
    socket.on("data", (chunk: Buffer) => this.#data(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => this.#lost(`network_${error.code ?? error.name}`));
    socket.on("close", () => {
      this.#lost("network_closed");
      this.#events.closed();
    });
  }

  start(pending: Pending, reused: boolean): void {
    this.#pending = pending;
    this.#reused = reused;
    this.socket.write(pending.bytes);
  }

  expire(now: number): void {
    if (this.#pending !== undefined && now > this.#pending.deadline) {
      this.#finish({ failure: "timeout" });
      this.socket.destroy();
    }
  }

  #data(chunk: Buffer): void {
    if (this.#pending === undefined) {
      // Nothing was asked: a server that talks out of turn is not one to keep talking to.
      this.socket.destroy();
      return;
    }
    this.#received = this.#received === undefined ? chunk : Buffer.concat([this.#received, chunk]);
    const received = this.#received;
    if (this.#bodyAt < 0) {
      const end = received.indexOf(HEAD_END);
      if (end < 0) {
        if (received.length > MAX_HEAD_BYTES) this.#fail("bad_http_head");
        return;
      }
      const head = received.toString("latin1", 0, end + 2);
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(head);
      const length = CONTENT_LENGTH.exec(head);
      if (status === null || length === null) {
        this.#fail("bad_http_head");
        return;
      }
      this.#bodyAt = end + HEAD_END.length;
      this.#length = Number(length[1]);
      this.#close = CONNECTION_CLOSE.test(head);
      this.#status = Number(status[1]);
    }
    const end = this.#bodyAt + this.#length;
    if (received.length < end) return;
    if (received.length > end) {
      this.#fail("http_answer_out_of_turn");
      return;
    }
    const status = this.#status;
    const body = received.subarray(this.#bodyAt, end);
    const close = this.#close;
    this.#finish({ status, body });
    if (close) this.socket.end();
    else this.#events.idle();
  }

  #lost(failure: string): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    if (this.#reused && !pending.resent && this.#received === undefined) {
      // The server closed this kept-alive connection as idle just as the request went out on it: it
      // never read it, so it is sent once more on another connection, as node:http's docs advise.
      this.#reset();
      pending.resent = true;
      this.#events.resend(pending);
      return;
    }
    this.#finish({ failure });
  }

  #fail(failure: string): void {
    this.#finish({ failure });
    this.socket.destroy();
  }

  #finish(result: Exchanged): void {
    const pending = this.#pending!;
    this.#reset();
    pending.done(result);
  }

  #reset(): void {
    this.#pending = undefined;
    this.#received = undefined;
    this.#bodyAt = -1;
    this.#length = 0;
    this.#close = false;
  }
}

import { connect, type Socket } from "node:net";

/** A response as the load generator sees it: status and whole body. */
export interface RawResponse {
  readonly status: number;
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

/** One keep-alive connection with at most one request in flight (KSI clients do not pipeline). */
class Connection {
  readonly socket: Socket;
  #chunks: Buffer[] = [];
  #received = 0;
  #status = 0;
  /** Bytes of head plus body, once the head has been read. */
  #total = -1;
  #headLength = 0;
  #closeAfter = false;
  #done: ((response: RawResponse | undefined) => void) | undefined;
  readonly #idle: (connection: Connection) => void;

  constructor(port: number, idle: (connection: Connection) => void) {
    this.#idle = idle;
    this.socket = connect({ host: "127.0.0.1", port, noDelay: true });
    this.socket.on("data", (chunk: Buffer) => this.#read(chunk));
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
    this.#chunks.push(chunk);
    this.#received += chunk.length;
    if (this.#total < 0) {
      const head = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks);
      this.#chunks = [head];
      const end = head.indexOf(HEADER_END);
      if (end < 0) {
        if (this.#received > MAX_HEAD_BYTES) this.socket.destroy();
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
      this.#headLength = end + HEADER_END.length;
      this.#total = this.#headLength + Number(length[1]);
    }
    if (this.#received < this.#total) return;
    if (this.#received > this.#total) {
      // More than was asked for: the node is broken, and this connection with it.
      this.socket.destroy();
      return;
    }
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const response = { status: this.#status, body: all.subarray(this.#headLength) };
    this.#chunks = [];
    this.#received = 0;
    this.#total = -1;
    const done = this.#done;
    this.#done = undefined;
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
 * connections, a new connection whenever none is idle. It costs the generator a fraction of what
 * node:http's client does, so that on a shared machine the node, not the generator, is what runs out.
 */
export class LoadClient {
  readonly #port: number;
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();

  constructor(port: number) {
    this.#port = port;
  }

  /** The response, or undefined when the connection failed before one came. */
  send(request: Buffer): Promise<RawResponse | undefined> {
    const connection = this.#idle.pop() ?? this.#open();
    return connection.send(request);
  }

  close(): void {
    for (const connection of this.#all) connection.socket.destroy();
    this.#all.clear();
    this.#idle.length = 0;
  }

  #open(): Connection {
    const connection = new Connection(this.#port, (idle) => this.#idle.push(idle));
    this.#all.add(connection);
    connection.socket.once("close", () => {
      this.#all.delete(connection);
      const at = this.#idle.indexOf(connection);
      if (at >= 0) this.#idle.splice(at, 1);
    });
    return connection;
  }
}

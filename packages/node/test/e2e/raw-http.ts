import { connect, type Socket } from "node:net";

/** A response as read off the wire: status, header lines as sent, body. */
export interface WireResponse {
  readonly status: number;
  /** Header lines of the head, in order, as sent. */
  readonly lines: readonly string[];
  readonly body: Buffer;
}

/**
 * An HTTP/1.1 connection driven by hand: the tests send exactly the bytes they mean (whole requests,
 * requests in pieces, pipelined ones) and read answers in order.
 */
export class RawConnection {
  readonly socket: Socket;
  #received = Buffer.alloc(0);
  #ended = false;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#wake?.();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#wake?.();
    });
    socket.on("error", () => undefined);
  }

  /** A connection to 127.0.0.1, from `localAddress` when given (any of 127.0.0.0/8 on Linux). */
  static open(port: number, localAddress?: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(
        { host: "127.0.0.1", port, ...(localAddress !== undefined && { localAddress }) },
        () => resolve(new RawConnection(socket)),
      );
      socket.once("error", reject);
    });
  }

  send(bytes: Uint8Array | string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(bytes, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** The next response; rejects if the connection closes before it is whole. */
  async response(): Promise<WireResponse> {
    for (;;) {
      const parsed = this.#parse();
      if (parsed !== undefined) return parsed;
      if (this.#ended) throw new Error("the connection closed before a whole response");
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Resolves when the node has closed the connection. */
  async closed(): Promise<void> {
    while (!this.#ended) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  #parse(): WireResponse | undefined {
    const headEnd = this.#received.indexOf("\r\n\r\n");
    if (headEnd < 0) return undefined;
    const [statusLine, ...lines] = this.#received.toString("latin1", 0, headEnd).split("\r\n");
    const length = lines
      .find((line) => /^content-length:/i.test(line))
      ?.split(":")[1]
      ?.trim();
    const bodyStart = headEnd + 4;
    const bodyEnd = bodyStart + Number(length ?? 0);
    if (this.#received.length < bodyEnd) return undefined;
    const body = this.#received.subarray(bodyStart, bodyEnd);
    this.#received = this.#received.subarray(bodyEnd);
    return { status: Number(statusLine!.split(" ")[1]), lines, body };
  }
}

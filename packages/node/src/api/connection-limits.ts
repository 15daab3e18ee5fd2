import { isIPv6, type Socket } from "node:net";

export interface ConnectionLimitOptions {
  /** Open HTTP connections the node holds at most; more are closed as they come. */
  readonly maxConnections: number;
  /** Of those, at most this many from one client address (one /64 for IPv6). */
  readonly maxConnectionsPerAddress: number;
}

export type ConnectionRefusal = "total" | "per_address";

/**
 * Caps on open connections, checked as each is accepted: each costs the node a file descriptor,
 * and one client that opens and holds thousands (idle, or sending a byte now and then) would leave
 * none for LevelDB's files and libp2p's peers. A refused connection is closed at once, unanswered:
 * writing an answer would hold its descriptor for as long as the client does not read. O(1) per
 * connection (two counters and a map entry), nothing per request.
 */
export class ConnectionLimits {
  readonly #options: ConnectionLimitOptions;
  readonly #refused: (reason: ConnectionRefusal) => void;
  readonly #byAddress = new Map<string, number>();
  #open = 0;

  constructor(options: ConnectionLimitOptions, refused: (reason: ConnectionRefusal) => void) {
    this.#options = options;
    this.#refused = refused;
  }

  /** Whether the connection may stay; if not, it is closed and counted. */
  admit(socket: Socket): boolean {
    const address = socket.remoteAddress;
    // Already gone (reset before it was accepted): nothing to hold.
    if (address === undefined) {
      socket.destroy();
      return false;
    }
    const client = clientOf(address);
    const held = this.#byAddress.get(client) ?? 0;
    const refusal: ConnectionRefusal | undefined =
      this.#open >= this.#options.maxConnections
        ? "total"
        : held >= this.#options.maxConnectionsPerAddress
          ? "per_address"
          : undefined;
    if (refusal !== undefined) {
      this.#refused(refusal);
      socket.destroy();
      return false;
    }
    this.#open++;
    this.#byAddress.set(client, held + 1);
    socket.once("close", () => {
      this.#open--;
      const left = this.#byAddress.get(client)! - 1;
      if (left === 0) this.#byAddress.delete(client);
      else this.#byAddress.set(client, left);
    });
    return true;
  }
}

/**
 * What one client is: its IPv4 address (also when a dual-stack listener reports it IPv4-mapped), or
 * the /64 of its IPv6 address, since one host is routinely given a whole /64 to pick addresses from.
 */
export function clientOf(address: string): string {
  if (address.startsWith("::ffff:") && address.includes(".")) return address.slice(7);
  if (!isIPv6(address)) return address;
  const [head = "", tail = ""] = address.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === "" ? [] : tail.split(":");
  // A dotted IPv4 tail ("64:ff9b::192.0.2.1") stands for two groups.
  const tailLength = tailGroups.length + (tail.includes(".") ? 1 : 0);
  const groups = address.includes("::")
    ? [...headGroups, ...Array<string>(8 - headGroups.length - tailLength).fill("0"), ...tailGroups]
    : headGroups;
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(":")}::/64`;
}

import { createServer } from "node:net";
import { TempelError } from "@tempel/proto";

/** A port a script is to start a server on is held by another process. Code PORT_TAKEN. */
export class PortTakenError extends TempelError {}

export interface PlannedPort {
  readonly port: number;
  /** What would listen there, for the message: "node-1's HTTP API". */
  readonly what: string;
}

/** Whether a server could listen on 127.0.0.1:`port` now (the address a local cluster's nodes use). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * Refuses (PortTakenError, naming each port and its use, then `advice`) when another process holds
 * any of `ports`: a server started there would fail, and a probe of the port would reach the other
 * process instead.
 */
export async function refuseTakenPorts(ports: readonly PlannedPort[], advice: string): Promise<void> {
  const free = await Promise.all(ports.map(({ port }) => portFree(port)));
  const taken = ports.filter((_, i) => !free[i]);
  if (taken.length === 0) return;
  const named = taken.map(({ port, what }) => `${port} (${what})`).join(", ");
  throw new PortTakenError(
    "PORT_TAKEN",
    `${taken.length > 1 ? `ports ${named} are` : `port ${named} is`} taken by another process ` +
      `(another cluster, \`npm start\` in another checkout?); ${advice}`,
    { ports: taken.map(({ port }) => port) },
  );
}

export interface ApiOptions {
  /** Bind address; loopback by default so that a fresh node is not exposed by accident. */
  host: string;
  port: number;
  /** Largest JSON request body. */
  maxJsonBytes: number;
  /** Largest KSI PDU body: one TLV16 element (4-byte header + 65535 value bytes). */
  maxPduBytes: number;
  /** Most imprints in one JSON sign request. */
  maxSignBatch: number;
  /** Most request payloads in one KSI aggregation PDU; the response PDU must still fit 64 KiB. */
  maxPduPayloads: number;
  /** Seconds a client is told to wait before retrying after an overload answer. */
  retryAfterSeconds: number;
  /**
   * Open connections at most. Each costs a file descriptor, and LevelDB and libp2p need theirs: keep
   * it well below the process's limit (`ulimit -Hn`; Node raises the soft limit to it).
   */
  maxConnections: number;
  /** Open connections from one client address (one /64 for IPv6) at most. */
  maxConnectionsPerAddress: number;
  /** A connection that has not sent a whole request head this long after it opened is closed. */
  firstRequestTimeoutMs: number;
}

export const defaultApiOptions: ApiOptions = {
  host: "127.0.0.1",
  port: 3131,
  maxJsonBytes: 4 * 1024 * 1024,
  maxPduBytes: 4 + 0xffff,
  maxSignBatch: 10_000,
  maxPduPayloads: 16,
  retryAfterSeconds: 1,
  // KSI clients do not pipeline: each request waiting for its round holds a connection, so 10k
  // requests/s hold some 15k connections (the node benchmark's load).
  maxConnections: 16_384,
  maxConnectionsPerAddress: 4_096,
  firstRequestTimeoutMs: 10_000,
};

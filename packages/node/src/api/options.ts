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
}

export const defaultApiOptions: ApiOptions = {
  host: "127.0.0.1",
  port: 3131,
  maxJsonBytes: 4 * 1024 * 1024,
  maxPduBytes: 4 + 0xffff,
  maxSignBatch: 10_000,
  maxPduPayloads: 16,
  retryAfterSeconds: 1,
};

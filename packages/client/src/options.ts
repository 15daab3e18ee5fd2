import {
  DEFAULT_HMAC_ALGORITHM,
  HashAlgorithm,
  type Hasher,
  hashAlgorithm,
  isDeprecatedAt,
  MAX_LOGIN_ID_BYTES,
  TempelError,
} from "@tempel/proto";
import { OptionsError } from "./errors.ts";
import { fetchTransport, type HttpTransport } from "./transport/http-transport.ts";
import { isHttpUrl } from "./transport/http-url.ts";
import type { AgencyCredentials } from "./transport/ksi-channel.ts";
import type { TrustOptions } from "./trust/trust-options.ts";

export interface TempelClientOptions {
  /** Base URLs of the cluster's nodes, e.g. http://127.0.0.1:3131. */
  readonly endpoints: readonly string[];
  /**
   * The agency as the nodes' configuration names it; needed to sign and extend (and to verify with
   * the calendar policy), not for status, head or publications. A text key is used as its UTF-8 bytes,
   * as KSI clients and Tempel nodes derive the HMAC key from the configured secret.
   */
  readonly agency?: { readonly loginId: string; readonly key: string | Uint8Array };
  readonly trust?: TrustOptions;
  /** Per-attempt timeout; a signing request waits for the end of its round (about a second). */
  readonly timeoutMs?: number;
  /** Attempts after the first, spread over the endpoints. */
  readonly retries?: number;
  /** Ask a second node when the first has not answered by then; off by default. */
  readonly hedgeAfterMs?: number;
  readonly backoffMs?: number;
  /** How long a failed node is skipped. */
  readonly quarantineMs?: number;
  /** KSI id of the hash algorithm data is hashed with (default SHA-256); see HashAlgorithm. */
  readonly hashAlgorithm?: number;
  /** KSI id of the PDU HMAC algorithm (default SHA-256). */
  readonly hmacAlgorithm?: number;
  /** How long a fetched publications file is used before it is fetched again (default 1 hour). */
  readonly publicationsTtlMs?: number;
  /** The fetch to send requests with (default: the platform's); for tests and proxies. */
  readonly fetch?: typeof globalThis.fetch;
  /**
   * How to speak HTTP instead of fetch, e.g. `nodeHttpTransport()` from `@tempel/client/node`, which
   * costs a Node.js process about half the CPU per request. Not together with `fetch`.
   */
  readonly transport?: HttpTransport;
  /**
   * What the client hashes with: PDU HMACs, its own aggregation trees, the checks of answers and of
   * signatures it verifies, the documents it hashes. Default: `nobleHasher` (pure JS, runs anywhere);
   * a Node.js program passes `nodeHasher` (node:crypto, several times faster), which
   * `@tempel/client/node` re-exports from `@tempel/proto/node`.
   */
  readonly hasher?: Hasher;
}

export const clientDefaults = {
  hashAlgorithm: HashAlgorithm.SHA2_256,
  hmacAlgorithm: DEFAULT_HMAC_ALGORITHM,
  publicationsTtlMs: 3_600_000,
} as const;

/** A KSI hash algorithm this build computes and that is not deprecated for new signatures. */
export function usableAlgorithm(id: number, option: string): number {
  try {
    const info = hashAlgorithm(id);
    if (!info.implemented || isDeprecatedAt(info, Math.floor(Date.now() / 1000))) {
      throw new OptionsError(`${option}: ${info.name} cannot be used for new signatures`);
    }
    return id;
  } catch (error) {
    if (error instanceof OptionsError || !(error instanceof TempelError)) throw error;
    throw new OptionsError(`${option}: ${error.message}`);
  }
}

export function checkEndpoints(endpoints: readonly string[]): void {
  for (const endpoint of endpoints) {
    if (!isHttpUrl(endpoint)) {
      throw new OptionsError(`endpoint ${endpoint} is not an http(s) URL`);
    }
  }
}

/** The transport `options` name, if any: a fetch becomes one. */
export function chosenTransport(options: TempelClientOptions): HttpTransport | undefined {
  if (options.fetch !== undefined && options.transport !== undefined) {
    throw new OptionsError("give fetch or transport, not both");
  }
  return options.fetch === undefined ? options.transport : fetchTransport(options.fetch);
}

export function agencyCredentials(agency: NonNullable<TempelClientOptions["agency"]>): AgencyCredentials {
  const loginIdBytes = new TextEncoder().encode(agency.loginId).length;
  if (loginIdBytes === 0 || loginIdBytes > MAX_LOGIN_ID_BYTES) {
    throw new OptionsError(`agency.loginId must have 1..${MAX_LOGIN_ID_BYTES} bytes`);
  }
  const key = typeof agency.key === "string" ? new TextEncoder().encode(agency.key) : agency.key;
  if (key.length === 0) throw new OptionsError("agency.key must not be empty");
  return { loginId: agency.loginId, key };
}

import {
  MAX_PUBLICATIONS_FILE_BYTES,
  PkiError,
  type PublicationsFile,
  type SignerConstraints,
  TempelError,
  verifyPublicationsFile,
} from "@tempel/proto";
import { AbortedError, NetworkError, ProtocolError, VerificationError } from "../errors.ts";
import { readBoundedBody } from "../transport/bounded-body.ts";
import { httpFailure } from "../transport/http-status.ts";

export interface PublicationsSourceOptions {
  readonly url: string;
  /** DER certificates the file's CMS signer must chain to. */
  readonly trustAnchors: readonly Uint8Array[];
  readonly constraints?: SignerConstraints;
  readonly timeoutMs: number;
  /** How long a checked file is used before it is fetched again. */
  readonly ttlMs: number;
  readonly fetch: typeof globalThis.fetch;
  readonly now: () => number;
}

/**
 * The cluster's publications file, fetched from its URL and used only once its CMS signature checks
 * out against the trust anchors; kept for `ttlMs` so verifying many signatures fetches it once.
 */
export class PublicationsSource {
  readonly #options: PublicationsSourceOptions;
  #cached?: { readonly file: PublicationsFile; readonly until: number };

  constructor(options: PublicationsSourceOptions) {
    this.#options = options;
  }

  async get(signal?: AbortSignal): Promise<PublicationsFile> {
    const now = this.#options.now();
    if (this.#cached !== undefined && this.#cached.until > now) return this.#cached.file;
    const file = await this.#fetch(signal);
    this.#cached = { file, until: now + this.#options.ttlMs };
    return file;
  }

  async #fetch(signal: AbortSignal | undefined): Promise<PublicationsFile> {
    const { url, timeoutMs } = this.#options;
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    let bytes: Uint8Array;
    try {
      const response = await this.#options.fetch(url, { signal: combined });
      if (response.status !== 200) throw await httpFailure(response, url);
      bytes = await readBoundedBody(response, MAX_PUBLICATIONS_FILE_BYTES, "publications file");
    } catch (error) {
      if (signal?.aborted) throw new AbortedError(signal.reason);
      if (error instanceof TempelError) throw error;
      const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
      throw new NetworkError(
        "PUBLICATIONS_UNREACHABLE",
        `cannot fetch the publications file ${url}: ${reason}`,
      );
    }
    try {
      const { trustAnchors, constraints } = this.#options;
      return await verifyPublicationsFile(bytes, {
        trustAnchors,
        ...(constraints !== undefined && { constraints }),
      });
    } catch (error) {
      if (error instanceof PkiError) {
        throw new VerificationError(
          "PUBLICATIONS_FILE_UNTRUSTED",
          `the publications file ${url} is not signed as the trust anchors require: ${error.message}`,
        );
      }
      if (error instanceof TempelError) {
        throw new ProtocolError(
          "BAD_PUBLICATIONS_FILE",
          `${url} is not a publications file: ${error.message}`,
        );
      }
      throw error;
    }
  }
}

import {
  type DetachedCmsOptions,
  PkiError,
  type PublicationsFile,
  TempelError,
  verifyPublicationsFile,
} from "@tempel/proto";
import { NotYetAvailableError, ProtocolError, ServiceError, VerificationError } from "../errors.ts";

export interface PublicationsSourceOptions {
  /** Where the file is read from, for messages. */
  readonly where: string;
  /** Fetches the file's bytes, bounded in size. */
  readonly load: (signal: AbortSignal | undefined) => Promise<Uint8Array>;
  /** What the file's CMS signer must chain to. */
  readonly signer: DetachedCmsOptions;
  /** How long a checked file is used before it is fetched again. */
  readonly ttlMs: number;
  readonly now: () => number;
}

/**
 * The cluster's publications file, used only once its CMS signature checks out against the trust
 * anchors; kept for `ttlMs` so verifying many signatures fetches it once.
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
    const { where } = this.#options;
    let bytes: Uint8Array;
    try {
      bytes = await this.#options.load(signal);
    } catch (error) {
      // Tempel nodes answer 404 until their first publication.
      if (error instanceof ServiceError && error.httpStatus === 404) {
        throw new NotYetAvailableError("NOT_YET_PUBLISHED", `${where}: nothing is published yet (HTTP 404)`);
      }
      throw error;
    }
    try {
      return await verifyPublicationsFile(bytes, this.#options.signer);
    } catch (error) {
      if (error instanceof PkiError) {
        throw new VerificationError(
          "PUBLICATIONS_FILE_UNTRUSTED",
          `the publications file from ${where} is not signed as the trust anchors require: ${error.message}`,
        );
      }
      if (error instanceof TempelError) {
        throw new ProtocolError(
          "BAD_PUBLICATIONS_FILE",
          `${where} sent no publications file: ${error.message}`,
        );
      }
      throw error;
    }
  }
}

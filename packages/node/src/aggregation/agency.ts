import type { LeafMetadata } from "@tempel/proto";

/** An agency: a KSI login id with its shared HMAC key (used as UTF-8 bytes, as KSI clients do). */
export interface AgencyConfig {
  readonly loginId: string;
  readonly key: string;
  /** Hashes per second; the rounds' `agencyQuotaPerSecond` when absent. */
  readonly quotaPerSecond?: number;
}

/** A configured agency as the API and the rounds use it. */
export interface Agency {
  readonly loginId: string;
  /** HMAC key bytes: the configured key as UTF-8, as KSI clients derive it from their password. */
  readonly key: Uint8Array;
  readonly quotaPerSecond: number;
  /** Written above each of the agency's hashes, so its signatures name it. Shared by all its leaves. */
  readonly metadata: LeafMetadata;
}

export class AgencyRegistry {
  readonly #byLoginId: ReadonlyMap<string, Agency>;

  constructor(agencies: readonly AgencyConfig[], defaultQuotaPerSecond: number) {
    const encoder = new TextEncoder();
    this.#byLoginId = new Map(
      agencies.map((a) => [
        a.loginId,
        {
          loginId: a.loginId,
          key: encoder.encode(a.key),
          quotaPerSecond: a.quotaPerSecond ?? defaultQuotaPerSecond,
          metadata: { clientId: a.loginId },
        },
      ]),
    );
  }

  get(loginId: string): Agency | undefined {
    return this.#byLoginId.get(loginId);
  }
}

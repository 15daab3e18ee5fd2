import { AggregatorStatus } from "@tempel/proto";
import { describe, expect, it } from "vitest";
import type { Agency } from "../../src/aggregation/index.ts";
import { RoundRejection } from "../../src/aggregation/index.ts";
import { ksiRule } from "../../src/api/error-table.ts";
import { AgencyQuotas } from "../../src/gateway/agency-quotas.ts";

const agency = (loginId: string, quotaPerSecond: number): Agency => ({
  loginId,
  key: new Uint8Array(),
  quotaPerSecond,
  metadata: { clientId: loginId },
});

describe("a tier's agency quotas", () => {
  it("refuses an agency's hashes past its quota in the same second, whole, and not another agency's", () => {
    let now = 5_000;
    const quotas = new AgencyQuotas(() => now);
    const flood = agency("flood", 10);
    quotas.take(flood, 8);
    expect(() => quotas.take(flood, 3)).toThrow(RoundRejection);
    // The refused request took nothing: what is left still fits.
    quotas.take(flood, 2);
    expect(() => quotas.take(flood, 1)).toThrowError(/may submit 10 hashes per second; 10 already taken/);
    quotas.take(agency("other", 10), 10);
    now = 5_999;
    expect(() => quotas.take(flood, 1)).toThrow(RoundRejection);
    now = 6_000;
    quotas.take(flood, 10);
  });

  it("answers with code QUOTA, which the API maps to KSI 0x0105 and HTTP 429", () => {
    const quotas = new AgencyQuotas(() => 0);
    const error = (() => {
      try {
        quotas.take(agency("a", 1), 2);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(RoundRejection);
    expect((error as RoundRejection).code).toBe("QUOTA");
    const rule = ksiRule((error as RoundRejection).code);
    expect([rule.ksi, rule.http]).toEqual([AggregatorStatus.OVER_QUOTA, 429]);
  });
});

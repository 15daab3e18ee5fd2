import { AggregatorStatus, ExtenderStatus, PduStatus } from "@tempel/proto";
import { describe, expect, it } from "vitest";
import { HashRequestError, RoundRejection } from "../../src/aggregation/index.ts";
import { ERROR_TABLE, ksiRule } from "../../src/api/error-table.ts";
import { HttpError } from "../../src/api/http-error.ts";
import { httpRefusal, isRefusal } from "../../src/api/refusals.ts";
import { silentLogger } from "../../src/logger/logger.ts";
import { createMetrics } from "../../src/metrics/index.ts";
import { CalendarRangeError, StoreError } from "../../src/store/index.ts";

const RETRY_AFTER = 7;

/** httpRefusal with a fresh registry; the answer and the rejections it counted, by reason. */
async function refuse(error: unknown) {
  const metrics = createMetrics({ processMetrics: false });
  const answer = httpRefusal(error, "test", {
    metrics: metrics.api,
    logger: silentLogger,
    retryAfterSeconds: RETRY_AFTER,
  });
  const counted = (
    await metrics.registry.getSingleMetric("tempel_rejected_requests_total")!.get()
  ).values.map((v) => [v.labels.reason, v.value]);
  return { answer, counted: Object.fromEntries(counted) };
}

describe("the error table (api/error-table.ts)", () => {
  it("answers an over-quota agency 429 with Retry-After 1 and an overload 503 with the configured wait, each counted", async () => {
    const quota = await refuse(new RoundRejection("QUOTA", "quota used"));
    expect(quota.answer).toEqual({
      status: 429,
      code: "QUOTA",
      message: "quota used",
      headers: { "retry-after": "1" },
    });
    expect(quota.counted).toEqual({ quota: 1 });
    const overload = await refuse(new RoundRejection("OVERLOAD", "busy"));
    expect(overload.answer.status).toBe(503);
    expect(overload.answer.headers).toEqual({ "retry-after": String(RETRY_AFTER) });
    expect(overload.counted).toEqual({ overload: 1 });
  });

  it("does not count a failed round as a client's refusal", async () => {
    const failed = await refuse(new RoundRejection("ROUND_FAILED", "try again"));
    expect(failed.answer.status).toBe(503);
    expect(failed.counted).toEqual({});
  });

  it("refuses a bad hash and a bad calendar range with 400 under their own reasons", async () => {
    expect((await refuse(new HashRequestError("LEVEL_RANGE", "level 300"))).counted).toEqual({
      bad_imprint: 1,
    });
    const range = await refuse(new CalendarRangeError("TIME_TOO_NEW", "not yet"));
    expect(range.answer.status).toBe(400);
    expect(range.counted).toEqual({ bad_request: 1 });
  });

  it("answers a fault of the node 500 INTERNAL without its message, and names a contradicted calendar", async () => {
    const fault = await refuse(new Error("secret detail"));
    expect(fault.answer).toMatchObject({ status: 500, code: "INTERNAL" });
    expect(fault.answer.message).not.toContain("secret");
    expect(fault.counted).toEqual({});
    const contradicted = await refuse(new StoreError("CALENDAR_CONTRADICTS_CERTIFICATE", "root differs"));
    expect(contradicted.answer).toMatchObject({ status: 500, code: "CALENDAR_CONTRADICTS_CERTIFICATE" });
    expect(contradicted.answer.message).toMatch(/ask another node/);
  });

  it("gives the KSI status for the same codes from the same rows", () => {
    expect(ksiRule("QUOTA").ksi).toBe(AggregatorStatus.OVER_QUOTA);
    expect(ksiRule("NO_QUORUM").ksi).toBe(AggregatorStatus.UPSTREAM_ERROR);
    expect(ksiRule("LEVEL_RANGE").ksi).toBe(AggregatorStatus.REQUEST_TOO_LARGE);
    expect(ksiRule("TIME_IN_FUTURE").ksi).toBe(ExtenderStatus.TIME_IN_FUTURE);
    expect(ksiRule("AUTHENTICATION_FAILED").ksi).toBe(PduStatus.AUTHENTICATION_FAILURE);
    expect(new HttpError("AUTHENTICATION_FAILED", "no").status).toBe(ERROR_TABLE.AUTHENTICATION_FAILED.http);
  });

  it("takes only declared codes: a misspelt one does not compile (tsc checks the lines marked below)", () => {
    // @ts-expect-error "QUOTAS" is no RoundRejectionCode
    const misspelt = new RoundRejection("QUOTAS", "x");
    // @ts-expect-error "NOTFOUND" is no ApiErrorCode
    const unknown = new HttpError("NOTFOUND", "x");
    // @ts-expect-error "STORE_CORUPT" is no StoreErrorCode
    const store = new StoreError("STORE_CORUPT", "x");
    // An undeclared code that got past the compiler (from JavaScript) has no row.
    expect(ERROR_TABLE[misspelt.code as keyof typeof ERROR_TABLE]).toBeUndefined();
    expect(isRefusal(unknown)).toBe(true);
    expect(isRefusal(store)).toBe(false);
  });
});

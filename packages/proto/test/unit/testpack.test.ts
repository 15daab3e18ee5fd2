import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { calendarChainOutput } from "../../src/calendar/index.ts";
import { TempelError } from "../../src/errors.ts";
import { decodeExtendResponsePdu } from "../../src/pdu/index.ts";
import { decodePublicationString } from "../../src/publication/index.ts";
import { decodeSignature } from "../../src/signature/index.ts";
import type { KsiSignature } from "../../src/signature/types.ts";
import { toHex } from "../../src/util/bytes.ts";
import {
  calendarPolicy,
  type Extender,
  internalPolicy,
  type Rule,
  signedHash,
  userPublicationPolicy,
  VerificationContext,
  type VerificationOptions,
  verifySignature,
} from "../../src/verification/index.ts";
import { readTestPackCsv, TEST_PACK_CSVS, type TestPackRow } from "./helpers/testpack.ts";

/**
 * Every row of the KSI test pack's result CSVs: `parsing` rows must not decode, policy rows must give
 * the expected code (none = OK) and the facts the row states (input hash, calendar input and output,
 * times). Rows that need Guardtime's live services are skipped with the reason, still checked against
 * the internal policy, and counted in the summary line.
 */

/** An extender that answers with the calendar chain of a recorded extension response PDU. */
function recordedExtender(path: string): Extender {
  const { pdu } = decodeExtendResponsePdu(new Uint8Array(readFileSync(path)));
  const chain = pdu.responses[0]?.calendarChain;
  if (chain === undefined) throw new Error(`${path} has no calendar chain`);
  return async (aggregationTime, publicationTime) => {
    if (
      aggregationTime !== chain.aggregationTime ||
      (publicationTime ?? chain.publicationTime) !== chain.publicationTime
    ) {
      throw new Error(`the recorded response answers ${chain.aggregationTime}→${chain.publicationTime} only`);
    }
    return chain;
  };
}

type Plan =
  | { readonly kind: "decode-fails" }
  | { readonly kind: "verify"; readonly policy: Rule; readonly options: VerificationOptions }
  | { readonly kind: "live"; readonly reason: string };

function plan(row: TestPackRow): Plan {
  const level = { inputLevel: row.inputLevel };
  switch (row.policy) {
    case "parsing":
      return { kind: "decode-fails" };
    case "internal":
      return { kind: "verify", policy: internalPolicy, options: level };
    case "userPublication":
      return {
        kind: "verify",
        policy: userPublicationPolicy,
        options: {
          ...level,
          userPublication: decodePublicationString(row.publicationString!),
          extendingAllowed: row.extendingPermitted,
        },
      };
    case "calendar":
      return row.extenderResponse === undefined
        ? { kind: "live", reason: "calendar policy needs Guardtime's extender (no recorded response)" }
        : {
            kind: "verify",
            policy: calendarPolicy,
            options: { ...level, extender: recordedExtender(row.extenderResponse) },
          };
    case "key":
      return {
        kind: "live",
        reason: "key policy needs the certificate from Guardtime's live publications file",
      };
    case "publicationsFile":
      return { kind: "live", reason: "publications-file policy needs Guardtime's live publications file" };
    default:
      throw new Error(`${row.name}: unknown policy "${row.policy}"`);
  }
}

/** The facts a row states about the signature, each compared with what Tempel computes. */
function expectRowFacts(row: TestPackRow, signature: KsiSignature): void {
  const hex = (bytes: Uint8Array) => toHex(bytes).toUpperCase();
  if (row.inputHash !== undefined) expect(hex(signedHash(signature)), "input hash").toBe(row.inputHash);
  if (row.calendarInput !== undefined) {
    expect(hex(new VerificationContext(signature).aggregationRoot()), "calendar chain input").toBe(
      row.calendarInput,
    );
  }
  if (row.calendarOutput !== undefined) {
    expect(hex(calendarChainOutput(signature.calendarChain!)), "calendar chain output").toBe(
      row.calendarOutput,
    );
  }
  if (row.aggregationTime !== undefined) {
    expect(signature.aggregationChains[0]!.aggregationTime, "aggregation time").toBe(row.aggregationTime);
  }
  if (row.publicationTime !== undefined) {
    expect(signature.calendarChain!.publicationTime, "publication time").toBe(row.publicationTime);
  }
}

const rows = Object.values(TEST_PACK_CSVS).flatMap((csv) => readTestPackCsv(csv));
const skipped = new Map<string, number>();
let ran = 0;

describe("KSI test pack", () => {
  for (const row of rows) {
    const rowPlan = plan(row);
    const bytes = () => new Uint8Array(readFileSync(row.path));
    switch (rowPlan.kind) {
      case "decode-fails":
        ran++;
        it(`${row.name} fails to decode`, () => {
          expect(() => decodeSignature(bytes())).toThrow(TempelError);
        });
        break;
      case "verify":
        ran++;
        it(`${row.name} gives ${row.errorCode ?? "OK"} under the ${row.policy} policy`, async () => {
          const signature = decodeSignature(bytes());
          expectRowFacts(row, signature);
          const result = await verifySignature(signature, rowPlan.options, rowPlan.policy);
          expect(
            { result: result.result === "OK" ? "OK" : "not OK", code: result.code },
            result.message,
          ).toEqual({
            result: row.errorCode === undefined ? "OK" : "not OK",
            code: row.errorCode ?? null,
          });
        });
        break;
      case "live":
        skipped.set(rowPlan.reason, (skipped.get(rowPlan.reason) ?? 0) + 1);
        it.skip(`${row.name} under the ${row.policy} policy: ${rowPlan.reason}`, () => {});
        it(`${row.name} passes the internal policy and states its facts (its ${row.policy} row needs a live service)`, async () => {
          const signature = decodeSignature(bytes());
          expectRowFacts(row, signature);
          const result = await verifySignature(signature, { inputLevel: row.inputLevel }, internalPolicy);
          expect(result.code, result.message).toBeNull();
        });
        break;
    }
  }

  afterAll(() => {
    const reasons = [...skipped].map(([reason, count]) => `${count}: ${reason}`).join("; ");
    const total = [...skipped.values()].reduce((a, b) => a + b, 0);
    console.log(`test pack: ${ran} rows run, ${total} skipped (${reasons})`);
  });

  it("accounts for every CSV row", () => {
    expect(ran + [...skipped.values()].reduce((a, b) => a + b, 0)).toBe(rows.length);
    expect(rows.length).toBe(188);
  });
});

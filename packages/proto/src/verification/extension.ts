import { calendarChainAggregationTime, calendarChainOutput } from "../calendar/index.ts";
import type { CalendarHashChain, PublicationData } from "../signature/types.ts";
import { bytesEqual } from "../util/bytes.ts";
import { deprecatedCalendarStep } from "./algorithm-status.ts";
import type { VerificationContext } from "./context.ts";
import { fail, inconclusive, ok, type VerificationResult } from "./result.ts";

export type Extension =
  | { readonly chain: CalendarHashChain; readonly result?: undefined }
  | { readonly chain?: undefined; readonly result: VerificationResult };

/**
 * The extender's calendar chain from the signing second to `publicationTime` (the calendar head when
 * undefined), or the inconclusive result saying why there is none.
 */
export async function extend(
  context: VerificationContext,
  rule: string,
  publicationTime: number | undefined,
): Promise<Extension> {
  const extender = context.options.extender;
  if (extender === undefined) return { result: inconclusive(rule, "needs an extender (calendar service)") };
  try {
    return { chain: await context.extendedChain(extender, publicationTime) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { result: inconclusive(rule, `the extender did not answer: ${reason}`) };
  }
}

/**
 * Extend the signature to a trusted publication (not earlier than the signature: the caller picks
 * it) and check the extender's answer against it, in libksi's order: extending is permitted, the
 * extender answers, with no step hash deprecated at the publication (else NA); the chain reaches the
 * published root (PUB-01), at the published second, from the signing second (PUB-02), starting at
 * the signature's aggregation root (PUB-03). Used when the signature's own records cannot be
 * compared with the publication directly.
 *
 * PUB-02 also requires the chain's shape to lead to the signing second, which libksi does not
 * check: without it an extender could certify the root recorded at another second for this one.
 */
export async function verifyExtensionTo(
  context: VerificationContext,
  rule: string,
  publication: PublicationData,
): Promise<VerificationResult> {
  if (context.options.extendingAllowed !== true) {
    return inconclusive(
      rule,
      "the signature must be extended to the publication, and extending is not permitted",
    );
  }
  const extension = await extend(context, rule, publication.publicationTime);
  if (extension.result !== undefined) return extension.result;
  const chain = extension.chain;
  const deprecated = deprecatedCalendarStep(chain);
  if (deprecated !== undefined) return inconclusive(rule, `extended: ${deprecated}`);
  if (!bytesEqual(calendarChainOutput(chain, context.hasher), publication.publishedHash)) {
    return fail(rule, "PUB-01");
  }
  if (
    chain.publicationTime !== publication.publicationTime ||
    chain.aggregationTime !== context.aggregationTime ||
    calendarChainAggregationTime(chain.links, chain.publicationTime) !== context.aggregationTime
  ) {
    return fail(rule, "PUB-02", "the chain does not lead from the signing second to the publication");
  }
  if (!bytesEqual(chain.inputHash, context.aggregationRoot())) return fail(rule, "PUB-03");
  return ok(rule);
}

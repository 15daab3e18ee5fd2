import { calendarChainAggregationTime, calendarChainOutput } from "../calendar/index.ts";
import type { CalendarHashChain, PublicationData } from "../signature/types.ts";
import { bytesEqual } from "../util/bytes.ts";
import { algorithmName, calendarChainAlgorithmWhere, deprecatedAt } from "./algorithm-status.ts";
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
 * Extend the signature to a trusted publication and check the extender's answer against it: the
 * chain reaches the published root (PUB-01), at the published second, from the signing second
 * (PUB-02), starting at the signature's aggregation root (PUB-03). Used when the signature's own
 * records cannot be compared with the publication directly.
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
  if (publication.publicationTime < context.aggregationTime) {
    return inconclusive(rule, "the publication is older than the signature");
  }
  const extension = await extend(context, rule, publication.publicationTime);
  if (extension.result !== undefined) return extension.result;
  const chain = extension.chain;
  const deprecated = calendarChainAlgorithmWhere(chain, deprecatedAt);
  if (deprecated !== undefined) {
    return inconclusive(
      rule,
      `the extended calendar chain uses ${algorithmName(deprecated)}, deprecated then`,
    );
  }
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

import { firstPublicationCovering } from "../publication/publications-file.ts";
import type { CalendarHashChain } from "../signature/types.ts";
import { bytesEqual } from "../util/bytes.ts";
import { deprecatedCalendarStep } from "./algorithm-status.ts";
import { verifyExtensionTo } from "./extension.ts";
import { fail, inconclusive, ok, type VerificationResult } from "./result.ts";
import { rule } from "./rule.ts";

/**
 * The signature's publication record matched a trusted publication; the root it publishes counts
 * only if no step of the signature's calendar chain used a hash function deprecated by then (NA).
 */
function publishedRoot(name: string, chain: CalendarHashChain): VerificationResult {
  const deprecated = deprecatedCalendarStep(chain);
  return deprecated === undefined ? ok(name) : inconclusive(name, deprecated);
}

/**
 * A publication the user trusts (a printed publication string): the signature's publication record
 * for the same second must carry the same hash (PUB-04); otherwise the signature is extended to it,
 * which needs a publication later than the signing second.
 */
export const userPublicationRule = rule("UserPublication", (context) => {
  const name = "UserPublication";
  const publication = context.options.userPublication;
  if (publication === undefined) return inconclusive(name, "no publication string given");
  const record = context.signature.publicationRecord?.publishedData;
  if (record !== undefined && record.publicationTime === publication.publicationTime) {
    if (!bytesEqual(record.publishedHash, publication.publishedHash)) return fail(name, "PUB-04");
    return publishedRoot(name, context.signature.calendarChain!);
  }
  if (publication.publicationTime <= context.aggregationTime) {
    return inconclusive(name, "the publication is not later than the signature");
  }
  return verifyExtensionTo(context, name, publication);
});

/**
 * The cluster's publications file: if it has publications of the signature's publication second, one
 * of them must carry the record's hash (PUB-05); otherwise the signature is extended to the first
 * publication at or after the signing second.
 */
export const publicationsFileRule = rule("PublicationsFile", (context) => {
  const name = "PublicationsFile";
  const file = context.options.publicationsFile;
  if (file === undefined) return inconclusive(name, "no publications file given");
  const record = context.signature.publicationRecord?.publishedData;
  if (record !== undefined) {
    const sameSecond = file.publications.filter(
      (p) => p.publishedData.publicationTime === record.publicationTime,
    );
    if (sameSecond.length > 0) {
      if (!sameSecond.some((p) => bytesEqual(p.publishedData.publishedHash, record.publishedHash))) {
        return fail(name, "PUB-05");
      }
      return publishedRoot(name, context.signature.calendarChain!);
    }
  }
  const target = firstPublicationCovering(file.publications, context.aggregationTime);
  if (target === undefined) {
    return inconclusive(name, "the publications file has no publication after the signing time yet");
  }
  return verifyExtensionTo(context, name, target.publishedData);
});

/** Publication-based verification: against the user's publication when given, else the file. */
export const publicationRule = rule("PublicationBased", (context) =>
  context.options.userPublication !== undefined
    ? userPublicationRule.verify(context)
    : publicationsFileRule.verify(context),
);

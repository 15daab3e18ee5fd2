import { firstPublicationCovering } from "../publication/publications-file.ts";
import { bytesEqual } from "../util/bytes.ts";
import { verifyExtensionTo } from "./extension.ts";
import { fail, inconclusive, ok } from "./result.ts";
import { rule } from "./rule.ts";

/**
 * A publication the user trusts (a printed publication string): the signature's publication record
 * for the same second must carry the same hash (PUB-04); otherwise the signature is extended to it.
 */
export const userPublicationRule = rule("UserPublication", (context) => {
  const publication = context.options.userPublication;
  if (publication === undefined) return inconclusive("UserPublication", "no publication string given");
  const record = context.signature.publicationRecord?.publishedData;
  if (record !== undefined && record.publicationTime === publication.publicationTime) {
    return bytesEqual(record.publishedHash, publication.publishedHash)
      ? ok("UserPublication")
      : fail("UserPublication", "PUB-04");
  }
  return verifyExtensionTo(context, "UserPublication", publication);
});

/**
 * The cluster's publications file: if it has the signature's publication, the hashes must agree
 * (PUB-05); otherwise the signature is extended to the first publication after it.
 */
export const publicationsFileRule = rule("PublicationsFile", (context) => {
  const file = context.options.publicationsFile;
  if (file === undefined) return inconclusive("PublicationsFile", "no publications file given");
  const record = context.signature.publicationRecord?.publishedData;
  if (record !== undefined) {
    const same = file.publications.find((p) => p.publishedData.publicationTime === record.publicationTime);
    if (same !== undefined) {
      return bytesEqual(same.publishedData.publishedHash, record.publishedHash)
        ? ok("PublicationsFile")
        : fail("PublicationsFile", "PUB-05");
    }
  }
  const target = firstPublicationCovering(file.publications, context.aggregationTime);
  if (target === undefined) {
    return inconclusive(
      "PublicationsFile",
      "the publications file has no publication after the signing time yet",
    );
  }
  return verifyExtensionTo(context, "PublicationsFile", target.publishedData);
});

/** Publication-based verification: against the user's publication when given, else the file. */
export const publicationRule = rule("PublicationBased", (context) =>
  context.options.userPublication !== undefined
    ? userPublicationRule.verify(context)
    : publicationsFileRule.verify(context),
);

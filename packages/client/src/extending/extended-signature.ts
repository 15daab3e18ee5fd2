import {
  assembleSignature,
  bytesEqual,
  type CalendarHashChain,
  calendarChainOutput,
  type Hasher,
  internalPolicy,
  type KsiSignature,
  nobleHasher,
  type PublicationRecord,
  type QuorumCertificate,
  rightLinksMatch,
  VERIFICATION_CODES,
  verifySignature,
} from "@tempel/proto";
import { VerificationError } from "../errors.ts";

/** What certifies the root a new calendar chain reaches. */
export interface RootRecords {
  /** The publication of that root, when the chain reaches one. */
  readonly publicationRecord?: PublicationRecord;
  /** The cluster's quorum certificate for that root. */
  readonly quorumCertificate?: QuorumCertificate;
}

/**
 * `signature` extended (spec §4.4): its calendar chain replaced by `chain`, the records of its old
 * calendar root (authentication record, publication record, quorum certificate) dropped and those of
 * the new root added. Throws VerificationError, with the KSI code, when the new chain contradicts the
 * signature: the calendar before the signing second differs (CAL-04), the chain does not continue the
 * aggregation chains, or a record is for another root.
 */
export async function extendedSignature(
  signature: KsiSignature,
  chain: CalendarHashChain,
  records: RootRecords,
  hasher: Hasher = nobleHasher,
): Promise<KsiSignature> {
  if (signature.calendarChain !== undefined && !rightLinksMatch(signature.calendarChain, chain)) {
    throw new VerificationError(
      "CAL-04",
      `${VERIFICATION_CODES["CAL-04"]}: the calendar before the signing second is not the one the signature was made in`,
    );
  }
  const certificate = records.quorumCertificate;
  if (
    certificate !== undefined &&
    (certificate.publishedData.publicationTime !== chain.publicationTime ||
      !bytesEqual(certificate.publishedData.publishedHash, calendarChainOutput(chain, hasher)))
  ) {
    throw new VerificationError("PUB-01", `${VERIFICATION_CODES["PUB-01"]}: the certified root is another`);
  }
  const extended = assembleSignature({
    aggregationChains: signature.aggregationChains,
    calendarChain: chain,
    ...(signature.rfc3161Record !== undefined && { rfc3161Record: signature.rfc3161Record }),
    ...records,
  });
  const check = await verifySignature(extended, { hasher }, internalPolicy);
  if (check.result !== "OK") {
    throw new VerificationError(
      check.code ?? "GEN-02",
      `the extended signature is inconsistent: ${check.message}`,
    );
  }
  return extended;
}

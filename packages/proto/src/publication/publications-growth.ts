import { encodePublicationRecord } from "../signature/publication-record.ts";
import { PublicationsFileTag } from "../signature/tags.ts";
import type { PublicationRecord } from "../signature/types.ts";
import { encodeTlv } from "../tlv/codec.ts";
import { bytesEqual } from "../util/bytes.ts";

/**
 * How a publications file someone offers relates to the one already held. A cluster's file only ever
 * grows at its end, so every other relation is evidence that someone rewrote a publication:
 * - `root`: both have a publication for the same second with different calendar roots — two
 *   histories;
 * - `record`: the same published data in differing records (other references or quorum certificate);
 * - `sequence`: a publication was dropped, inserted or moved, or the times do not increase.
 */
export type PublicationsGrowth =
  | { readonly kind: "same" }
  | { readonly kind: "extends"; readonly added: readonly PublicationRecord[] }
  /** The offered file is an earlier state of the held one (a node that has not caught up). */
  | { readonly kind: "behind" }
  | {
      readonly kind: "conflict";
      readonly reason: "root" | "record" | "sequence";
      /** Absent when the held file's order is fine and the offered one's is not. */
      readonly held?: PublicationRecord;
      readonly offered: PublicationRecord;
    };

function recordBytes(record: PublicationRecord): Uint8Array {
  return encodeTlv(encodePublicationRecord(record, PublicationsFileTag.PUBLICATION_RECORD));
}

function timeOf(record: PublicationRecord): number {
  return record.publishedData.publicationTime;
}

/** Compare the publication records of a held and an offered file (each in file order). */
export function comparePublications(
  held: readonly PublicationRecord[],
  offered: readonly PublicationRecord[],
): PublicationsGrowth {
  for (let i = 1; i < offered.length; i++) {
    if (timeOf(offered[i]!) <= timeOf(offered[i - 1]!)) {
      return { kind: "conflict", reason: "sequence", offered: offered[i]! };
    }
  }
  const common = Math.min(held.length, offered.length);
  for (let i = 0; i < common; i++) {
    const ours = held[i]!;
    const theirs = offered[i]!;
    if (bytesEqual(recordBytes(ours), recordBytes(theirs))) continue;
    const reason =
      timeOf(ours) !== timeOf(theirs)
        ? "sequence"
        : bytesEqual(ours.publishedData.publishedHash, theirs.publishedData.publishedHash)
          ? "record"
          : "root";
    return { kind: "conflict", reason, held: ours, offered: theirs };
  }
  if (offered.length > held.length) return { kind: "extends", added: offered.slice(held.length) };
  return offered.length === held.length ? { kind: "same" } : { kind: "behind" };
}

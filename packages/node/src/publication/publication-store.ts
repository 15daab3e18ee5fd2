import {
  decodePublicationRecord,
  decodeTlvSequence,
  encodePublicationRecord,
  encodeTlvSequence,
  type PublicationRecord,
  PublicationsFileTag,
  tlv,
} from "@tempel/proto";
import { Bucket, bucketRange, keyNumber, type NodeDb, numberKey, plainView } from "../store/index.ts";
import { PublicationError } from "./errors.ts";

/** The publications this node serves: every record in file order and the CMS signature of the file. */
export interface StoredPublications {
  readonly records: readonly PublicationRecord[];
  /** CMS SignedData (DER) over the file ending with the last record; absent only with no records. */
  readonly signature: Uint8Array | undefined;
}

/**
 * Publication records in the node's LevelDB, bucket `publication`: key = bucket ‖ u64 publication
 * second, value = the record's TLV (0x0703) followed, for a record that was the last of a file this
 * node signed or adopted, by that file's signature TLV (0x0704). Header and certificate records are
 * not stored: they follow from the genesis and the last record, so the file is rebuilt byte for byte.
 */
export class PublicationStore {
  readonly #db: NodeDb;

  constructor(db: NodeDb) {
    this.#db = db;
  }

  async load(): Promise<StoredPublications> {
    const records: PublicationRecord[] = [];
    let signature: Uint8Array | undefined;
    for await (const [key, value] of this.#db.iterator(bucketRange(Bucket.publication))) {
      const time = keyNumber(key);
      const decoded = decodeStored(plainView(value), time);
      records.push(decoded.record);
      signature = decoded.signature;
    }
    if (records.length > 0 && signature === undefined) {
      throw new PublicationError(
        "PUBLICATION_STORE_CORRUPT",
        `publication ${records.at(-1)!.publishedData.publicationTime} is the last one but has no file signature`,
      );
    }
    return { records, signature };
  }

  /** Append `records` (after every stored one) with the signature of the file they end, in one batch. */
  async append(records: readonly PublicationRecord[], signature: Uint8Array): Promise<void> {
    const last = records.length - 1;
    await this.#db.batch(
      records.map((record, i) => ({
        type: "put" as const,
        key: numberKey(Bucket.publication, record.publishedData.publicationTime),
        value: encodeStored(record, i === last ? signature : undefined),
      })),
      { sync: true },
    );
  }
}

function encodeStored(record: PublicationRecord, signature: Uint8Array | undefined): Uint8Array {
  const elements = [encodePublicationRecord(record, PublicationsFileTag.PUBLICATION_RECORD)];
  if (signature !== undefined) elements.push(tlv(PublicationsFileTag.SIGNATURE, signature));
  return encodeTlvSequence(elements);
}

function decodeStored(
  bytes: Uint8Array,
  time: number,
): { record: PublicationRecord; signature?: Uint8Array } {
  const corrupt = (problem: string) =>
    new PublicationError("PUBLICATION_STORE_CORRUPT", `stored publication ${time}: ${problem}`, { time });
  let elements: ReturnType<typeof decodeTlvSequence>;
  let record: PublicationRecord;
  try {
    elements = decodeTlvSequence(bytes, 2);
    record = decodePublicationRecord(elements[0]!);
  } catch (error) {
    throw corrupt(`does not decode: ${(error as Error).message}`);
  }
  if (record.publishedData.publicationTime !== time) {
    throw corrupt(`holds the record of second ${record.publishedData.publicationTime}`);
  }
  const second = elements[1];
  if (second === undefined) return { record };
  if (second.type !== PublicationsFileTag.SIGNATURE) throw corrupt("has an unknown second element");
  return { record, signature: second.value };
}

import {
  checkImprint,
  decodeSafeUint,
  decodeTlv,
  encodeTlv,
  encodeTlvSequence,
  Fields,
  FormatError,
  type Imprint,
  tlv,
  uintTlv,
} from "@tempel/proto";
import { Bucket } from "./buckets.ts";
import type { BatchPut } from "./calendar-store.ts";
import { numberKey } from "./keys.ts";

/**
 * What this node aggregated in a committed round: its local tree's root and level (its contribution
 * in the calendar entry) and how many hashes the tree held. Written in the batch that appends the
 * round's calendar leaf, so the record exists exactly when the round is in the calendar.
 */
export interface RoundRecord {
  readonly time: number;
  readonly root: Imprint;
  readonly level: number;
  readonly hashes: number;
}

const RECORD = 0x01;
const TIME = 0x01;
const ROOT = 0x02;
const LEVEL = 0x03;
const HASHES = 0x04;

export function roundRecordPut(record: RoundRecord): BatchPut {
  const value = encodeTlv(
    tlv(
      RECORD,
      encodeTlvSequence([
        uintTlv(TIME, record.time),
        tlv(ROOT, record.root),
        uintTlv(LEVEL, record.level),
        uintTlv(HASHES, record.hashes),
      ]),
    ),
  );
  return { key: numberKey(Bucket.round, record.time), value };
}

export function decodeRoundRecord(bytes: Uint8Array): RoundRecord {
  const element = decodeTlv(bytes);
  if (element.type !== RECORD) {
    throw new FormatError(
      "ROUND_RECORD_TYPE",
      `round record has TLV type ${element.type}, expected ${RECORD}`,
    );
  }
  const fields = new Fields(
    element,
    [
      { type: TIME, name: "time", min: 1 },
      { type: ROOT, name: "root", min: 1 },
      { type: LEVEL, name: "level", min: 1 },
      { type: HASHES, name: "hashes", min: 1 },
    ],
    "round record",
  );
  const level = decodeSafeUint(fields.required(LEVEL));
  if (level > 255) throw new FormatError("ROUND_RECORD_LEVEL", `round record level ${level} exceeds 255`);
  return {
    time: decodeSafeUint(fields.required(TIME)),
    root: checkImprint(fields.required(ROOT).value, "round record root"),
    level,
    hashes: decodeSafeUint(fields.required(HASHES)),
  };
}

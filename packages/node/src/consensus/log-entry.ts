import {
  checkImprint,
  decodeSafeUint,
  decodeTlv,
  encodeTlv,
  encodeTlvSequence,
  Fields,
  FormatError,
  stringTlv,
  type TlvElement,
  tlv,
  uintTlv,
} from "@tempel/proto";
import { decodeMemberId, decodeSignature } from "./member-fields.ts";
import type { SignedCalendarEntry, SignedContribution } from "./types.ts";

/** A slot of the replicated log: calendar entry `entry.time` as proposed by the leader of `term`. */
export interface LogEntry {
  readonly term: number;
  readonly entry: SignedCalendarEntry;
}

/** TLV type of a log entry: the same bytes are stored in LevelDB and sent in AppendEntries. */
export const LOG_ENTRY_TYPE = 0x20;
const TERM = 0x01;
const TIME = 0x02;
const LEAF = 0x03;

/** A contribution without its time, which the enclosing entry or message carries. */
export const CONTRIBUTION_TYPE = 0x04;
const NODE_ID = 0x01;
const ROOT = 0x02;
const LEVEL = 0x03;
const SIGNATURE = 0x04;

/** Upper bounds that keep a hostile entry small; the genesis allows at most 64 members. */
const MAX_CONTRIBUTIONS = 64;
const MAX_LEVEL = 255;

export function encodeLogEntry(logEntry: LogEntry): Uint8Array {
  return encodeTlv(logEntryTlv(logEntry));
}

export function decodeLogEntry(bytes: Uint8Array): LogEntry {
  return logEntryFromTlv(decodeTlv(bytes));
}

export function logEntryTlv(logEntry: LogEntry): TlvElement {
  const { term, entry } = logEntry;
  return tlv(
    LOG_ENTRY_TYPE,
    encodeTlvSequence([
      uintTlv(TERM, term),
      uintTlv(TIME, entry.time),
      tlv(LEAF, entry.leaf),
      ...entry.contributions.map(contributionTlv),
    ]),
  );
}

/**
 * Strict structural check: known fields only, term ≥ 1, valid imprints, distinct node ids in
 * ascending order. Whether the leaf is the top tree over the contributions is `checkCalendarEntry`'s
 * job, which needs the hasher.
 */
export function logEntryFromTlv(element: TlvElement): LogEntry {
  if (element.type !== LOG_ENTRY_TYPE) {
    throw new FormatError(
      "CONSENSUS_ENTRY_TYPE",
      `expected a log entry, got TLV 0x${element.type.toString(16)}`,
    );
  }
  const fields = new Fields(
    element,
    [
      { type: TERM, name: "term", min: 1 },
      { type: TIME, name: "time", min: 1 },
      { type: LEAF, name: "leaf", min: 1 },
      { type: CONTRIBUTION_TYPE, name: "contribution", max: MAX_CONTRIBUTIONS },
    ],
    "log entry",
  );
  const term = decodeSafeUint(fields.required(TERM));
  if (term < 1) throw new FormatError("CONSENSUS_ENTRY_TERM", "log entry term must be at least 1");
  const time = decodeSafeUint(fields.required(TIME));
  const leaf = checkImprint(fields.required(LEAF).value, "log entry leaf");
  const contributions: SignedContribution[] = [];
  for (const child of fields.all(CONTRIBUTION_TYPE)) {
    const c = contributionFromTlv(child, time);
    const previous = contributions[contributions.length - 1];
    if (previous !== undefined && !(previous.nodeId < c.nodeId)) {
      throw new FormatError(
        "CONSENSUS_ENTRY_ORDER",
        "contributions must be sorted by node id without repeats",
      );
    }
    contributions.push(c);
  }
  return { term, entry: { time, contributions, leaf } };
}

export function contributionTlv(c: SignedContribution): TlvElement {
  return tlv(
    CONTRIBUTION_TYPE,
    encodeTlvSequence([
      stringTlv(NODE_ID, c.nodeId),
      tlv(ROOT, c.root),
      uintTlv(LEVEL, c.level),
      tlv(SIGNATURE, c.signature),
    ]),
  );
}

/** Structure only: whether the signature is the member's is `calendarEntryFault`'s (or the leader's) check. */
export function contributionFromTlv(element: TlvElement, time: number): SignedContribution {
  const fields = new Fields(
    element,
    [
      { type: NODE_ID, name: "node id", min: 1 },
      { type: ROOT, name: "root", min: 1 },
      { type: LEVEL, name: "level", min: 1 },
      { type: SIGNATURE, name: "signature", min: 1 },
    ],
    "contribution",
  );
  const signature = decodeSignature(fields.required(SIGNATURE), "contribution");
  const level = decodeSafeUint(fields.required(LEVEL));
  if (level > MAX_LEVEL)
    throw new FormatError("CONSENSUS_LEVEL_RANGE", `contribution level ${level} exceeds 255`);
  return {
    time,
    nodeId: decodeMemberId(fields.required(NODE_ID)),
    root: checkImprint(fields.required(ROOT).value, "contribution root"),
    level,
    signature,
  };
}

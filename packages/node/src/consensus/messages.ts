import {
  checkImprint,
  decodeSafeUint,
  decodeTlvSequence,
  encodeQuorumCertificate,
  encodeTlvSequence,
  Fields,
  FormatError,
  type Imprint,
  type QuorumCertificate,
  type TlvElement,
  tlv,
  uintTlv,
} from "@tempel/proto";
import { decodeCertificate } from "./certificate.ts";
import { ELECTION_TYPE, type ElectionCertificate, electionFromTlv, electionTlv } from "./election.ts";
import {
  CONTRIBUTION_TYPE,
  contributionFromTlv,
  contributionTlv,
  LOG_ENTRY_TYPE,
  type LogEntry,
  logEntryFromTlv,
  logEntryTlv,
} from "./log-entry.ts";
import { decodeSignature } from "./member-fields.ts";
import type { SignedContribution } from "./types.ts";

/**
 * Consensus messages on the wire. A message is a sequence of TLV elements: a head element whose type
 * names the kind and whose children are the scalar fields, followed (for the kinds that carry them)
 * by log entries and certificates. A sequence rather than one enclosing element, because a batch can
 * exceed the 64 KiB a single TLV value can hold.
 *
 * `senderTime` (ms) lets a receiver estimate the sender's clock offset: a leader or candidate whose
 * clock is further off than the tolerance is not followed.
 */
export type Message =
  | {
      readonly kind: "vote";
      readonly term: number;
      /** A pre-vote asks "would you vote for me in `term`?" without anyone changing term. */
      readonly preVote: boolean;
      readonly lastIndex: number;
      readonly lastTerm: number;
      readonly senderTime: number;
    }
  | {
      readonly kind: "voteReply";
      readonly term: number;
      readonly preVote: boolean;
      readonly granted: boolean;
      /** A granted real vote: the voter's signature of `voteStatement(term, candidate)`; else absent. */
      readonly signature?: Uint8Array;
    }
  | {
      readonly kind: "append";
      readonly term: number;
      readonly prevIndex: number;
      readonly prevTerm: number;
      readonly leaderCommit: number;
      readonly senderTime: number;
      /** Proof that the sender won `term`'s election: followers follow no one else. */
      readonly election: ElectionCertificate;
      readonly entries: readonly LogEntry[];
    }
  | {
      readonly kind: "appendReply";
      readonly term: number;
      readonly success: boolean;
      /** On success the last index now known to match the leader; on failure the follower's last index. */
      readonly index: number;
    }
  | { readonly kind: "contribute"; readonly contribution: SignedContribution }
  | { readonly kind: "share"; readonly time: number; readonly root: Imprint; readonly signature: Uint8Array }
  | { readonly kind: "certificate"; readonly certificate: QuorumCertificate }
  | { readonly kind: "statusRequest" }
  | { readonly kind: "status"; readonly term: number; readonly committed: number }
  | { readonly kind: "fetchRequest"; readonly from: number; readonly count: number }
  | {
      readonly kind: "fetch";
      readonly entries: readonly LogEntry[];
      readonly certificates: readonly QuorumCertificate[];
    };

export type MessageKind = Message["kind"];

const HEAD: Record<MessageKind, number> = {
  vote: 0x01,
  voteReply: 0x02,
  append: 0x03,
  appendReply: 0x04,
  contribute: 0x05,
  share: 0x06,
  certificate: 0x07,
  statusRequest: 0x08,
  status: 0x09,
  fetchRequest: 0x0a,
  fetch: 0x0b,
};

const KIND_OF_HEAD = new Map<number, MessageKind>(
  Object.entries(HEAD).map(([kind, type]) => [type, kind as MessageKind]),
);

// Field types inside a head element.
const TERM = 0x01;
const INDEX = 0x02;
const OTHER_TERM = 0x03;
const COMMIT = 0x04;
const SENDER_TIME = 0x05;
const PRE_VOTE = 0x06;
const COUNT = 0x07;
const TIME = 0x08;
const ROOT = 0x09;
const SIGNATURE = 0x0a;
const GRANTED = 0x0b;
const SUCCESS = 0x0c;
const VOTE_SIGNATURE = 0x0d;

export function encodeMessage(message: Message): Uint8Array {
  const fields: TlvElement[] = [];
  const trailer: TlvElement[] = [];
  switch (message.kind) {
    case "vote":
      fields.push(
        uintTlv(TERM, message.term),
        uintTlv(INDEX, message.lastIndex),
        uintTlv(OTHER_TERM, message.lastTerm),
        uintTlv(SENDER_TIME, message.senderTime),
        flagTlv(PRE_VOTE, message.preVote),
      );
      break;
    case "voteReply":
      fields.push(
        uintTlv(TERM, message.term),
        flagTlv(PRE_VOTE, message.preVote),
        flagTlv(GRANTED, message.granted),
      );
      if (message.signature !== undefined) fields.push(tlv(VOTE_SIGNATURE, message.signature));
      break;
    case "append":
      fields.push(
        uintTlv(TERM, message.term),
        uintTlv(INDEX, message.prevIndex),
        uintTlv(OTHER_TERM, message.prevTerm),
        uintTlv(COMMIT, message.leaderCommit),
        uintTlv(SENDER_TIME, message.senderTime),
      );
      trailer.push(electionTlv(message.election), ...message.entries.map(logEntryTlv));
      break;
    case "appendReply":
      fields.push(
        uintTlv(TERM, message.term),
        flagTlv(SUCCESS, message.success),
        uintTlv(INDEX, message.index),
      );
      break;
    case "contribute":
      fields.push(uintTlv(TIME, message.contribution.time), contributionTlv(message.contribution));
      break;
    case "share":
      fields.push(uintTlv(TIME, message.time), tlv(ROOT, message.root), tlv(SIGNATURE, message.signature));
      break;
    case "certificate":
      trailer.push(encodeQuorumCertificate(message.certificate));
      break;
    case "statusRequest":
      break;
    case "status":
      fields.push(uintTlv(TERM, message.term), uintTlv(COMMIT, message.committed));
      break;
    case "fetchRequest":
      fields.push(uintTlv(INDEX, message.from), uintTlv(COUNT, message.count));
      break;
    case "fetch":
      trailer.push(...message.entries.map(logEntryTlv), ...message.certificates.map(encodeQuorumCertificate));
      break;
  }
  return encodeTlvSequence([tlv(HEAD[message.kind], encodeTlvSequence(fields)), ...trailer]);
}

/** Limits a decoder enforces beyond the TLV framing. */
export interface MessageLimits {
  readonly maxMessageBytes: number;
  /** Most log entries (and, separately, certificates) one message may carry. */
  readonly maxBatchEntries: number;
}

/**
 * Strictly parses a message. Throws a TempelError (FormatError, HashAlgorithmError) on anything
 * malformed, oversized or unknown; the caller drops and counts it.
 */
export function decodeMessage(bytes: Uint8Array, limits: MessageLimits): Message {
  if (bytes.length > limits.maxMessageBytes) {
    throw new FormatError(
      "CONSENSUS_MESSAGE_TOO_LARGE",
      `message of ${bytes.length} bytes exceeds the limit`,
    );
  }
  const elements = decodeTlvSequence(bytes, 2 * limits.maxBatchEntries + 2);
  const head = elements[0];
  if (head === undefined) throw new FormatError("CONSENSUS_MESSAGE_EMPTY", "empty message");
  const kind = KIND_OF_HEAD.get(head.type);
  if (kind === undefined || head.nonCritical) {
    throw new FormatError("CONSENSUS_MESSAGE_KIND", `unknown message kind 0x${head.type.toString(16)}`);
  }
  const trailer = elements.slice(1);
  if (kind !== "append" && kind !== "certificate" && kind !== "fetch" && trailer.length > 0) {
    throw new FormatError("CONSENSUS_MESSAGE_TRAILER", `a ${kind} message carries no further elements`);
  }
  switch (kind) {
    case "vote": {
      const f = headFields(head, kind, [TERM, INDEX, OTHER_TERM, SENDER_TIME, PRE_VOTE]);
      return {
        kind,
        term: uint(f, TERM),
        lastIndex: uint(f, INDEX),
        lastTerm: uint(f, OTHER_TERM),
        senderTime: uint(f, SENDER_TIME),
        preVote: flag(f, PRE_VOTE),
      };
    }
    case "voteReply": {
      const f = headFields(head, kind, [TERM, PRE_VOTE, GRANTED], [VOTE_SIGNATURE]);
      const reply = { kind, term: uint(f, TERM), preVote: flag(f, PRE_VOTE), granted: flag(f, GRANTED) };
      const signature = f.optional(VOTE_SIGNATURE)?.value;
      // Exactly a granted real vote is signed: it is what an election certificate is made of.
      if ((signature !== undefined) !== (reply.granted && !reply.preVote)) {
        throw new FormatError("CONSENSUS_VOTE_SIGNATURE", "only a granted real vote carries a signature");
      }
      if (signature === undefined) return reply;
      return { ...reply, signature: decodeSignature(f.required(VOTE_SIGNATURE), "vote") };
    }
    case "append": {
      const f = headFields(head, kind, [TERM, INDEX, OTHER_TERM, COMMIT, SENDER_TIME]);
      const [first, ...rest] = trailer;
      if (first?.type !== ELECTION_TYPE) {
        throw new FormatError("CONSENSUS_APPEND_ELECTION", "an append starts with its election certificate");
      }
      if (rest.length > limits.maxBatchEntries) {
        throw new FormatError("CONSENSUS_APPEND_SIZE", "append carries too many entries");
      }
      const election = electionFromTlv(first);
      const entries = rest.map((element) => logEntryFromTlv(element));
      const prevIndex = uint(f, INDEX);
      entries.forEach((logEntry, i) => {
        if (logEntry.entry.time !== prevIndex + 1 + i) {
          throw new FormatError(
            "CONSENSUS_APPEND_GAP",
            "appended entries must follow prevIndex without gaps",
          );
        }
      });
      return {
        kind,
        term: uint(f, TERM),
        prevIndex,
        prevTerm: uint(f, OTHER_TERM),
        leaderCommit: uint(f, COMMIT),
        senderTime: uint(f, SENDER_TIME),
        election,
        entries,
      };
    }
    case "appendReply": {
      const f = headFields(head, kind, [TERM, SUCCESS, INDEX]);
      return { kind, term: uint(f, TERM), success: flag(f, SUCCESS), index: uint(f, INDEX) };
    }
    case "contribute": {
      const f = new Fields(
        head,
        [
          { type: TIME, name: "time", min: 1 },
          { type: CONTRIBUTION_TYPE, name: "contribution", min: 1 },
        ],
        "contribute message",
      );
      return { kind, contribution: contributionFromTlv(f.required(CONTRIBUTION_TYPE), uint(f, TIME)) };
    }
    case "share": {
      const f = headFields(head, kind, [TIME, ROOT, SIGNATURE]);
      return {
        kind,
        time: uint(f, TIME),
        root: checkImprint(f.required(ROOT).value, "share root"),
        signature: decodeSignature(f.required(SIGNATURE), "share"),
      };
    }
    case "certificate": {
      headFields(head, kind, []);
      if (trailer.length !== 1)
        throw new FormatError("CONSENSUS_CERTIFICATE_COUNT", "one certificate expected");
      return { kind, certificate: decodeCertificate(trailer[0]!) };
    }
    case "statusRequest":
      headFields(head, kind, []);
      return { kind };
    case "status": {
      const f = headFields(head, kind, [TERM, COMMIT]);
      return { kind, term: uint(f, TERM), committed: uint(f, COMMIT) };
    }
    case "fetchRequest": {
      const f = headFields(head, kind, [INDEX, COUNT]);
      return { kind, from: uint(f, INDEX), count: uint(f, COUNT) };
    }
    case "fetch": {
      headFields(head, kind, []);
      const entries: LogEntry[] = [];
      const certificates: QuorumCertificate[] = [];
      for (const element of trailer) {
        if (element.type === LOG_ENTRY_TYPE) {
          if (certificates.length > 0)
            throw new FormatError("CONSENSUS_FETCH_ORDER", "entries precede certificates");
          entries.push(logEntryFromTlv(element));
        } else {
          certificates.push(decodeCertificate(element));
        }
      }
      if (entries.length > limits.maxBatchEntries || certificates.length > limits.maxBatchEntries) {
        throw new FormatError("CONSENSUS_FETCH_SIZE", "fetch reply carries too many elements");
      }
      entries.forEach(({ entry }, i) => {
        if (i > 0 && entry.time !== entries[i - 1]!.entry.time + 1) {
          throw new FormatError("CONSENSUS_FETCH_GAP", "fetched entries must be consecutive");
        }
      });
      return { kind, entries, certificates };
    }
  }
}

function flagTlv(type: number, value: boolean): TlvElement {
  return uintTlv(type, value ? 1 : 0);
}

/** Every listed field exactly once, each optional one at most once, nothing else. */
function headFields(
  head: TlvElement,
  kind: MessageKind,
  types: readonly number[],
  optional: readonly number[] = [],
): Fields {
  const name = (type: number) => `field 0x${type.toString(16)}`;
  return new Fields(
    head,
    [
      ...types.map((type) => ({ type, name: name(type), min: 1 })),
      ...optional.map((type) => ({ type, name: name(type) })),
    ],
    `${kind} message`,
  );
}

function uint(fields: Fields, type: number): number {
  return decodeSafeUint(fields.required(type));
}

function flag(fields: Fields, type: number): boolean {
  const value = uint(fields, type);
  if (value > 1) throw new FormatError("CONSENSUS_FLAG", "a flag is 0 or 1");
  return value === 1;
}

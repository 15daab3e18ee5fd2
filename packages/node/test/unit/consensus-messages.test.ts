import { ed25519 } from "@noble/curves/ed25519.js";
import {
  decodeTlvSequence,
  encodeTlv,
  encodeTlvSequence,
  FormatError,
  HashAlgorithm,
  hashImprint,
  type QuorumCertificate,
  TempelError,
  tlv,
  uintTlv,
} from "@tempel/proto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { publishedDataBytes } from "../../src/consensus/certificate.ts";
import type { ElectionCertificate } from "../../src/consensus/election.ts";
import { decodeLogEntry, encodeLogEntry, type LogEntry } from "../../src/consensus/log-entry.ts";
import {
  decodeMessage,
  encodeMessage,
  type Message,
  type MessageLimits,
} from "../../src/consensus/messages.ts";

const LIMITS: MessageLimits = { maxMessageBytes: 1 << 20, maxBatchEntries: 16 };

const imprint = (label: string) => hashImprint(HashAlgorithm.SHA2_256, new TextEncoder().encode(label));

function logEntry(time: number, term = 3, nodes: readonly string[] = ["a", "b"]): LogEntry {
  return {
    term,
    entry: {
      time,
      leaf: imprint(`leaf ${time}`),
      contributions: nodes.map((nodeId, i) => ({
        time,
        nodeId,
        root: imprint(`${nodeId} ${time}`),
        level: i,
        signature: new Uint8Array(64).fill(i),
      })),
    },
  };
}

function certificate(time: number): QuorumCertificate {
  const secret = new Uint8Array(32).fill(7);
  const root = imprint(`root ${time}`);
  return {
    publishedData: { publicationTime: time, publishedHash: root },
    shares: [{ memberId: "a", signature: ed25519.sign(publishedDataBytes(time, root), secret) }],
  };
}

const election: ElectionCertificate = {
  term: 5,
  candidate: "b",
  votes: [
    { voter: "a", signature: new Uint8Array(64).fill(2) },
    { voter: "b", signature: new Uint8Array(64).fill(3) },
  ],
};

const examples: Message[] = [
  {
    kind: "vote",
    term: 4,
    preVote: true,
    lastIndex: 1_800_000_100,
    lastTerm: 3,
    senderTime: 1_800_000_100_250,
  },
  { kind: "voteReply", term: 4, preVote: false, granted: true, signature: new Uint8Array(64).fill(4) },
  { kind: "voteReply", term: 4, preVote: true, granted: true },
  {
    kind: "append",
    term: 5,
    prevIndex: 99,
    prevTerm: 4,
    leaderCommit: 98,
    senderTime: 123_456,
    election,
    entries: [logEntry(100), logEntry(101, 5, [])],
  },
  {
    kind: "append",
    term: 5,
    prevIndex: 99,
    prevTerm: 0,
    leaderCommit: 0,
    senderTime: 1,
    election,
    entries: [],
  },
  { kind: "appendReply", term: 5, success: false, index: 42 },
  {
    kind: "contribute",
    contribution: { time: 77, nodeId: "node-1", root: imprint("c"), level: 9, signature: new Uint8Array(64) },
  },
  { kind: "share", time: 77, root: imprint("r"), signature: new Uint8Array(64).fill(1) },
  { kind: "certificate", certificate: certificate(77) },
  { kind: "statusRequest" },
  { kind: "status", term: 2, committed: 1_800_000_000 },
  { kind: "fetchRequest", from: 10, count: 16 },
  { kind: "fetch", entries: [logEntry(10), logEntry(11)], certificates: [certificate(11)] },
];

/** Decoded certificates keep the bytes they came from; compare them by what they say. */
function comparable(message: Message): unknown {
  return JSON.parse(
    JSON.stringify(message, (key, value) =>
      key === "source" ? undefined : value instanceof Uint8Array ? Array.from(value) : value,
    ),
  );
}

/** The TLV elements of an encoded message. */
function splitElements(message: Message) {
  return decodeTlvSequence(encodeMessage(message), 1_000);
}

function rejects(bytes: Uint8Array, code?: string): void {
  let error: unknown;
  try {
    decodeMessage(bytes, LIMITS);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TempelError);
  if (code !== undefined) expect((error as TempelError).code).toBe(code);
}

describe("consensus messages", () => {
  it.each(examples.map((m) => [m.kind, m] as const))(
    "a %s message decodes to what was encoded",
    (_, message) => {
      expect(comparable(decodeMessage(encodeMessage(message), LIMITS))).toEqual(comparable(message));
    },
  );

  it("a log entry decodes to what was encoded", () => {
    const entry = logEntry(1_800_000_000, 7, ["x", "y", "z"]);
    expect(decodeLogEntry(encodeLogEntry(entry))).toEqual(entry);
  });

  it("rejects a message over the size limit before reading it", () => {
    const big = encodeMessage({ kind: "fetch", entries: [logEntry(1)], certificates: [] });
    expect(() => decodeMessage(big, { ...LIMITS, maxMessageBytes: big.length - 1 })).toThrow(FormatError);
  });

  it("rejects an unknown message kind", () => {
    rejects(encodeTlv(tlv(0x1e, new Uint8Array(0))), "CONSENSUS_MESSAGE_KIND");
  });

  it("rejects elements after a message that carries none", () => {
    const status = encodeMessage({ kind: "statusRequest" });
    const extra = encodeTlv(tlv(0x20, new Uint8Array(0)));
    rejects(new Uint8Array([...status, ...extra]), "CONSENSUS_MESSAGE_TRAILER");
  });

  it("rejects a missing or repeated field", () => {
    rejects(encodeTlv(tlv(0x09, encodeTlvSequence([uintTlv(0x01, 2)]))), "TLV_MISSING");
    const twice = encodeTlvSequence([uintTlv(0x01, 2), uintTlv(0x01, 3), uintTlv(0x04, 1)]);
    rejects(encodeTlv(tlv(0x09, twice)), "TLV_DUPLICATE");
  });

  it("rejects a flag other than 0 or 1", () => {
    const fields = encodeTlvSequence([uintTlv(0x01, 1), uintTlv(0x06, 2), uintTlv(0x0b, 1)]);
    rejects(encodeTlv(tlv(0x02, fields)), "CONSENSUS_FLAG");
  });

  it("rejects appended entries that do not follow prevIndex without gaps", () => {
    const message: Message = {
      kind: "append",
      term: 5,
      prevIndex: 99,
      prevTerm: 4,
      leaderCommit: 0,
      senderTime: 1,
      election,
      entries: [logEntry(100), logEntry(102)],
    };
    rejects(encodeMessage(message), "CONSENSUS_APPEND_GAP");
  });

  it("rejects more entries than a batch may carry", () => {
    const entries = Array.from({ length: LIMITS.maxBatchEntries + 1 }, (_, i) => logEntry(100 + i));
    const message: Message = {
      kind: "append",
      term: 5,
      prevIndex: 99,
      prevTerm: 4,
      leaderCommit: 0,
      senderTime: 1,
      election,
      entries,
    };
    rejects(encodeMessage(message));
  });

  it("rejects an entry whose contributions are not sorted by node id or repeat one", () => {
    const unsorted = logEntry(5, 1, ["b", "a"]);
    expect(() => decodeLogEntry(encodeLogEntry(unsorted))).toThrow(FormatError);
    const repeated = logEntry(5, 1, ["a", "a"]);
    expect(() => decodeLogEntry(encodeLogEntry(repeated))).toThrow(FormatError);
  });

  it("rejects an entry of term 0 and a contribution level above 255", () => {
    expect(() => decodeLogEntry(encodeLogEntry(logEntry(5, 0)))).toThrow(FormatError);
    const high = logEntry(5);
    const tooHigh = {
      ...high,
      entry: { ...high.entry, contributions: [{ ...high.entry.contributions[0]!, level: 256 }] },
    };
    expect(() => decodeLogEntry(encodeLogEntry(tooHigh))).toThrow(FormatError);
  });

  it("rejects a vote reply whose signature does not match whether it grants a real vote", () => {
    const signature = new Uint8Array(64);
    rejects(
      encodeMessage({ kind: "voteReply", term: 4, preVote: false, granted: true }),
      "CONSENSUS_VOTE_SIGNATURE",
    );
    for (const [preVote, granted] of [
      [true, true],
      [false, false],
    ] as const) {
      rejects(
        encodeMessage({ kind: "voteReply", term: 4, preVote, granted, signature }),
        "CONSENSUS_VOTE_SIGNATURE",
      );
    }
  });

  it("rejects an append without its election certificate, or one with unsorted votes", () => {
    const append = examples.find((m) => m.kind === "append")!;
    const [head, , ...entries] = splitElements(append);
    rejects(encodeTlvSequence([head!, ...entries]), "CONSENSUS_APPEND_ELECTION");
    const unsorted = { ...election, votes: [...election.votes].reverse() };
    rejects(encodeMessage({ ...append, election: unsorted } as Message), "CONSENSUS_ELECTION_ORDER");
  });

  it("rejects a share whose signature is not 64 bytes", () => {
    rejects(encodeMessage({ kind: "share", time: 1, root: imprint("r"), signature: new Uint8Array(63) }));
  });

  it("rejects a fetch reply whose entries are not consecutive", () => {
    rejects(
      encodeMessage({ kind: "fetch", entries: [logEntry(1), logEntry(3)], certificates: [] }),
      "CONSENSUS_FETCH_GAP",
    );
  });

  it("throws only TempelErrors on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        try {
          decodeMessage(bytes, LIMITS);
        } catch (error) {
          expect(error).toBeInstanceOf(TempelError);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("throws only TempelErrors on corrupted valid messages", () => {
    const encoded = examples.map(encodeMessage);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: encoded.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (which, position, flip) => {
          const bytes = encoded[which]!.slice();
          bytes[position % bytes.length] ^= flip;
          try {
            decodeMessage(bytes, LIMITS);
          } catch (error) {
            expect(error).toBeInstanceOf(TempelError);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

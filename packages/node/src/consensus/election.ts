import {
  decodeSafeUint,
  encodeTlvSequence,
  Fields,
  FormatError,
  stringTlv,
  type TlvElement,
  tlv,
  uintTlv,
} from "@tempel/proto";
import { decodeMemberId, decodeSignature } from "./member-fields.ts";
import type { MemberKeys } from "./member-keys.ts";
import { voteStatement } from "./statements.ts";

/**
 * Proof that `candidate` won the election of `term`: the signed votes of a majority of members.
 * A leader sends it with every append; a follower follows only the candidate it names, so a member
 * that did not win a term cannot lead it, and two leaders of one term would take a member that
 * signed two votes in that term (kept as evidence).
 */
export interface ElectionCertificate {
  readonly term: number;
  readonly candidate: string;
  /** Sorted by voter, distinct. */
  readonly votes: readonly Vote[];
}

export interface Vote {
  readonly voter: string;
  readonly signature: Uint8Array;
}

export const ELECTION_TYPE = 0x30;
const TERM = 0x01;
const CANDIDATE = 0x02;
const VOTE = 0x03;
const VOTER = 0x01;
const SIGNATURE = 0x02;
/** The genesis allows at most 64 members. */
const MAX_VOTES = 64;

export function electionTlv(c: ElectionCertificate): TlvElement {
  return tlv(
    ELECTION_TYPE,
    encodeTlvSequence([
      uintTlv(TERM, c.term),
      stringTlv(CANDIDATE, c.candidate),
      ...c.votes.map((v) =>
        tlv(VOTE, encodeTlvSequence([stringTlv(VOTER, v.voter), tlv(SIGNATURE, v.signature)])),
      ),
    ]),
  );
}

/** Strict structural decoding; whether the votes are valid is `electionFault`'s job. */
export function electionFromTlv(element: TlvElement): ElectionCertificate {
  if (element.type !== ELECTION_TYPE || element.nonCritical) {
    throw new FormatError("CONSENSUS_ELECTION_TYPE", "expected an election certificate");
  }
  const f = new Fields(
    element,
    [
      { type: TERM, name: "term", min: 1 },
      { type: CANDIDATE, name: "candidate", min: 1 },
      { type: VOTE, name: "vote", max: MAX_VOTES },
    ],
    "election certificate",
  );
  const votes: Vote[] = [];
  for (const child of f.all(VOTE)) {
    const v = new Fields(
      child,
      [
        { type: VOTER, name: "voter", min: 1 },
        { type: SIGNATURE, name: "signature", min: 1 },
      ],
      "vote",
    );
    const voter = decodeMemberId(v.required(VOTER));
    const signature = decodeSignature(v.required(SIGNATURE), "vote");
    const previous = votes[votes.length - 1];
    if (previous !== undefined && !(previous.voter < voter)) {
      throw new FormatError("CONSENSUS_ELECTION_ORDER", "votes must be sorted by voter without repeats");
    }
    votes.push({ voter, signature });
  }
  return { term: decodeSafeUint(f.required(TERM)), candidate: decodeMemberId(f.required(CANDIDATE)), votes };
}

/** Builds the certificate from the votes a candidate collected (its own included). */
export function electionCertificate(
  term: number,
  candidate: string,
  votes: ReadonlyMap<string, Uint8Array>,
): ElectionCertificate {
  const sorted = [...votes].sort(([a], [b]) => (a < b ? -1 : 1));
  return { term, candidate, votes: sorted.map(([voter, signature]) => ({ voter, signature })) };
}

/** Why `c` does not prove that its candidate won its term, or undefined when it does. */
export function electionFault(
  c: ElectionCertificate,
  keys: MemberKeys,
  majority: number,
): string | undefined {
  if (!keys.has(c.candidate)) return "election_non_member";
  if (c.votes.length < majority) return "election_too_few_votes";
  const statement = voteStatement(c.term, c.candidate);
  for (const vote of c.votes) {
    if (!keys.verify(vote.voter, statement, vote.signature)) return "election_bad_vote";
  }
  return undefined;
}

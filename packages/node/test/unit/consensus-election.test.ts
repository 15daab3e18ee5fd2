import { ed25519 } from "@noble/curves/ed25519.js";
import { decodeTlv, encodeTlv } from "@tempel/proto";
import { describe, expect, it } from "vitest";
import {
  type ElectionCertificate,
  electionCertificate,
  electionFault,
  electionFromTlv,
  electionTlv,
} from "../../src/consensus/election.ts";
import { MemberKeys } from "../../src/consensus/member-keys.ts";
import { voteStatement } from "../../src/consensus/statements.ts";

const ids = ["node-a", "node-b", "node-c"];
const secrets = new Map(ids.map((id, i) => [id, new Uint8Array(32).fill(i + 1)]));
const keys = new MemberKeys(ids.map((id) => ({ id, publicKey: ed25519.getPublicKey(secrets.get(id)!) })));
const MAJORITY = 2;

function voted(term: number, candidate: string, voters: readonly string[], signedFor = candidate) {
  const votes = new Map(
    voters.map((voter) => [voter, ed25519.sign(voteStatement(term, signedFor), secrets.get(voter)!)]),
  );
  return electionCertificate(term, candidate, votes);
}

describe("election certificates", () => {
  it("a majority of signed votes for the candidate and term proves the election, and survives the wire", () => {
    const certificate = voted(7, "node-b", ["node-c", "node-b"]);
    expect(certificate.votes.map((v) => v.voter)).toEqual(["node-b", "node-c"]);
    expect(electionFault(certificate, keys, MAJORITY)).toBeUndefined();
    const decoded = electionFromTlv(decodeTlv(encodeTlv(electionTlv(certificate))));
    expect(electionFault(decoded, keys, MAJORITY)).toBeUndefined();
  });

  it("the candidate's own vote alone is not enough", () => {
    expect(electionFault(voted(7, "node-b", ["node-b"]), keys, MAJORITY)).toBe("election_too_few_votes");
  });

  it("votes signed for another candidate or another term do not count", () => {
    const forOther = voted(7, "node-b", ["node-a", "node-b"], "node-a");
    expect(electionFault(forOther, keys, MAJORITY)).toBe("election_bad_vote");
    const stale = voted(6, "node-b", ["node-a", "node-b"]);
    expect(electionFault({ ...stale, term: 7 }, keys, MAJORITY)).toBe("election_bad_vote");
  });

  it("a made-up signature, or a vote under another member's name, does not count", () => {
    const real = voted(7, "node-b", ["node-b", "node-c"]);
    const madeUp: ElectionCertificate = {
      ...real,
      votes: [real.votes[0]!, { voter: "node-c", signature: new Uint8Array(64).fill(9) }],
    };
    expect(electionFault(madeUp, keys, MAJORITY)).toBe("election_bad_vote");
    const borrowed: ElectionCertificate = {
      ...real,
      votes: [{ voter: "node-a", signature: real.votes[1]!.signature }, real.votes[0]!],
    };
    expect(electionFault(borrowed, keys, MAJORITY)).toBe("election_bad_vote");
  });

  it("a candidate that is not a member is refused", () => {
    const intruder = { ...voted(7, "node-b", ["node-a", "node-b"]), candidate: "intruder" };
    expect(electionFault(intruder, keys, MAJORITY)).toBe("election_non_member");
  });
});

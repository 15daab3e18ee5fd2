import { encodeTlv, encodeTlvSequence, stringTlv, tlv, uintTlv } from "@tempel/proto";
import type { Contribution } from "./types.ts";

/**
 * The bytes a member signs, besides certificate shares (which sign KSI published data, TLV 0x10).
 * Each statement is one TLV element of its own type, so that no signature made for one purpose can
 * pass for another.
 */
const VOTE_STATEMENT = 0x1d01;
const CONTRIBUTION_STATEMENT = 0x1d02;

/** "I vote for `candidate` as leader of `term`": a majority of these is an election certificate. */
export function voteStatement(term: number, candidate: string): Uint8Array {
  return encodeTlv(tlv(VOTE_STATEMENT, encodeTlvSequence([uintTlv(0x01, term), stringTlv(0x02, candidate)])));
}

/** "My round root for second `time` is `root` at `level`". */
export function contributionStatement(c: Contribution): Uint8Array {
  return encodeTlv(
    tlv(
      CONTRIBUTION_STATEMENT,
      encodeTlvSequence([
        uintTlv(0x01, c.time),
        stringTlv(0x02, c.nodeId),
        tlv(0x03, c.root),
        uintTlv(0x04, c.level),
      ]),
    ),
  );
}

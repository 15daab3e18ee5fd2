import { encodeTlvSequence, tlv, toHex } from "@tempel/proto";

/** A statement and a member's Ed25519 signature of it (statements.ts, or a share's published data). */
export interface SignedStatement {
  readonly statement: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * Proof that `member` signed two statements an honest member never signs both of: two votes in one
 * term, two contributions or two certificate shares for one second. Anyone holding the members' keys
 * can check it without trusting the node that kept it.
 */
export interface Equivocation {
  readonly kind: "vote" | "contribution" | "share";
  readonly member: string;
  /** The term (votes) or second (contributions, shares). */
  readonly slot: number;
  readonly first: SignedStatement;
  readonly second: SignedStatement;
}

const STATEMENT = 0x01;
const SIGNATURE = 0x02;

/** The stored form: statement, signature, statement, signature (TLV). */
export function encodeEvidence(e: Equivocation): Uint8Array {
  return encodeTlvSequence(
    [e.first, e.second].flatMap((s) => [tlv(STATEMENT, s.statement), tlv(SIGNATURE, s.signature)]),
  );
}

/** For the log line: the two signed statements in hex. */
export function describeEvidence(e: Equivocation): Record<string, unknown> {
  return {
    member: e.member,
    kind: e.kind,
    slot: e.slot,
    first: { statement: toHex(e.first.statement), signature: toHex(e.first.signature) },
    second: { statement: toHex(e.second.statement), signature: toHex(e.second.signature) },
  };
}

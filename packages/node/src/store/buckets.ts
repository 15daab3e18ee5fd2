/**
 * One-byte key prefixes of the node's LevelDB. Numbers after the bucket are big-endian so that key
 * order is time order. A bucket id is never reused for another meaning, even after its data is gone.
 */
export const Bucket = {
  /** Store metadata: schema version, genesis hash, node id. key: bucket ‖ utf8 name. */
  meta: 0x00,
  /** Calendar leaves. key: bucket ‖ u64 second. value: leaf imprint. */
  calendarLeaf: 0x01,
  /** Perfect calendar subtree roots. key: bucket ‖ u64 last second covered ‖ u8 height. value: imprint. */
  calendarNode: 0x02,
  /** Round data needed to answer clients and extend: key: bucket ‖ u64 second. */
  round: 0x03,
  /** Quorum certificates. key: bucket ‖ u64 second. value: certificate TLV. */
  certificate: 0x04,
  /** Consensus log entries. key: bucket ‖ u64 index. */
  consensusLog: 0x10,
  /** Consensus persistent state (current term, vote). key: bucket ‖ utf8 name. */
  consensusState: 0x11,
  /** What this node signed: key: bucket ‖ u64 second. value: the signed published-data TLV. */
  signedRoot: 0x12,
  /** Proof that a member signed two conflicting statements. key: bucket ‖ utf8 kind/member. value: evidence TLVs. */
  evidence: 0x13,
  /** Publications. key: bucket ‖ u64 publication second. */
  publication: 0x20,
} as const;

export type BucketId = (typeof Bucket)[keyof typeof Bucket];

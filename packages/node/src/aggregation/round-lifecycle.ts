/**
 * The stages every round goes through, in this order; the one place they are named (docs/design.md
 * and the rounds' log lines use these names). A hash's signature exists only once its round has
 * passed `certified`, so a client is never answered before its round is durably in the calendar.
 *
 * - `accepted`: a request's hashes are queued for the second they arrived in (RoundPipeline.submit)
 *   and hashed into the round's blocks meanwhile.
 * - `closed`: the second has ended; the round's tree is finished (seconds that ended while an earlier
 *   round was committing close together, as one round for the latest of them).
 * - `contributed`: the tree's root and level are offered to agreement (Agreement.contribute) for a
 *   second the cluster has not committed yet.
 * - `committed`: a majority of members holds the calendar entry for that second (consensus/raft.ts).
 * - `applied`: this node appended the entry's leaf to its calendar, with its record of the round in
 *   the same synced LevelDB batch (AgreementModules.apply → NodeCalendar.apply).
 * - `certified`: a quorum of members signed the calendar root at that second (consensus/certifier.ts).
 * - `answered`: every waiting request got its signatures (RoundPipeline hands them out in chunks).
 *
 * A round whose entry lacks its contribution is "missed" and its requests go back to `accepted` for
 * the next round; a round that fails or loses the quorum refuses its requests.
 */
export const ROUND_STAGES = [
  "accepted",
  "closed",
  "contributed",
  "committed",
  "applied",
  "certified",
  "answered",
] as const;

export type RoundStage = (typeof ROUND_STAGES)[number];

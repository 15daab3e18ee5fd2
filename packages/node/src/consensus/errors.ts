import { TempelError } from "@tempel/proto";

export type ConsensusErrorCode =
  | "CONSENSUS_BAD_REQUEST"
  | "CONSENSUS_DUPLICATE_CONTRIBUTION"
  | "CONSENSUS_FOREIGN_CONTRIBUTION"
  | "CONSENSUS_LATE_CONTRIBUTION"
  | "CONSENSUS_LEVEL"
  | "CONSENSUS_LOG_GAP"
  | "CONSENSUS_MEMBERS"
  | "CONSENSUS_QUORUM"
  | "CONSENSUS_STOPPED";

/** Misuse of the agreement API or a request it cannot answer. */
export class ConsensusError extends TempelError<ConsensusErrorCode> {}

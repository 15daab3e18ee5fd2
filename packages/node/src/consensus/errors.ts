import { TempelError } from "@tempel/proto";

/** Misuse of the agreement API or a request it cannot answer (codes `CONSENSUS_*`). */
export class ConsensusError extends TempelError {}

import { TempelError } from "@tempel/proto";

/** The node's LevelDB cannot be used: locked, from another cluster or node, or corrupted. */
export class StoreError extends TempelError {}

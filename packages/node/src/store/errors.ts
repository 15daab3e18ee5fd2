import { TempelError } from "@tempel/proto";

/** The node's LevelDB cannot be used: locked, from another cluster or node, or corrupted. */
export class StoreError extends TempelError {}

/** A calendar chain this node refused to serve because it contradicts a quorum certificate it holds. */
export function isContradictedCalendar(error: unknown): error is StoreError {
  return error instanceof StoreError && error.code === "CALENDAR_CONTRADICTS_CERTIFICATE";
}

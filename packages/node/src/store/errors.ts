import { TempelError } from "@tempel/proto";

export type StoreErrorCode =
  | "CALENDAR_CONFLICT"
  | "CALENDAR_CONTRADICTS_CERTIFICATE"
  | "STORE_CORRUPT"
  | "STORE_FOREIGN_GENESIS"
  | "STORE_FOREIGN_NODE"
  | "STORE_OPEN"
  | "STORE_SCHEMA";

/** The node's LevelDB cannot be used: locked, from another cluster or node, or corrupted. */
export class StoreError extends TempelError<StoreErrorCode> {}

/** A calendar chain this node refused to serve because it contradicts a quorum certificate it holds. */
export function isContradictedCalendar(
  error: unknown,
): error is StoreError & { readonly code: "CALENDAR_CONTRADICTS_CERTIFICATE" } {
  return error instanceof StoreError && error.code === "CALENDAR_CONTRADICTS_CERTIFICATE";
}

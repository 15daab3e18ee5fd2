import type { Counter, Gauge, Histogram } from "../metrics/index.ts";

/** What the calendar store reports. */
export interface StoreMetrics {
  /** The last stored second + 1. */
  readonly calendarHeight: Gauge;
  /** Synced batch writes (one per calendar append). */
  readonly leveldbWriteDuration: Histogram;
  /** Calendar chains refused because their root contradicts the stored certificate of that second. */
  readonly calendarContradictions: Counter;
}

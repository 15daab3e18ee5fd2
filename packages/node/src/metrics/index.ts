export {
  createMetrics,
  defaultMetricsOptions,
  type Metrics,
  type MetricsOptions,
  type RejectReason,
} from "./metrics.ts";

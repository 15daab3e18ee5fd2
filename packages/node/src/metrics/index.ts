export {
  createMetrics,
  defaultMetricsOptions,
  type Metrics,
  type MetricsOptions,
  type RejectReason,
} from "./metrics.ts";
export type { Counter, Gauge, Histogram, LabelledCounter, LabelledHistogram } from "./shapes.ts";

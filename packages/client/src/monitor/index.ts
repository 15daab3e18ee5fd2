export { ALERT_KINDS, type Alert, type AlertKind, type ProofEvidence, type RootEvidence } from "./alert.ts";
export { type MonitorClock, systemClock } from "./clock.ts";
export {
  Monitor,
  type MonitorLog,
  type MonitorLogLevel,
  type MonitorModules,
  type MonitorOptions,
  monitorDefaults,
} from "./monitor.ts";
export { MonitorMetrics } from "./monitor-metrics.ts";
export { METRICS_CONTENT_TYPE } from "./prometheus-text.ts";

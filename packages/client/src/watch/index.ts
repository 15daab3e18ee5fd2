export { LogWatch } from "./log-watch.ts";
export { WATCH_ALERT_KINDS, type WatchAlert, type WatchAlertKind, type WatchCode } from "./watch-alert.ts";
export type { WatchFiles } from "./watch-files.ts";
export { WatchMetrics } from "./watch-metrics.ts";
export { Watcher, type WatcherModules, type WatcherOptions, watcherDefaults } from "./watcher.ts";

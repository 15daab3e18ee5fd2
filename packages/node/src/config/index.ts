export { defaultConfig, type NodeConfig, SETTINGS } from "./config.ts";
export { ConfigError, type ConfigErrorCode } from "./errors.ts";
export { type ConfigSources, loadConfig } from "./load.ts";
export { describeType, envName, flagName, type Setting } from "./settings.ts";

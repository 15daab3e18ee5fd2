export type { AgencyConfig } from "./aggregation/index.ts";
export { defaultApiOptions, HMAC_HEADER, LOGIN_ID_HEADER } from "./api/index.ts";
export {
  ConfigError,
  type ConfigSources,
  loadConfig,
  type NodeConfig,
} from "./config/index.ts";
export {
  type Genesis,
  type GenesisMember,
  type InitOptions,
  type InitResult,
  initDataDir,
  loadGenesis,
  parseGenesis,
} from "./genesis/index.ts";
export { IdentityError } from "./identity/index.ts";
export { createLogger, type Logger, silentLogger } from "./logger/index.ts";
export { AGGREGATION_ALGORITHM, type RunningNode, startNode } from "./node.ts";
export { AUTHORITY_FILES } from "./publication/index.ts";
export { StoreError } from "./store/index.ts";
export { caFiles } from "./tsa/index.ts";

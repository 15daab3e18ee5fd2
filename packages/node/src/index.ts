export { HMAC_HEADER, LOGIN_ID_HEADER } from "./api/index.ts";
export {
  type AgencyConfig,
  ConfigError,
  type ConfigSources,
  loadConfig,
  type NodeConfig,
} from "./config/index.ts";
export { type Genesis, type GenesisMember, loadGenesis, parseGenesis } from "./genesis/index.ts";
export { IdentityError, type InitOptions, type InitResult, initDataDir } from "./identity/index.ts";
export { createLogger, type Logger, silentLogger } from "./logger/index.ts";
export { AGGREGATION_ALGORITHM, type RunningNode, startNode } from "./node.ts";
export { StoreError } from "./store/index.ts";

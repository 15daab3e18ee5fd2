import { TempelError } from "@tempel/proto";

export type ConfigErrorCode =
  | "CONFIG_FILE"
  | "CONFIG_INVALID"
  | "CONFIG_MISSING"
  | "CONFIG_UNKNOWN"
  | "KEY_FILE_EXPOSED"
  | "USAGE";

/** A configuration that cannot be used; the message names the setting and where its value came from. */
export class ConfigError extends TempelError<ConfigErrorCode> {}

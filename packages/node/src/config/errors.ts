import { TempelError } from "@tempel/proto";

/** A configuration that cannot be used; the message names the setting and where its value came from. */
export class ConfigError extends TempelError {}

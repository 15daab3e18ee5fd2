import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { AgencyConfig } from "../aggregation/index.ts";
import { privateFileProblem } from "../identity/index.ts";
import { defaultConfig, type NodeConfig, SETTINGS } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { envName, flagName, parseSetting, type Setting, type SettingValue } from "./settings.ts";

export interface ConfigSources {
  /** Config file path, if any. */
  readonly file?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Flag values by flag name without dashes (`api-port`), as the CLI parsed them. */
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
  /** Relative paths from flags and environment resolve against it; from the file, against the file's folder. */
  readonly cwd: string;
}

const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
const MAX_AGENCIES = 10_000;
const MAX_LOGIN_ID_LENGTH = 64;
const MAX_KEY_LENGTH = 256;
/** As UTF-8, the bytes the HMAC takes: 16 random bytes are 128 bits, well past any guessing. */
const MIN_KEY_BYTES = 16;

/** Merge default < file < environment < flags and validate. Throws ConfigError naming the bad setting. */
export function loadConfig(sources: ConfigSources): NodeConfig {
  const config = defaultConfig();
  const byPath = new Map(SETTINGS.map((s) => [s.path, s]));
  if (sources.file !== undefined) {
    const file = resolve(sources.cwd, sources.file);
    const json = readConfigFile(file);
    applyFile(config, json, "", byPath, file);
    // Agency keys are the only secrets a config file holds; one without them may be public.
    const exposed =
      config.agencies.length > 0 ? privateFileProblem(file, "config file (it holds agency keys)") : undefined;
    if (exposed !== undefined) throw new ConfigError("KEY_FILE_EXPOSED", exposed);
  }
  for (const setting of SETTINGS) {
    const raw = sources.env[envName(setting)];
    if (raw !== undefined && raw !== "") {
      assign(config, setting, parseSetting(setting, raw, { kind: "env" }), sources.cwd);
    }
  }
  for (const setting of SETTINGS) {
    const raw = sources.flags[flagName(setting)];
    if (raw !== undefined) {
      const text = typeof raw === "boolean" ? String(raw) : raw;
      assign(config, setting, parseSetting(setting, text, { kind: "flag" }), sources.cwd);
    }
  }
  if (config.dataDir === "") {
    throw new ConfigError(
      "CONFIG_MISSING",
      'dataDir is not set: give --data-dir, TEMPEL_DATA_DIR or "dataDir" in the config file (see `tempel-node init`)',
      { setting: "dataDir" },
    );
  }
  if (config.genesisFile === "") config.genesisFile = join(config.dataDir, "genesis.json");
  return config;
}

function readConfigFile(file: string): unknown {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw new ConfigError("CONFIG_FILE", `cannot read config file ${file}: ${(error as Error).message}`);
  }
  if (size > MAX_CONFIG_FILE_BYTES) {
    throw new ConfigError(
      "CONFIG_FILE",
      `config file ${file} is ${size} bytes, more than ${MAX_CONFIG_FILE_BYTES}`,
    );
  }
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(
      "CONFIG_FILE",
      `config file ${file} is not valid JSON: ${(error as Error).message}`,
    );
  }
}

function applyFile(
  config: NodeConfig,
  json: unknown,
  prefix: string,
  byPath: ReadonlyMap<string, Setting>,
  file: string,
): void {
  if (!isPlainObject(json)) {
    throw new ConfigError(
      "CONFIG_FILE",
      `${prefix === "" ? "config file" : `"${prefix}"`} in ${file} must be an object`,
    );
  }
  for (const [key, value] of Object.entries(json)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const setting = byPath.get(path);
    if (setting !== undefined) {
      assign(config, setting, parseSetting(setting, value, { kind: "file", file }), dirname(file));
    } else if (path === "agencies") {
      config.agencies = parseAgencies(value, file);
    } else if ([...byPath.keys()].some((known) => known.startsWith(path + "."))) {
      applyFile(config, value, path, byPath, file);
    } else {
      throw new ConfigError("CONFIG_UNKNOWN", `unknown setting "${path}" in ${file}`, { setting: path });
    }
  }
}

function assign(config: NodeConfig, setting: Setting, value: SettingValue, base: string): void {
  const resolved = setting.type.kind === "path" ? resolve(base, value as string) : value;
  const parts = setting.path.split(".");
  let target = config as unknown as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) target = target[part] as Record<string, unknown>;
  target[parts[parts.length - 1]!] = resolved;
}

function parseAgencies(value: unknown, file: string): AgencyConfig[] {
  const where = (i: number, field: string) => `agencies[${i}].${field} in ${file}`;
  if (!Array.isArray(value) || value.length > MAX_AGENCIES) {
    throw new ConfigError(
      "CONFIG_INVALID",
      `agencies in ${file} must be a list of at most ${MAX_AGENCIES} agencies`,
      {
        setting: "agencies",
      },
    );
  }
  const seen = new Set<string>();
  return value.map((entry: unknown, i) => {
    if (!isPlainObject(entry)) {
      throw new ConfigError("CONFIG_INVALID", `agencies[${i}] in ${file} must be an object`, {
        setting: "agencies",
      });
    }
    for (const key of Object.keys(entry)) {
      if (key !== "loginId" && key !== "key" && key !== "quotaPerSecond") {
        throw new ConfigError("CONFIG_UNKNOWN", `unknown setting ${where(i, key)}`, { setting: "agencies" });
      }
    }
    const { loginId, key, quotaPerSecond } = entry;
    if (!isLoginId(loginId)) {
      throw new ConfigError(
        "CONFIG_INVALID",
        `${where(i, "loginId")} must be 1..${MAX_LOGIN_ID_LENGTH} printable characters without spaces`,
        { setting: "agencies" },
      );
    }
    if (seen.has(loginId)) {
      throw new ConfigError("CONFIG_INVALID", `${where(i, "loginId")}: "${loginId}" is listed twice`, {
        setting: "agencies",
      });
    }
    seen.add(loginId);
    if (typeof key !== "string" || key.length > MAX_KEY_LENGTH || key.includes("\0")) {
      throw new ConfigError(
        "CONFIG_INVALID",
        `${where(i, "key")} (agency "${loginId}") must be a string of at most ${MAX_KEY_LENGTH} characters`,
        { setting: "agencies" },
      );
    }
    // The key is the HMAC's only secret: anyone who guesses it signs as the agency.
    const bytes = Buffer.byteLength(key, "utf8");
    if (bytes < MIN_KEY_BYTES) {
      throw new ConfigError(
        "CONFIG_INVALID",
        `${where(i, "key")}: the key of agency "${loginId}" is ${bytes} bytes; an agency key must be at least ${MIN_KEY_BYTES} bytes (e.g. the output of \`openssl rand -base64 24\`)`,
        { setting: "agencies" },
      );
    }
    if (quotaPerSecond === undefined) return { loginId, key };
    if (typeof quotaPerSecond !== "number" || !Number.isSafeInteger(quotaPerSecond) || quotaPerSecond < 1) {
      throw new ConfigError("CONFIG_INVALID", `${where(i, "quotaPerSecond")} must be a positive integer`, {
        setting: "agencies",
      });
    }
    return { loginId, key, quotaPerSecond };
  });
}

/** Login ids travel in KSI PDU headers and metadata records: printable ASCII keeps them unambiguous. */
function isLoginId(value: unknown): value is string {
  return (
    typeof value === "string" &&
    value.length >= 1 &&
    value.length <= MAX_LOGIN_ID_LENGTH &&
    /^[\x21-\x7e]+$/.test(value)
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

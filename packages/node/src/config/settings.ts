import { ConfigError } from "./errors.ts";

/**
 * Scalar settings that can come from the config file, a `TEMPEL_*` environment variable or a flag.
 * A setting's flag and variable names are derived from its dotted path (`api.maxJsonBytes` →
 * `--api-max-json-bytes`, `TEMPEL_API_MAX_JSON_BYTES`) so the three sources can never drift apart.
 */
export type SettingType =
  | { readonly kind: "string" }
  | { readonly kind: "path" }
  | { readonly kind: "integer"; readonly min: number; readonly max: number }
  | { readonly kind: "boolean" }
  | { readonly kind: "enum"; readonly values: readonly string[] }
  | { readonly kind: "list" };

export interface Setting {
  readonly path: string;
  readonly type: SettingType;
  readonly help: string;
}

export type SettingValue = string | number | boolean | readonly string[];

/** Where a value came from, for error messages. */
export type Source = { kind: "file"; file: string } | { kind: "env" } | { kind: "flag" };

export function flagName(setting: Setting): string {
  return setting.path.replace(/\./g, "-").replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

export function envName(setting: Setting): string {
  return "TEMPEL_" + flagName(setting).replace(/-/g, "_").toUpperCase();
}

export function describeSource(setting: Setting, source: Source): string {
  switch (source.kind) {
    case "file":
      return `"${setting.path}" in ${source.file}`;
    case "env":
      return envName(setting);
    case "flag":
      return `--${flagName(setting)}`;
  }
}

export function describeType(type: SettingType): string {
  switch (type.kind) {
    case "string":
      return "a non-empty string";
    case "path":
      return "a file system path";
    case "integer":
      return `an integer from ${type.min} to ${type.max}`;
    case "boolean":
      return "true or false";
    case "enum":
      return `one of ${type.values.join(", ")}`;
    case "list":
      return "a list of strings (comma-separated in flags and environment variables)";
  }
}

/** Most characters any scalar setting may have; bounds what a hostile config can make us hold. */
const MAX_VALUE_LENGTH = 4096;

/**
 * Parse one value. Text (flags, environment) and JSON (file) values go through the same checks; the
 * error names the setting, its source and what was expected.
 */
export function parseSetting(setting: Setting, raw: unknown, source: Source): SettingValue {
  const fail = (): never => {
    const shown =
      typeof raw === "string" ? JSON.stringify(raw.slice(0, 80)) : (JSON.stringify(raw) ?? String(raw));
    throw new ConfigError(
      "CONFIG_INVALID",
      `${setting.path} (${describeSource(setting, source)}) must be ${describeType(setting.type)}, got ${shown}`,
      { setting: setting.path },
    );
  };
  const fromText = source.kind !== "file";
  if (typeof raw === "string" && raw.length > MAX_VALUE_LENGTH) fail();
  const type = setting.type;
  switch (type.kind) {
    case "string":
    case "path":
      if (typeof raw !== "string" || raw.trim() === "" || raw.includes("\0")) fail();
      return raw as string;
    case "enum":
      if (typeof raw !== "string" || !type.values.includes(raw)) fail();
      return raw as string;
    case "integer": {
      const n = fromText && typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
      if (typeof n !== "number" || !Number.isSafeInteger(n) || n < type.min || n > type.max) fail();
      return n as number;
    }
    case "boolean": {
      if (typeof raw === "boolean") return raw;
      if (fromText && (raw === "true" || raw === "1")) return true;
      if (fromText && (raw === "false" || raw === "0")) return false;
      return fail();
    }
    case "list": {
      const items = fromText && typeof raw === "string" ? raw.split(",").map((s) => s.trim()) : raw;
      if (!Array.isArray(items) || items.length > 64) fail();
      for (const item of items as unknown[]) {
        if (typeof item !== "string" || item === "" || item.length > MAX_VALUE_LENGTH) fail();
      }
      return items as string[];
    }
  }
}

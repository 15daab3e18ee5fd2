/**
 * A small structured logger: one line per record, JSON for machines or a short human form for a
 * terminal. Child loggers carry bindings (module, round, peer) so call sites stay short.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; stderr by default so that stdout stays free for command output. */
  write?: (line: string) => void;
}

export const defaultLoggerOptions: LoggerOptions = { level: "info", format: "json" };

export function createLogger(options: LoggerOptions, bindings: LogFields = {}): Logger {
  const threshold = LEVEL_RANK[options.level];
  const write = options.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const format = options.format === "json" ? jsonLine : prettyLine;
  const emit = (level: LogLevel, message: string, fields: LogFields | undefined): void => {
    if (LEVEL_RANK[level] < threshold) return;
    write(format(new Date().toISOString(), level, message, { ...bindings, ...fields }));
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    child: (more) => createLogger({ ...options, write }, { ...bindings, ...more }),
  };
}

/** A logger that drops everything: for tests and tools that have nothing to say. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

function jsonLine(time: string, level: LogLevel, message: string, fields: LogFields): string {
  return JSON.stringify({ time, level, msg: message, ...serializable(fields) });
}

function prettyLine(time: string, level: LogLevel, message: string, fields: LogFields): string {
  const rest = Object.entries(serializable(fields))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
  return `${time} ${level.toUpperCase().padEnd(5)} ${message}${rest === "" ? "" : " " + rest}`;
}

/** What every line carries itself; a field of the same name is written as `field_<name>` instead. */
const RECORD_KEYS = new Set(["time", "level", "msg"]);

/**
 * Errors do not serialize to JSON on their own; bigints throw in JSON.stringify; a field must not
 * replace the line's own time, level or message.
 */
function serializable(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [name, value] of Object.entries(fields)) {
    const key = RECORD_KEYS.has(name) ? `field_${name}` : name;
    if (value instanceof Error) {
      const code = (value as { code?: unknown }).code;
      out[key] = { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
    } else if (typeof value === "bigint") {
      out[key] = value.toString();
    } else {
      out[key] = value;
    }
  }
  return out;
}

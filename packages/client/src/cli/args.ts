import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./usage-error.ts";

/** node:util's parseArgs in strict mode, with its errors (unknown flag, missing value) as usage errors. */
export function parseStrict<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ ...config, strict: true });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_")) {
      throw new UsageError((error as Error).message);
    }
    throw error;
  }
}

/** A whole-number option's value (--option TEXT) within min..max; undefined when not given. */
export function integer(
  text: string | undefined,
  option: string,
  min: number,
  max: number,
): number | undefined {
  if (text === undefined) return undefined;
  const value = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`--${option} ${text}: expected ${min}..${max}`);
  return value;
}

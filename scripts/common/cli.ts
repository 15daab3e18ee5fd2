import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { TempelError } from "@tempel/proto";

/**
 * What the scripts share on the command line: strict flags, checked numbers, and one way to end.
 * Exit codes: 0 success, 1 failure (a violation found, a node that would not start), 2 usage.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class UsageError extends TempelError {
  constructor(message: string) {
    super("USAGE", message);
  }
}

type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** Strict flags (unknown ones are usage errors); undefined after printing `help` for --help. */
export function parseFlags(
  argv: readonly string[],
  options: ParseArgsOptionsConfig,
  help: string,
): FlagValues | undefined {
  let values: FlagValues;
  try {
    values = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }).values as FlagValues;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) {
    process.stdout.write(help);
    return undefined;
  }
  return values;
}

export function stringFlag(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/** An integer flag within [min, max]; undefined when absent. */
export function integerFlag(
  values: FlagValues,
  name: string,
  range: { min: number; max: number },
): number | undefined {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  const value = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= range.min && value <= range.max)) {
    throw new UsageError(`--${name} must be an integer from ${range.min} to ${range.max}, got "${text}"`);
  }
  return value;
}

const UNIT_SECONDS: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600 };

/** A duration flag in seconds (`90`, `90s`, `2m` or `1h`) within [min, max]; undefined when absent. */
export function secondsFlag(
  values: FlagValues,
  name: string,
  range: { min: number; max: number },
): number | undefined {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  const match = /^(\d{1,7})(s|m|h|)$/.exec(text);
  const value = match === null ? Number.NaN : Number(match[1]) * UNIT_SECONDS[match[2]!]!;
  if (!(value >= range.min && value <= range.max)) {
    throw new UsageError(
      `--${name} must be a duration from ${range.min} s to ${range.max} s (e.g. 90, 90s, 2m), got "${text}"`,
    );
  }
  return value;
}

/** Run a script's main and turn its outcome into the exit code; expected errors print their message only. */
export function runScript(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof UsageError) {
        process.stderr.write(`${name}: ${error.message} (see --help)\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      const message =
        error instanceof TempelError ? error.message : ((error as Error).stack ?? String(error));
      process.stderr.write(`${name}: ${message}\n`);
      process.exitCode = EXIT_FAILURE;
    },
  );
}

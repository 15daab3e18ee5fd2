import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.ts";
import { createLogger } from "../../src/logger/logger.ts";

function capture(level: "debug" | "info" | "warn" | "error", format: "json" | "pretty") {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level, format, write: (line) => lines.push(line) }) };
}

describe("logger", () => {
  it("writes one JSON object per record with the child's bindings, dropping records below its level", () => {
    const { lines, logger } = capture("info", "json");
    const child = logger.child({ module: "rounds" });
    child.debug("hidden");
    child.info("round answered", { round: 12n, hashes: 3 });
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!);
    expect(record).toMatchObject({
      level: "info",
      msg: "round answered",
      module: "rounds",
      round: "12",
      hashes: 3,
    });
    expect(Number.isNaN(Date.parse(record.time))).toBe(false);
  });

  it("never lets a field replace the line's own time, level or message", () => {
    const { lines, logger } = capture("info", "json");
    logger.child({ level: "bound" }).info("round certified", { time: 1_700_000_000, msg: "field" });
    const record = JSON.parse(lines[0]!);
    expect(record).toMatchObject({
      level: "info",
      msg: "round certified",
      field_time: 1_700_000_000,
      field_level: "bound",
      field_msg: "field",
    });
    expect(Number.isNaN(Date.parse(record.time))).toBe(false);
  });

  it("keeps an error's name, message and code", () => {
    const { lines, logger } = capture("debug", "json");
    logger.error("failed", { error: new ConfigError("CONFIG_INVALID", "bad port") });
    expect(JSON.parse(lines[0]!).error).toEqual({
      name: "ConfigError",
      message: "bad port",
      code: "CONFIG_INVALID",
    });
  });

  it("writes a readable line in pretty format", () => {
    const { lines, logger } = capture("warn", "pretty");
    logger.warn("round missed", { round: 7, agency: "a b" });
    expect(lines[0]).toMatch(/^\S+Z WARN {2}round missed round=7 agency=a b$/);
  });
});

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.ts";
import { loadConfig } from "../../src/config/load.ts";
import { defaultPublicationOptions } from "../../src/publication/index.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tempel-config-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Agency keys of the least length a config may hold. */
const KEY = "0123456789abcdef";
const OTHER_KEY = "fedcba9876543210";

/** A config file as `tempel-node init` writes one: readable by its owner only. */
function writeConfig(json: unknown): string {
  const file = join(dir, "config.json");
  writeFileSync(file, typeof json === "string" ? json : JSON.stringify(json), { mode: 0o600 });
  return file;
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("takes a flag over the environment over the file over the default", () => {
    const file = writeConfig({ dataDir: ".", api: { port: 1000, host: "0.0.0.0" }, log: { level: "warn" } });
    const config = loadConfig({
      file,
      env: { TEMPEL_API_PORT: "2000", TEMPEL_LOG_LEVEL: "debug" },
      flags: { "api-port": "3000" },
      cwd: "/",
    });
    expect(config.api.port).toBe(3000);
    expect(config.log.level).toBe("debug");
    expect(config.api.host).toBe("0.0.0.0");
    expect(config.api.maxSignBatch).toBe(10_000);
  });

  it("reads the publication service's settings, defaulting the rest, and bounds them", () => {
    const file = writeConfig({ dataDir: ".", publications: { pollSeconds: 2 } });
    const config = loadConfig({
      file,
      env: { TEMPEL_PUBLICATIONS_PUBLISH_DELAY_SECONDS: "120" },
      flags: {},
      cwd: "/",
    });
    expect(config.publications).toEqual({
      ...defaultPublicationOptions,
      pollSeconds: 2,
      publishDelaySeconds: 120,
    });
    const tooOften = configError(() =>
      loadConfig({ env: {}, flags: { "data-dir": "/d", "publications-poll-seconds": "0" }, cwd: "/" }),
    );
    expect(tooOften.message).toContain("publications.pollSeconds (--publications-poll-seconds)");
  });

  it("resolves file paths against the config file's folder and defaults the genesis into the data folder", () => {
    const file = writeConfig({ dataDir: "node1" });
    const config = loadConfig({ file, env: {}, flags: {}, cwd: "/elsewhere" });
    expect(config.dataDir).toBe(join(dir, "node1"));
    expect(config.genesisFile).toBe(join(dir, "node1", "genesis.json"));
  });

  it("reads a clock offset from the file, the environment or a flag and rejects one beyond an hour", () => {
    const file = writeConfig({ dataDir: ".", clock: { offsetMs: -400 } });
    expect(loadConfig({ file, env: {}, flags: {}, cwd: "/" }).clock.offsetMs).toBe(-400);
    expect(
      loadConfig({ file, env: { TEMPEL_CLOCK_OFFSET_MS: "400" }, flags: {}, cwd: "/" }).clock.offsetMs,
    ).toBe(400);
    expect(
      loadConfig({ file, env: {}, flags: { "clock-offset-ms": "-3600000" }, cwd: "/" }).clock.offsetMs,
    ).toBe(-3_600_000);
    expect(loadConfig({ env: {}, flags: { "data-dir": "/d" }, cwd: "/" }).clock.offsetMs).toBe(0);
    const tooFar = configError(() =>
      loadConfig({ env: {}, flags: { "data-dir": "/d", "clock-offset-ms": "3600001" }, cwd: "/" }),
    );
    expect(tooFar.code).toBe("CONFIG_INVALID");
    expect(tooFar.message).toContain(
      "clock.offsetMs (--clock-offset-ms) must be an integer from -3600000 to 3600000",
    );
    const fractional = configError(() =>
      loadConfig({
        file: writeConfig({ dataDir: ".", clock: { offsetMs: 1.5 } }),
        env: {},
        flags: {},
        cwd: "/",
      }),
    );
    expect(fractional.message).toContain("clock.offsetMs");
  });

  it("keeps the admin endpoints off unless enabled", () => {
    expect(loadConfig({ env: {}, flags: { "data-dir": "/d" }, cwd: "/" }).admin.enabled).toBe(false);
    expect(
      loadConfig({ env: {}, flags: { "data-dir": "/d", "admin-enabled": "true" }, cwd: "/" }).admin.enabled,
    ).toBe(true);
    const file = writeConfig({ dataDir: ".", admin: { enabled: "yes" } });
    expect(configError(() => loadConfig({ file, env: {}, flags: {}, cwd: "/" })).message).toContain(
      "admin.enabled",
    );
  });

  it("names the setting and its source when a value is invalid", () => {
    const file = writeConfig({ dataDir: ".", api: { port: 70_000 } });
    expect(configError(() => loadConfig({ file, env: {}, flags: {}, cwd: "/" })).message).toContain(
      `api.port ("api.port" in ${file}) must be an integer from 0 to 65535`,
    );
    const fromEnv = configError(() =>
      loadConfig({ env: { TEMPEL_DATA_DIR: "/d", TEMPEL_ROUNDS_MAX_PENDING: "lots" }, flags: {}, cwd: "/" }),
    );
    expect(fromEnv.message).toContain("rounds.maxPending (TEMPEL_ROUNDS_MAX_PENDING)");
    const fromFlag = configError(() =>
      loadConfig({ env: {}, flags: { "data-dir": "/d", "log-format": "xml" }, cwd: "/" }),
    );
    expect(fromFlag.message).toContain("log.format (--log-format) must be one of json, pretty");
  });

  it("rejects unknown settings, a missing data folder and unreadable files", () => {
    expect(
      configError(() =>
        loadConfig({ file: writeConfig({ dataDir: ".", api: { prot: 1 } }), env: {}, flags: {}, cwd: "/" }),
      ).message,
    ).toContain('unknown setting "api.prot"');
    expect(configError(() => loadConfig({ env: {}, flags: {}, cwd: "/" })).code).toBe("CONFIG_MISSING");
    expect(
      configError(() => loadConfig({ file: writeConfig("{nope"), env: {}, flags: {}, cwd: "/" })).message,
    ).toContain("is not valid JSON");
    expect(
      configError(() => loadConfig({ file: join(dir, "absent.json"), env: {}, flags: {}, cwd: "/" })).code,
    ).toBe("CONFIG_FILE");
  });

  it("validates agencies: login id form, unique ids, key and quota", () => {
    const load = (agencies: unknown) => () =>
      loadConfig({ file: writeConfig({ dataDir: ".", agencies }), env: {}, flags: {}, cwd: "/" });
    expect(load([{ loginId: "a", key: KEY, quotaPerSecond: 5 }])().agencies).toEqual([
      { loginId: "a", key: KEY, quotaPerSecond: 5 },
    ]);
    expect(configError(load([{ loginId: "has space", key: KEY }])).message).toContain("agencies[0].loginId");
    expect(
      configError(
        load([
          { loginId: "a", key: KEY },
          { loginId: "a", key: OTHER_KEY },
        ]),
      ).message,
    ).toContain("listed twice");
    expect(configError(load([{ loginId: "a", key: 5 }])).message).toContain("agencies[0].key");
    expect(configError(load([{ loginId: "a", key: KEY, quotaPerSecond: 0 }])).message).toContain(
      "quotaPerSecond",
    );
    expect(configError(load([{ loginId: "a", key: KEY, extra: 1 }])).message).toContain("agencies[0].extra");
  });

  it.each([
    ["empty", ""],
    ["one character", "k"],
    ["15 bytes", "x".repeat(15)],
    ["15 bytes in 5 three-byte characters", "€".repeat(5)],
  ])("refuses an agency key that is %s, naming the agency and the least length", (_, key) => {
    const file = writeConfig({
      dataDir: ".",
      agencies: [
        { loginId: "a", key: KEY },
        { loginId: "weak-agency", key },
      ],
    });
    const error = configError(() => loadConfig({ file, env: {}, flags: {}, cwd: "/" }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("agencies[1].key");
    expect(error.message).toContain('"weak-agency"');
    expect(error.message).toContain("at least 16 bytes");
  });

  it("takes an agency key of 16 bytes", () => {
    const file = writeConfig({ dataDir: ".", agencies: [{ loginId: "a", key: "€".repeat(5) + "x" }] });
    expect(loadConfig({ file, env: {}, flags: {}, cwd: "/" }).agencies[0]?.key).toBe("€€€€€x");
  });

  it("refuses a config file holding agency keys that others may read, saying which chmod to run", () => {
    const file = writeConfig({ dataDir: ".", agencies: [{ loginId: "a", key: KEY }] });
    chmodSync(file, 0o644);
    const error = configError(() => loadConfig({ file, env: {}, flags: {}, cwd: "/" }));
    expect(error.code).toBe("KEY_FILE_EXPOSED");
    expect(error.message).toContain(`chmod 600 ${file}`);
    // Without agency keys the file holds no secret.
    writeConfig({ dataDir: "." });
    expect(loadConfig({ file, env: {}, flags: {}, cwd: "/" }).agencies).toEqual([]);
  });

  it("parses booleans and lists from text", () => {
    const config = loadConfig({
      env: { TEMPEL_DATA_DIR: "/d", TEMPEL_METRICS_PROCESS_METRICS: "false" },
      flags: { "p2p-listen": "/ip4/127.0.0.1/tcp/1, /ip4/127.0.0.1/tcp/2" },
      cwd: "/",
    });
    expect(config.metrics.processMetrics).toBe(false);
    expect(config.p2p.listen).toEqual(["/ip4/127.0.0.1/tcp/1", "/ip4/127.0.0.1/tcp/2"]);
  });
});

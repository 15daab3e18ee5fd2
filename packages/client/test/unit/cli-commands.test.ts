import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testPackPath } from "../../../proto/test/unit/helpers/testpack.ts";
import { findClusterFile, readClusterFile } from "../../src/cli/cluster-file.ts";
import { agencyKey, connect } from "../../src/cli/connection.ts";
import { describeFailure } from "../../src/cli/failure.ts";
import { parseTime } from "../../src/cli/time-text.ts";
import {
  NetworkError,
  NotYetAvailableError,
  OptionsError,
  ProtocolError,
  ServiceError,
  VerificationError,
} from "../../src/index.ts";
import { tempel } from "./cli-in-process.ts";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tempel-cli-unit-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("tempel help", () => {
  it("lists every command with the exit codes, and each command documents its own", async () => {
    const help = await tempel("--help");
    expect(help.code).toBe(0);
    for (const command of ["sign", "verify", "extend", "inspect", "publications", "status"]) {
      expect(help.out).toContain(`  ${command} `);
      const own = await tempel(command, "--help");
      expect(own.code, command).toBe(0);
      expect(own.out).toContain(`Usage: tempel ${command}`);
    }
    expect(help.out).toContain("3  unavailable: a service needed for the answer cannot be reached");
  });

  it("documents the cluster options and their variables in the commands that talk to a cluster", async () => {
    for (const command of ["sign", "extend", "publications", "status"]) {
      const { out } = await tempel(command, "--help");
      for (const text of [
        "--endpoint URL",
        "TEMPEL_ENDPOINTS",
        "TEMPEL_LOGIN",
        "TEMPEL_KEY",
        ".tempel/cluster.json",
      ]) {
        expect(out, `${command}: ${text}`).toContain(text);
      }
    }
  });

  it("refuses unknown options with exit code 2", async () => {
    expect(await tempel("sign", "--bogus")).toMatchObject({ code: 2 });
    expect(await tempel("status", "extra")).toMatchObject({ code: 2 });
  });
});

describe("cluster description", () => {
  it("is found in the nearest folder above, and reads nodes, agency, genesis and publications", async () => {
    const project = join(dir, "project");
    await mkdir(join(project, ".tempel"), { recursive: true });
    await mkdir(join(project, "deep", "er"), { recursive: true });
    await writeFile(
      join(project, ".tempel", "cluster.json"),
      JSON.stringify({
        genesis: "../data/genesis.json",
        nodes: [{ id: "n1", pid: 7, api: "http://127.0.0.1:3131", ksi: {}, metrics: "x" }],
        agency: { loginId: "agency1", key: "secret" },
        publications: "http://127.0.0.1:3131/publications.bin",
        future: "ignored",
      }),
    );
    const found = findClusterFile(join(project, "deep", "er"));
    expect(found).toBe(join(project, ".tempel", "cluster.json"));
    expect(await readClusterFile(found!)).toEqual({
      path: found,
      endpoints: ["http://127.0.0.1:3131"],
      genesis: join(project, "data", "genesis.json"),
      agency: { loginId: "agency1", key: "secret" },
      publications: "http://127.0.0.1:3131/publications.bin",
    });
  });

  it("takes a null publications URL as none, as the scripts write it for a genesis without a publications authority", async () => {
    const path = join(dir, "no-publications.json");
    await writeFile(path, JSON.stringify({ nodes: [{ api: "http://127.0.0.1:3131" }], publications: null }));
    expect((await readClusterFile(path)).publications).toBeUndefined();
  });

  it("refuses fields of the wrong kind as usage errors naming the field", async () => {
    const path = join(dir, "bad.json");
    await writeFile(path, JSON.stringify({ nodes: [{ api: "ftp://x" }] }));
    await expect(readClusterFile(path)).rejects.toMatchObject({ code: "USAGE", message: /nodes\[0\]\.api/ });
    await writeFile(path, "{not json");
    await expect(readClusterFile(path)).rejects.toMatchObject({ code: "USAGE" });
  });

  it("gives way to flags and TEMPEL_* variables, flags first", async () => {
    const path = join(dir, "cluster.json");
    await writeFile(
      path,
      JSON.stringify({ nodes: [{ api: "http://127.0.0.1:1" }], agency: { loginId: "a", key: "k" } }),
    );
    const env = { TEMPEL_ENDPOINTS: "http://127.0.0.1:2, http://127.0.0.1:3", TEMPEL_LOGIN: "env-login" };
    const fromEnv = await connect({ config: path }, { agency: true }, env, dir);
    expect((await fromEnv.status()).map((r) => r.endpoint)).toEqual([
      "http://127.0.0.1:2",
      "http://127.0.0.1:3",
    ]);
    const fromFlags = await connect({ config: path, endpoint: ["http://127.0.0.1:4"] }, {}, env, dir);
    expect((await fromFlags.status()).map((r) => r.endpoint)).toEqual(["http://127.0.0.1:4"]);
  });

  it("says how to name a cluster or an agency when none is given", async () => {
    await expect(connect({}, {}, {}, dir)).rejects.toMatchObject({ message: /--endpoint URL/ });
    await expect(
      connect({ endpoint: ["http://127.0.0.1:1"] }, { agency: true }, {}, dir),
    ).rejects.toMatchObject({
      message: /--login ID --key-file FILE/,
    });
  });
});

describe("the agency key", () => {
  const agencyOf = (values: Parameters<typeof agencyKey>[0], env: Record<string, string> = {}) =>
    agencyKey(values, env);

  it("is read from --key-file or TEMPEL_KEY_FILE, without the file's final newline", async () => {
    const path = join(dir, "agency.key");
    await writeFile(path, "0123456789abcdef-key\n", { mode: 0o600 });
    expect(await agencyOf({ "key-file": path })).toBe("0123456789abcdef-key");
    expect(await agencyOf({}, { TEMPEL_KEY_FILE: path })).toBe("0123456789abcdef-key");
    expect(await agencyOf({}, { TEMPEL_KEY: "from-the-environment" })).toBe("from-the-environment");
    // Flags before the environment, as for every connection setting.
    expect(await agencyOf({ "key-file": path }, { TEMPEL_KEY: "from-the-environment" })).toBe(
      "0123456789abcdef-key",
    );
  });

  it("refuses a key given twice, an empty or multi-line key file and a missing one, as usage errors", async () => {
    const path = join(dir, "agency.key");
    await writeFile(path, "0123456789abcdef-key\n");
    await expect(agencyOf({ key: "k", "key-file": path })).rejects.toMatchObject({ code: "USAGE" });
    await expect(agencyOf({}, { TEMPEL_KEY: "k", TEMPEL_KEY_FILE: path })).rejects.toMatchObject({
      code: "USAGE",
    });
    for (const text of ["", "\n", "two\nlines\n"]) {
      await writeFile(path, text);
      await expect(agencyOf({ "key-file": path }), JSON.stringify(text)).rejects.toMatchObject({
        code: "USAGE",
        message: expect.stringContaining(path),
      });
    }
    await expect(agencyOf({ "key-file": join(dir, "absent.key") })).rejects.toMatchObject({ code: "USAGE" });
  });

  it("given on the command line, draws a warning on stderr that names --key-file and TEMPEL_KEY", async () => {
    for (const args of [["--key", "secret-key-here"], ["--key=secret-key-here"]]) {
      const { err } = await tempel("status", "--endpoint", "http://127.0.0.1:1", ...args);
      expect(err).toContain("warning: --key");
      expect(err).toContain("--key-file FILE or TEMPEL_KEY");
    }
    const quiet = await tempel("status", "--endpoint", "http://127.0.0.1:1", "--", "--key");
    expect(quiet.err).not.toContain("warning");
    const path = join(dir, "agency.key");
    await writeFile(path, "secret-key-here\n");
    expect(
      (await tempel("status", "--endpoint", "http://127.0.0.1:1", "--key-file", path)).err,
    ).not.toContain("warning");
  });
});

describe("tempel extend", () => {
  it("refuses --to latest without the cluster's genesis, before asking any node, and says how to name it", async () => {
    const description = join(dir, "no-genesis.json");
    await writeFile(
      description,
      JSON.stringify({
        nodes: [{ api: "http://127.0.0.1:1" }],
        agency: { loginId: "agency1", key: "a-secret-of-sixteen-bytes" },
      }),
    );
    const signature = testPackPath("valid-signatures", "signature-extended.ksig");
    const run = await tempel("extend", signature, "--config", description, "-o", join(dir, "out.ksig"));
    expect(run.code).toBe(2);
    expect(run.err).toContain("--to latest needs the cluster's genesis");
    expect(run.err).toContain("--config FILE");
  });
});

describe("command-line times", () => {
  it("reads Unix seconds and ISO 8601 date-times with a zone, nothing else", () => {
    expect(parseTime("1795315628", "--to")).toBe(1795315628);
    expect(parseTime("2026-01-15T00:00:00Z", "--to")).toBe(Date.UTC(2026, 0, 15) / 1000);
    expect(parseTime("2026-01-15T02:00:00+02:00", "--to")).toBe(Date.UTC(2026, 0, 15) / 1000);
    expect(() => parseTime("2026-01-15", "--to")).toThrow(/--to 2026-01-15/);
    expect(() => parseTime("yesterday", "--to")).toThrow();
  });
});

describe("exit codes of client failures", () => {
  it("maps each failure to the documented exit code", () => {
    const refused = (ksiStatus: number, retryable: boolean) =>
      new ServiceError("X", "refused", { ksiStatus, retryable });
    expect(describeFailure(new OptionsError("bad"))?.exitCode).toBe(2);
    expect(describeFailure(refused(0x0102, false))?.exitCode).toBe(2);
    expect(describeFailure(refused(0x0104, false))?.exitCode).toBe(3);
    expect(describeFailure(refused(0x0106, true))?.message).toContain("try again later");
    expect(describeFailure(new NetworkError("UNAVAILABLE", "down"))?.exitCode).toBe(3);
    expect(describeFailure(new ProtocolError("BAD_PDU", "garbage"))?.exitCode).toBe(3);
    expect(describeFailure(new VerificationError("CAL-04", "forked"))?.exitCode).toBe(1);
    expect(describeFailure(new NotYetAvailableError("NOT_YET_PUBLISHED", "later"))?.exitCode).toBe(4);
    expect(describeFailure(new Error("a bug"))).toBeUndefined();
  });
});

import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppManifest, appLockfile, type Lockfile, type Tarball } from "./app-lockfile.ts";
import {
  bundleForBrowser,
  CHROMIUM,
  expectedOutcome,
  HAS_CHROMIUM,
  openBrowserPage,
} from "./browser-page.ts";
import { type RunningTempelNode, startTempelNode, waitForCertifiedHead } from "./tempel-node.ts";

/**
 * What users get, as they get it: the three packages packed by npm (each one's prepack builds it),
 * installed from the tarballs into a new app in a temporary folder outside the checkout with
 * `npm install --offline` (their dependencies come from the npm cache that `npm ci` filled: no
 * network), and used there by processes that cannot see the checkout (no NODE_OPTIONS, no npm
 * setting of the repo, no folder of it on PATH but the chosen Node binary's). There, on Node 20
 * (Debian's /usr/bin/node, where present), 22 (the `node22` devDependency) and the repo's pinned 24:
 * the SDK signs against one-node clusters run by the installed tempel-node on Node 22 and on 24,
 * and decodes and verifies the signatures; the installed bins answer and the CLI signs and verifies
 * a file; a strict TypeScript consumer typechecks against the installed declarations; and a page
 * bundled by esbuild from the installed SDK signs and verifies in Chromium.
 */

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, "../../../..");
const PACKAGES = ["proto", "client", "node"] as const;
const VERSION = (
  JSON.parse(await readFile(join(REPO, "packages/client/package.json"), "utf8")) as {
    version: string;
  }
).version;

interface Runtime {
  readonly name: string;
  readonly binary: string;
}

/** Debian stable's Node 20, when this machine has it: the SDK's oldest supported line. */
const NODE_20 = "/usr/bin/node";
const NODE_22: Runtime = { name: "Node 22", binary: join(REPO, "node_modules/node22/bin/node") };
const NODE_24: Runtime = { name: "Node 24", binary: process.execPath };
const HAS_NODE_20 =
  existsSync(NODE_20) && execFileSync(NODE_20, ["--version"], { encoding: "utf8" }).startsWith("v20.");
const SDK_RUNTIMES: Runtime[] = [
  ...(HAS_NODE_20 ? [{ name: "Node 20", binary: NODE_20 }] : []),
  NODE_22,
  NODE_24,
];
const NODE_RUNTIMES: Runtime[] = [NODE_22, NODE_24];

let app: string;
const tarballs = new Map<string, Tarball>();
const sizes = new Map<string, { packed: number; unpacked: number }>();
/** One cluster per Node line that tempel-node supports, keyed by the runtime's name. */
const clusters = new Map<string, RunningTempelNode>();

/**
 * The environment of everything run in the app: PATH has the runtime's folder first and no folder of
 * the checkout; nothing else of the test's environment but HOME (where npm keeps its cache) and an
 * npm cache named by the environment.
 */
function appEnv(runtime: Runtime): NodeJS.ProcessEnv {
  const outsideRepo = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => dir !== "" && relative(REPO, resolve(dir)).startsWith(".."));
  const env: NodeJS.ProcessEnv = { PATH: [dirname(runtime.binary), ...outsideRepo].join(delimiter) };
  if (process.env.HOME !== undefined) env.HOME = process.env.HOME;
  if (process.env.npm_config_cache !== undefined) env.npm_config_cache = process.env.npm_config_cache;
  return env;
}

/** Run a command in the app with `runtime` as its `node`; resolves with its exit code and output. */
async function inApp(runtime: Runtime, file: string, args: readonly string[]) {
  try {
    const { stdout, stderr } = await run(file, [...args], { cwd: app, env: appEnv(runtime) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== "number") throw error;
    return { code: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

const bin = (name: string) => join(app, "node_modules/.bin", name);

/** Packs the three packages with the checkout's npm setup into the app's packs/ folder. */
async function pack(): Promise<void> {
  await mkdir(join(app, "packs"));
  const { stdout } = await run(
    "npm",
    [
      ...PACKAGES.flatMap((name) => ["-w", `packages/${name}`]),
      "pack",
      "--json",
      "--pack-destination",
      join(app, "packs"),
    ],
    { cwd: REPO, maxBuffer: 64 * 1024 * 1024 },
  );
  const packed = JSON.parse(stdout) as {
    name: string;
    filename: string;
    integrity: string;
    size: number;
    unpackedSize: number;
  }[];
  for (const [i, tarball] of packed.entries()) {
    const manifest = JSON.parse(await readFile(join(REPO, "packages", PACKAGES[i]!, "package.json"), "utf8"));
    expect(manifest.name).toBe(tarball.name);
    tarballs.set(tarball.name, {
      manifest,
      spec: `file:packs/${tarball.filename}`,
      integrity: tarball.integrity,
    });
    sizes.set(tarball.name, { packed: tarball.size, unpacked: tarball.unpackedSize });
  }
}

/**
 * The app: the tarballs, and TypeScript and Node's types at the checkout's versions for the consumer,
 * locked at the checkout's versions and installed by `npm ci --offline`.
 */
async function install(): Promise<void> {
  const repoLock = JSON.parse(await readFile(join(REPO, "package-lock.json"), "utf8")) as Lockfile;
  const lockedVersion = (name: string) => repoLock.packages[`node_modules/${name}`]!.version!;
  const manifest: AppManifest = {
    name: "tempel-install-check",
    dependencies: Object.fromEntries([...tarballs].map(([name, tarball]) => [name, tarball.spec])),
    devDependencies: { typescript: lockedVersion("typescript"), "@types/node": lockedVersion("@types/node") },
  };
  await writeFile(
    join(app, "package.json"),
    JSON.stringify({ ...manifest, private: true, type: "module" }, null, 2),
  );
  await writeFile(
    join(app, "package-lock.json"),
    JSON.stringify(appLockfile(repoLock, manifest, tarballs), null, 2),
  );
  await run("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: app,
    env: appEnv(NODE_24),
  });
}

/** Signs and verifies with the installed SDK, as an app's code would; prints what it saw as JSON. */
const SDK_SCRIPT = `
import { readFileSync } from "node:fs";
import { Signature, TempelClient } from "@tempel/client";
import { nodeHasher, nodeHttpTransport } from "@tempel/client/node";

const [url, loginId, key, genesisFile] = process.argv.slice(2);
const trust = { genesis: readFileSync(genesisFile, "utf8") };
const client = new TempelClient({ endpoints: [url], agency: { loginId, key }, trust });
const overNodeHttp = new TempelClient({ endpoints: [url], agency: { loginId, key }, trust, transport: nodeHttpTransport(), hasher: nodeHasher });
const text = "signed by an installed SDK";
const imprint = "01" + "5a".repeat(32);
const signature = await client.sign(text);
const ofHash = await overNodeHttp.sign({ imprint });
const decoded = Signature.decode(signature.encode());
console.log(JSON.stringify({
  agency: decoded.agency,
  key: (await client.verify(decoded, text, { policy: "key" })).result,
  calendar: (await client.verify(decoded, text, { policy: "calendar" })).result,
  hash: (await overNodeHttp.verify(Signature.decode(ofHash.encode()), { imprint }, { policy: "key" })).result,
  changed: (await client.verify(decoded, text + "!", { policy: "internal" })).code,
}));
`;

/** A strict TypeScript app: wrong uses of the SDK must fail, so the types cannot be \`any\`. */
const CONSUMER = `
import { type PolicyName, Signature, TempelClient, type TempelClientOptions } from "@tempel/client";
import { nodeHasher, nodeHttpTransport } from "@tempel/client/node";
import type { Imprint } from "@tempel/proto";

const options: TempelClientOptions = {
  endpoints: ["http://127.0.0.1:3131"],
  agency: { loginId: "demo", key: "secret" },
  transport: nodeHttpTransport(),
  hasher: nodeHasher,
};
const client = new TempelClient(options);

export async function signAndCheck(text: string, policy: PolicyName): Promise<boolean> {
  const signature: Signature = await client.sign(text);
  const imprint: Imprint = Signature.decode(signature.encode()).inputHash;
  return (await client.verify(signature, text, { policy })).result === "OK" && imprint.length > 0;
}

// @ts-expect-error endpoints are required
new TempelClient({ agency: { loginId: "demo", key: "secret" } });
// @ts-expect-error not a policy
void signAndCheck("text", "trust-me");
`;

const TSCONFIG = {
  compilerOptions: {
    target: "es2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    lib: ["es2022", "dom"],
    types: ["node"],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
  },
  files: ["consumer.ts"],
};

describe("the packages as installed from their tarballs, outside the checkout", () => {
  beforeAll(async () => {
    app = await mkdtemp(join(tmpdir(), "tempel-app-"));
    await pack();
    await install();
    for (const runtime of NODE_RUNTIMES) {
      clusters.set(
        runtime.name,
        await startTempelNode({ file: bin("tempel-node"), args: [], env: appEnv(runtime) }),
      );
    }
    await Promise.all([...clusters.values()].map((cluster) => waitForCertifiedHead(cluster.url)));
  }, 600_000);

  afterAll(async () => {
    await Promise.all([...clusters.values()].map((cluster) => cluster.stop()));
    if (app !== undefined) await rm(app, { recursive: true, force: true });
  });

  it("installs from the tarballs alone, into a folder outside the checkout", async () => {
    expect(relative(REPO, app).startsWith("..")).toBe(true);
    console.log(
      [...sizes]
        .map(([name, size]) => `${name}: ${size.packed} bytes packed, ${size.unpacked} unpacked`)
        .join("\n"),
    );
    for (const name of PACKAGES) {
      const installed = join(app, "node_modules/@tempel", name);
      const manifest = JSON.parse(await readFile(join(installed, "package.json"), "utf8")) as {
        version: string;
      };
      expect(manifest.version).toBe(VERSION);
      for (const file of [
        "lib/index.js",
        "lib/index.d.ts",
        "lib/index.js.map",
        "LICENSE",
        "NOTICE",
        "README.md",
      ]) {
        expect(existsSync(join(installed, file)), `${name}/${file}`).toBe(true);
      }
    }
    for (const name of ["tempel", "tempel-node"]) {
      expect((await readFile(bin(name), "utf8")).startsWith("#!/usr/bin/env node\n"), name).toBe(true);
    }
  });

  describe.each(SDK_RUNTIMES)("on $name", (runtime) => {
    it("the SDK signs text and a hash against tempel-node on Node 22 and 24, decodes and verifies them", async () => {
      await writeFile(join(app, "sdk.mjs"), SDK_SCRIPT);
      for (const cluster of clusters.values()) {
        const genesis = cluster.genesisPath;
        const answer = await inApp(runtime, runtime.binary, [
          "sdk.mjs",
          cluster.url,
          cluster.agency.loginId,
          cluster.agency.key,
          genesis,
        ]);
        expect(answer.stderr).toBe("");
        expect(JSON.parse(answer.stdout)).toEqual({
          agency: cluster.agency.loginId,
          key: "OK",
          calendar: "OK",
          hash: "OK",
          changed: "GEN-01",
        });
      }
    });

    it("the tempel bin prints its version and help, signs a file, verifies it and refuses it changed", async () => {
      expect(await inApp(runtime, bin("tempel"), ["--version"])).toEqual({
        code: 0,
        stdout: `${VERSION}\n`,
        stderr: "",
      });
      const help = await inApp(runtime, bin("tempel"), ["--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("Usage: tempel <command>");
      const cluster = clusters.get(NODE_24.name)!;
      const document = `document-${runtime.name.replace(" ", "")}.txt`;
      await writeFile(join(app, document), `signed with the tempel CLI on ${runtime.name}`);
      const keyFile = join(app, `agency-${runtime.name.replace(" ", "")}.key`);
      await writeFile(keyFile, `${cluster.agency.key}\n`, { mode: 0o600 });
      const agency = ["--login", cluster.agency.loginId, "--key-file", keyFile];
      const signed = await inApp(runtime, bin("tempel"), [
        "sign",
        document,
        "--force",
        "--endpoint",
        cluster.url,
        ...agency,
      ]);
      expect(signed.stderr).toBe("");
      expect(signed.code).toBe(0);
      const verify = () => inApp(runtime, bin("tempel"), ["verify", document, "--policy", "internal"]);
      expect(await verify()).toMatchObject({ code: 0, stderr: "" });
      await writeFile(join(app, document), "changed after signing");
      expect(await verify()).toMatchObject({ code: 1 });
    });
  });

  it("npx tempel in the app runs the installed tempel, asking no registry (npx --offline)", async () => {
    expect(await inApp(NODE_24, "npx", ["--offline", "tempel", "--version"])).toMatchObject({
      code: 0,
      stdout: `${VERSION}\n`,
    });
  });

  it.each(NODE_RUNTIMES)("the tempel-node bin prints its version on $name", async (runtime) => {
    expect(await inApp(runtime, bin("tempel-node"), ["--version"])).toEqual({
      code: 0,
      stdout: `${VERSION}\n`,
      stderr: "",
    });
  });

  it.skipIf(!HAS_NODE_20)("tempel-node on Node 20 says it needs Node 22 and exits 1", async () => {
    const answer = await inApp({ name: "Node 20", binary: NODE_20 }, bin("tempel-node"), [
      "init",
      "--data",
      join(app, "node-on-20"),
    ]);
    expect(answer.code).toBe(1);
    expect(answer.stderr).toMatch(/^tempel-node: needs Node\.js 22 or newer; this is v20\./);
    expect(existsSync(join(app, "node-on-20"))).toBe(false);
  });

  it("a strict TypeScript consumer (moduleResolution nodenext) typechecks against the installed types", async () => {
    await writeFile(join(app, "consumer.ts"), CONSUMER);
    await writeFile(join(app, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
    const checked = await inApp(NODE_24, NODE_24.binary, [
      join(app, "node_modules/typescript/bin/tsc"),
      "-p",
      ".",
    ]);
    expect(checked.stdout + checked.stderr).toBe("");
    expect(checked.code).toBe(0);
  });

  it.skipIf(!HAS_CHROMIUM)(
    `a page bundled by esbuild from the installed SDK signs and verifies in Chromium (${CHROMIUM})`,
    async () => {
      const bundle = await bundleForBrowser({ contents: 'export * from "@tempel/client";', resolveDir: app });
      const cluster = clusters.get(NODE_22.name)!;
      const page = await openBrowserPage(bundle, cluster);
      try {
        expect(await page.signAndVerify()).toEqual(expectedOutcome(cluster));
      } finally {
        await page.close();
      }
    },
  );
});

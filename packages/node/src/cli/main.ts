#!/usr/bin/env node
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { TempelError } from "@tempel/proto";
import { ConfigError, flagName, loadConfig, SETTINGS } from "../config/index.ts";
import { createLogger } from "../logger/index.ts";
import { CHECK_HELP, INIT_HELP, MAIN_HELP, PUBLICATIONS_CA_USAGE, startHelp } from "./help.ts";
import { packageVersion } from "./version.ts";

/** Exit codes: documented in `tempel-node --help`. */
const OK = 0;
const FAILURE = 1;
const USAGE = 2;

/** libp2p 3, which the node runs on, needs Node.js 22 (the engines field of package.json says so too). */
const MIN_NODE_MAJOR = 22;

class UsageError extends TempelError<"USAGE"> {}
class RuntimeError extends TempelError<"NODE_TOO_OLD"> {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(MAIN_HELP);
    return command === undefined ? USAGE : OK;
  }
  if (command === "--version" || command === "-v") {
    process.stdout.write(`${packageVersion()}\n`);
    return OK;
  }
  const major = Number(process.versions.node.split(".")[0]);
  if (major < MIN_NODE_MAJOR) {
    throw new RuntimeError(
      "NODE_TOO_OLD",
      `needs Node.js ${MIN_NODE_MAJOR} or newer; this is ${process.version}. Install Node.js 22 or 24 (LTS)`,
    );
  }
  switch (command) {
    case "init":
      return init(rest);
    case "start":
      return start(rest);
    case "check":
      return check(rest);
    case "genesis":
      return (await import("./genesis.ts")).genesisCommand(rest);
    case "publications-ca":
      return publicationsCa(rest);
    case "tsa":
      return tsa(rest);
    default:
      throw new UsageError("USAGE", `unknown command "${command}"; see tempel-node --help`);
  }
}

function parse(args: string[], options: ParseArgsOptionsConfig) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | string[] | boolean | undefined>;
  } catch (error) {
    throw new UsageError("USAGE", (error as Error).message);
  }
}

async function init(args: string[]): Promise<number> {
  const values = parse(args, {
    data: { type: "string" },
    "api-host": { type: "string" },
    "api-port": { type: "string" },
    "api-url": { type: "string" },
    p2p: { type: "string", multiple: true },
    "tsa-key-type": { type: "string" },
  });
  if (values.help === true) {
    process.stdout.write(INIT_HELP);
    return OK;
  }
  const dataDir = values.data;
  if (typeof dataDir !== "string") throw new UsageError("USAGE", "init needs --data DIR");
  const httpHost = (values["api-host"] as string | undefined) ?? "127.0.0.1";
  const portText = (values["api-port"] as string | undefined) ?? "3131";
  const httpPort = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || httpPort > 65_535)
    throw new UsageError("USAGE", `--api-port ${portText} is not a port`);
  // Commands load what they need only: `--help` and usage errors stay fast.
  const { initDataDir } = await import("../genesis/index.ts");
  const { keyTypeOf } = await import("../tsa/command.ts");
  let tsaKeyType: ReturnType<typeof keyTypeOf>;
  try {
    tsaKeyType = keyTypeOf(values["tsa-key-type"] as string | undefined);
  } catch (error) {
    throw new UsageError("USAGE", (error as Error).message.replace("--key-type", "--tsa-key-type"));
  }
  const result = await initDataDir({
    dataDir,
    httpHost,
    httpPort,
    apiUrl: (values["api-url"] as string | undefined) ?? `http://${httpHost}:${httpPort}`,
    p2pAddrs: (values.p2p as string[] | undefined) ?? ["/ip4/127.0.0.1/tcp/4131"],
    now: Math.floor(Date.now() / 1000),
    tsaKeyType,
  });
  process.stdout.write(
    [
      `created ${dataDir}`,
      `  node id      ${result.nodeId}`,
      `  cluster      ${result.genesis.clusterId} (genesis ${new Date(result.genesis.genesisTime * 1000).toISOString()})`,
      `  config       ${result.paths.config}`,
      `  agency       login id "${result.agency.loginId}", HMAC key "${result.agency.key}" (edit the config to change)`,
      `start it with: tempel-node start --config ${result.paths.config}`,
      "",
    ].join("\n"),
  );
  return OK;
}

const SETTING_FLAGS = Object.fromEntries(SETTINGS.map((s) => [flagName(s), { type: "string" as const }]));

function configFrom(values: Record<string, string | string[] | boolean | undefined>) {
  const file = values.config;
  if (typeof file !== "string")
    throw new UsageError("USAGE", "give the node's config file with --config FILE");
  const flags: Record<string, string> = {};
  for (const name of Object.keys(SETTING_FLAGS)) {
    const value = values[name];
    if (typeof value === "string") flags[name] = value;
  }
  return loadConfig({ file, env: process.env, flags, cwd: process.cwd() });
}

async function start(args: string[]): Promise<number> {
  const values = parse(args, { config: { type: "string" }, upstream: { type: "string" }, ...SETTING_FLAGS });
  if (values.help === true) {
    process.stdout.write(startHelp());
    return OK;
  }
  // `--upstream` is the short name of --gateway-upstream.
  const config = configFrom({ "gateway-upstream": values.upstream, ...values });
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  const node =
    config.role === "gateway"
      ? await (await import("../gateway-node.ts")).startGateway(config, logger)
      : await (await import("../node.ts")).startNode(config, logger);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info("signal received", { signal });
      // A second signal while stopping means: stop now.
      process.once("SIGINT", () => process.exit(FAILURE));
      process.once("SIGTERM", () => process.exit(FAILURE));
      node.stop().then(resolve, (error: unknown) => {
        logger.error("shutdown failed", { error });
        process.exit(FAILURE);
      });
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  return OK;
}

async function check(args: string[]): Promise<number> {
  const values = parse(args, { config: { type: "string" }, from: { type: "string" } });
  if (values.help === true) {
    process.stdout.write(CHECK_HELP);
    return OK;
  }
  const fromText = values.from;
  if (fromText !== undefined && (typeof fromText !== "string" || !/^\d{1,15}$/.test(fromText))) {
    throw new UsageError("USAGE", "--from must be a Unix time in seconds");
  }
  const config = configFrom({ ...values, from: undefined });
  const { checkStore } = await import("./check.ts");
  const report = await checkStore(config, fromText === undefined ? undefined : Number(fromText));
  const out = process.stdout;
  out.write(
    `calendar head ${report.head ?? "(empty)"}; checked from ${report.from}: ${report.leaves} leaves, ` +
      `${report.nodes} subtree roots, ${report.roundRecords} round records, ${report.certificates} certificates\n`,
  );
  if (report.problems.length === 0) {
    out.write("the store is sound\n");
    return OK;
  }
  out.write(`${report.problems.length} problem(s):\n${report.problems.map((p) => `  ${p}\n`).join("")}`);
  return FAILURE;
}

async function publicationsCa(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand !== "init") {
    if (subcommand === "--help" || subcommand === "-h") {
      process.stdout.write(PUBLICATIONS_CA_USAGE);
      return OK;
    }
    throw new UsageError("USAGE", `publications-ca needs a subcommand: ${PUBLICATIONS_CA_USAGE.trim()}`);
  }
  // Key generation and X.509 pull in pkijs: loaded only when the command runs.
  const { PUBLICATIONS_CA_HELP, PUBLICATIONS_CA_OPTIONS, publicationsCaInit } = await import(
    "../publication/index.ts"
  );
  const { PublicationError } = await import("../publication/index.ts");
  const values = parse(rest, PUBLICATIONS_CA_OPTIONS);
  if (values.help === true) {
    process.stdout.write(PUBLICATIONS_CA_HELP);
    return OK;
  }
  try {
    process.stdout.write(
      await publicationsCaInit(values as Record<string, string | undefined>, Math.floor(Date.now() / 1000)),
    );
  } catch (error) {
    if (error instanceof PublicationError && error.code === "USAGE") {
      throw new UsageError("USAGE", error.message);
    }
    throw error;
  }
  return OK;
}

async function tsa(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  // Key generation and certificates: loaded only when the command runs.
  const { TSA_HELP, TSA_OPTIONS, tsaCommand } = await import("../tsa/command.ts");
  const { TsaError } = await import("../tsa/errors.ts");
  const values = parse(rest, TSA_OPTIONS);
  if (subcommand === undefined || subcommand === "--help" || subcommand === "-h" || values.help === true) {
    process.stdout.write(TSA_HELP);
    return subcommand === undefined ? USAGE : OK;
  }
  try {
    process.stdout.write(tsaCommand(subcommand, values, Math.floor(Date.now() / 1000)));
  } catch (error) {
    if (error instanceof TsaError && error.code === "USAGE") throw new UsageError("USAGE", error.message);
    throw error;
  }
  return OK;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A key file others may read is the operator's to fix, like a bad config: exit 2, which
    // systemd's Restart=on-failure does not retry every 2 s forever.
    const usage =
      error instanceof UsageError ||
      error instanceof ConfigError ||
      (error instanceof TempelError && error.code === "KEY_FILE_EXPOSED");
    const message = error instanceof TempelError ? error.message : ((error as Error).stack ?? String(error));
    process.stderr.write(`tempel-node: ${message}\n`);
    process.exitCode = usage ? USAGE : FAILURE;
  },
);

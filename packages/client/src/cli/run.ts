import { EXIT_CODES_HELP, ExitCode } from "./exit-codes.ts";
import type { CliIo } from "./io.ts";
import { KEY_ON_COMMAND_LINE_WARNING, keyOnCommandLine } from "./key-warning.ts";
import { packageVersion } from "./version.ts";

interface CommandModule {
  readonly help: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/**
 * A command's summary for `tempel --help`, and its module, imported only when the command runs:
 * `tempel --help` then loads none of them (nor the SDK), and starts as fast as Node does.
 */
interface Command {
  readonly summary: string;
  load(): Promise<CommandModule>;
}

const COMMANDS: ReadonlyMap<string, Command> = new Map([
  [
    "sign",
    {
      summary: "sign files, standard input or a hash",
      load: async () => {
        const m = await import("./commands/sign.ts");
        return { help: m.SIGN_HELP, run: m.signCommand };
      },
    },
  ],
  [
    "verify",
    {
      summary: "verify KSI signatures, each against its document when it is beside it",
      load: async () => {
        const m = await import("./commands/verify.ts");
        return { help: m.VERIFY_HELP, run: m.verifyCommand };
      },
    },
  ],
  [
    "extend",
    {
      summary: "extend a signature to a later certified root or a publication",
      load: async () => {
        const m = await import("./commands/extend.ts");
        return { help: m.EXTEND_HELP, run: m.extendCommand };
      },
    },
  ],
  [
    "inspect",
    {
      summary: "show what a KSI signature contains",
      load: async () => {
        const m = await import("./commands/inspect.ts");
        return { help: m.INSPECT_HELP, run: m.inspectCommand };
      },
    },
  ],
  [
    "publications",
    {
      summary: "list the cluster's publications (checked publications file)",
      load: async () => {
        const m = await import("./commands/publications.ts");
        return { help: m.PUBLICATIONS_HELP, run: m.publicationsCommand };
      },
    },
  ],
  [
    "status",
    {
      summary: "show the cluster's nodes: readiness, leader, calendar head and lag",
      load: async () => {
        const m = await import("./commands/status.ts");
        return { help: m.STATUS_HELP, run: m.statusCommand };
      },
    },
  ],
  [
    "log",
    {
      summary: "sign, verify and extract from log signatures (LOGSIG12, logksi)",
      load: async () => {
        const m = await import("./commands/log.ts");
        return { help: m.LOG_HELP, run: m.logCommand };
      },
    },
  ],
  [
    "monitor",
    {
      summary: "watch a cluster's calendar and publications for rewritten history",
      load: async () => {
        const m = await import("./commands/monitor.ts");
        return { help: m.MONITOR_HELP, run: m.monitorCommand };
      },
    },
  ],
  [
    "watch",
    {
      summary: "watch logs and their .logsig as they grow; alert on tampering or stalled signing",
      load: async () => {
        const m = await import("./commands/watch.ts");
        return { help: m.WATCH_HELP, run: m.watchCommand };
      },
    },
  ],
]);

const HELP = `Usage: tempel <command> [options]

Tempel: keyless timestamping with KSI-compatible signatures.

Commands:
${[...COMMANDS].map(([name, command]) => `  ${name.padEnd(13)} ${command.summary}`).join("\n")}
  help CMD      show the help of a command
  --version     print the version of tempel (@tempel/client)

Run tempel <command> --help for a command's options; docs/cli.md describes them all.

${EXIT_CODES_HELP}
`;

/** Run the `tempel` command line `argv` (without node and script); returns the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === "--help" || name === "-h") {
    io.out(HELP);
    return ExitCode.OK;
  }
  if (name === "--version" || name === "-v") {
    io.out(`${packageVersion()}\n`);
    return ExitCode.OK;
  }
  if (name === "help") {
    const command = args[0] === undefined ? undefined : COMMANDS.get(args[0]);
    io.out(command === undefined ? HELP : (await command.load()).help);
    return args.length === 0 || command !== undefined ? ExitCode.OK : ExitCode.USAGE;
  }
  const command = name === undefined ? undefined : COMMANDS.get(name);
  if (command === undefined) {
    io.err(name === undefined ? HELP : `tempel: unknown command "${name}"; run tempel --help\n`);
    return ExitCode.USAGE;
  }
  if (keyOnCommandLine(args)) io.err(`tempel ${name}: ${KEY_ON_COMMAND_LINE_WARNING}`);
  const [module, { UsageError }, { describeFailure }] = await Promise.all([
    command.load(),
    import("./usage-error.ts"),
    import("./failure.ts"),
  ]);
  try {
    return await module.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`tempel ${name}: ${error.message}\n`);
      return ExitCode.USAGE;
    }
    const failure = describeFailure(error);
    if (failure === undefined) throw error;
    io.err(`tempel ${name}: ${failure.message}\n`);
    return failure.exitCode;
  }
}

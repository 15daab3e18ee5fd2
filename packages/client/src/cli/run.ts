import { EXTEND_HELP, EXTEND_SUMMARY, extendCommand } from "./commands/extend.ts";
import { INSPECT_HELP, INSPECT_SUMMARY, inspectCommand } from "./commands/inspect.ts";
import { MONITOR_HELP, MONITOR_SUMMARY, monitorCommand } from "./commands/monitor.ts";
import { PUBLICATIONS_HELP, PUBLICATIONS_SUMMARY, publicationsCommand } from "./commands/publications.ts";
import { SIGN_HELP, SIGN_SUMMARY, signCommand } from "./commands/sign.ts";
import { STATUS_HELP, STATUS_SUMMARY, statusCommand } from "./commands/status.ts";
import { VERIFY_HELP, VERIFY_SUMMARY, verifyCommand } from "./commands/verify.ts";
import { KEY_ON_COMMAND_LINE_WARNING, keyOnCommandLine } from "./connection.ts";
import { EXIT_CODES_HELP, ExitCode } from "./exit-codes.ts";
import { describeFailure } from "./failure.ts";
import type { CliIo } from "./io.ts";
import { UsageError } from "./usage-error.ts";
import { packageVersion } from "./version.ts";

interface Command {
  readonly summary: string;
  readonly help: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

const COMMANDS: ReadonlyMap<string, Command> = new Map([
  ["sign", { summary: SIGN_SUMMARY, help: SIGN_HELP, run: signCommand }],
  ["verify", { summary: VERIFY_SUMMARY, help: VERIFY_HELP, run: verifyCommand }],
  ["extend", { summary: EXTEND_SUMMARY, help: EXTEND_HELP, run: extendCommand }],
  ["inspect", { summary: INSPECT_SUMMARY, help: INSPECT_HELP, run: inspectCommand }],
  ["publications", { summary: PUBLICATIONS_SUMMARY, help: PUBLICATIONS_HELP, run: publicationsCommand }],
  ["status", { summary: STATUS_SUMMARY, help: STATUS_HELP, run: statusCommand }],
  ["monitor", { summary: MONITOR_SUMMARY, help: MONITOR_HELP, run: monitorCommand }],
]);

const HELP = `Usage: tempel <command> [options]

Tempel: keyless timestamping with KSI-compatible signatures.

Commands:
${[...COMMANDS].map(([name, command]) => `  ${name.padEnd(13)} ${command.summary}`).join("\n")}
  help CMD      show the help of a command
  --version     print the version of tempel (@tempel/client)

Run tempel <command> --help for a command's options.

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
    io.out(command?.help ?? HELP);
    return args.length === 0 || command !== undefined ? ExitCode.OK : ExitCode.USAGE;
  }
  const command = name === undefined ? undefined : COMMANDS.get(name);
  if (command === undefined) {
    io.err(name === undefined ? HELP : `tempel: unknown command "${name}"; run tempel --help\n`);
    return ExitCode.USAGE;
  }
  if (keyOnCommandLine(args)) io.err(`tempel ${name}: ${KEY_ON_COMMAND_LINE_WARNING}`);
  try {
    return await command.run(args, io);
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

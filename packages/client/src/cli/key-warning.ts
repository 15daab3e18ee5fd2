/**
 * A key given as a flag is in the process list and the shell's history for every user of the machine
 * to read: said on stderr, with what to use instead. Only the command's own options count (not a
 * file named --key after "--").
 */
export function keyOnCommandLine(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === "--") return false;
    if (arg === "--key" || arg.startsWith("--key=")) return true;
  }
  return false;
}

export const KEY_ON_COMMAND_LINE_WARNING =
  "warning: --key puts the agency key where other users of this machine can read it (ps, shell history); " +
  "use --key-file FILE or TEMPEL_KEY instead\n";

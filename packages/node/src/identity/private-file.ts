import { statSync } from "node:fs";

/**
 * What is wrong with a secret file's permissions, or undefined: a key (or a config holding agency
 * keys) that the group or others may read is a key anyone on the machine may copy. The node refuses
 * to start with one, and says how to fix it, rather than run with a secret that may be gone already.
 */
export function privateFileProblem(file: string, what: string): string | undefined {
  // Windows has no mode bits to speak of: its ACLs are the operator's to set.
  if (process.platform === "win32") return undefined;
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    // Missing or unreadable: the reading that follows says so, with its own error.
    return undefined;
  }
  if ((mode & 0o077) === 0) return undefined;
  const octal = mode.toString(8).padStart(4, "0");
  return `${what} ${file} may be read by others (mode ${octal}): make it the owner's only with \`chmod 600 ${file}\``;
}

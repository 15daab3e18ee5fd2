import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Examples in the repository's docs that tests run. An example is a fenced code block right after an
 * HTML comment naming its test and what it must do, e.g. `<!-- curl-test 200 json:signatures -->`;
 * the comment does not show when the Markdown is rendered.
 */

export const DOCS = join(import.meta.dirname, "../../../../docs");

export interface DocExample {
  /** The comment's word after `<!--`, e.g. "curl-test". */
  readonly kind: string;
  /** The rest of the comment. */
  readonly expect: string;
  /** The code block's language. */
  readonly language: string;
  readonly code: string;
  /** 1-based line of the code block in the file, for failure messages. */
  readonly line: number;
}

const MARKED = /<!-- ([a-z-]+) ?(.*?) -->\n```(\w+)\n([\s\S]*?)\n```/g;
const FENCE = /^```(\w+)\n([\s\S]*?)\n```/gm;

/** The marked examples of `docs/<file>`, in file order. */
export function docExamples(file: string): DocExample[] {
  const text = readFileSync(join(DOCS, file), "utf8");
  return [...text.matchAll(MARKED)].map((match) => ({
    kind: match[1]!,
    expect: match[2]!,
    language: match[3]!,
    code: match[4]!,
    line: text.slice(0, match.index).split("\n").length + 1,
  }));
}

/** Every code block of `docs/<file>` in `language`, marked or not: what must not escape the tests. */
export function codeBlocks(file: string, language: string): string[] {
  const text = readFileSync(join(DOCS, file), "utf8");
  return [...text.matchAll(FENCE)].filter((m) => m[1] === language).map((m) => m[2]!);
}

/** `bash -euo pipefail -c script` in `cwd` with only `env` (and PATH): exit code and output. */
export function runShell(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // stdin is not a pipe: Debian's bash reads bash.bashrc when stdin is a socket, as node's pipes are.
  const child = spawn("bash", ["--norc", "--noprofile", "-euo", "pipefail", "-c", script], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/**
 * The paths that `pattern` matches, as a shell expands it: `*`, `?`, `[…]` and `{a,b}` within one
 * path segment, `**` for any depth of folders; names starting with a dot only where the pattern's
 * segment does too. Node.js 20, which the CLI supports, has no fs.glob.
 */
export async function globPaths(pattern: string): Promise<string[]> {
  const absolute = pattern.startsWith("/");
  const segments = pattern.split("/").filter((segment) => segment !== "" && segment !== ".");
  const matches: string[] = [];
  await walk(absolute ? "/" : "", segments, matches);
  return matches;
}

const MAGIC = /[*?[{]/;

async function walk(base: string, rest: readonly string[], out: string[]): Promise<void> {
  const [segment, ...after] = rest;
  if (segment === undefined) {
    if (base !== "") out.push(base);
    return;
  }
  if (segment === "**") {
    await walk(base, after, out);
    for (const entry of await entries(base)) {
      if (entry.isDirectory() && !entry.name.startsWith(".")) await walk(join(base, entry.name), rest, out);
    }
    return;
  }
  if (!MAGIC.test(segment)) {
    const path = base === "" ? segment : join(base, segment);
    if (after.length > 0 || (await stat(path).catch(() => undefined)) !== undefined) {
      await walk(path, after, out);
    }
    return;
  }
  const matcher = segmentPattern(segment);
  for (const entry of await entries(base)) {
    if (entry.name.startsWith(".") && !segment.startsWith(".")) continue;
    if (!matcher.test(entry.name) || (after.length > 0 && !entry.isDirectory())) continue;
    await walk(base === "" ? entry.name : join(base, entry.name), after, out);
  }
}

async function entries(folder: string) {
  return readdir(folder === "" ? "." : folder, { withFileTypes: true }).catch(() => []);
}

function segmentPattern(segment: string): RegExp {
  let source = "";
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i]!;
    if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else if (char === "[") {
      const end = segment.indexOf("]", i + 2);
      if (end === -1) {
        source += "\\[";
        continue;
      }
      const body = segment
        .slice(i + 1, end)
        .replace(/^!/, "^")
        .replace(/\\/g, "\\\\");
      source += `[${body}]`;
      i = end;
    } else if (char === "{") {
      const end = segment.indexOf("}", i);
      if (end === -1) {
        source += "\\{";
        continue;
      }
      const options = segment
        .slice(i + 1, end)
        .split(",")
        .map(escapeRegExp);
      source += `(?:${options.join("|")})`;
      i = end;
    } else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

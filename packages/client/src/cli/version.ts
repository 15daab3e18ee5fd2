import { readFileSync } from "node:fs";

/**
 * This package's version, from its own package.json: two folders up from both the source
 * (`src/cli/`) and the build (`lib/cli/`), in the checkout as in node_modules.
 */
export function packageVersion(): string {
  const manifest = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(manifest) as { version: string }).version;
}

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { DOCS } from "./doc-examples.ts";

/**
 * A clone of the repository alone must have everything its README and docs point to: every relative
 * link resolves to a file or folder inside the repository, and every #anchor to a heading there.
 */

const REPO = resolve(DOCS, "..");
const FILES = [
  join(REPO, "README.md"),
  ...readdirSync(DOCS)
    .filter((f) => f.endsWith(".md"))
    .map((f) => join(DOCS, f)),
];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, "")
    .replace(/[^\p{L}\p{N} -]/gu, "")
    .replace(/ /g, "-");
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, "utf8").replace(/^```[\s\S]*?^```/gm, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

/** Markdown links outside code: [text](target). */
function links(file: string): string[] {
  const text = readFileSync(file, "utf8")
    .replace(/^```[\s\S]*?^```/gm, "")
    .replace(/`[^`\n]*`/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

describe("README.md and docs/*.md", () => {
  for (const file of FILES) {
    it(`${relative(REPO, file)} links only to files and headings inside the repository`, () => {
      const broken: string[] = [];
      for (const link of links(file)) {
        if (/^(https?|mailto):/.test(link)) continue;
        const [path, anchor] = link.split("#") as [string, string | undefined];
        const target = path === "" ? file : resolve(dirname(file), path);
        if (relative(REPO, target).startsWith("..") || !existsSync(target)) {
          broken.push(`${link}: no such file in the repository`);
        } else if (anchor !== undefined && statSync(target).isFile() && !anchors(target).has(anchor)) {
          broken.push(`${link}: no heading #${anchor}`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

/**
 * The folder of src/ each file belongs to ("." for node.ts and index.ts), and the folders its
 * run-time imports reach. `import type` and `export type` are erased; `import { type X }` is not
 * (verbatimModuleSyntax keeps the import, so the module is still loaded).
 */
function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  for (const file of files) {
    const from = folderOf(file);
    const text = readFileSync(join(SRC, file), "utf8");
    for (const [statement, , target] of text.matchAll(
      /^(?:import|export)\b([^;]*?)\bfrom\s+"(\.[^"]+)"/gms,
    )) {
      if (/^(?:import|export)\s+type\b/.test(statement!)) continue;
      const to = folderOf(relative(SRC, resolve(dirname(join(SRC, file)), target!)));
      if (to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string>();
      edges.set(to, edges.get(to) ?? file);
      graph.set(from, edges);
    }
  }
  return graph;
}

function folderOf(file: string): string {
  const parts = file.split(sep);
  return parts.length === 1 ? "." : parts[0]!;
}

/** Every cycle through the graph's strongly connected parts, as one path per part with a file per step. */
function cycles(graph: Map<string, Map<string, string>>): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const visit = (node: string, path: string[]): void => {
    const at = path.indexOf(node);
    if (at >= 0) {
      const loop = [...path.slice(at), node];
      found.push(loop.map((f, i) => (i === 0 ? f : `${graph.get(loop[i - 1]!)!.get(f)} → ${f}`)).join(" → "));
      return;
    }
    if (done.has(node)) return;
    for (const next of graph.get(node)?.keys() ?? []) visit(next, [...path, node]);
    done.add(node);
  };
  for (const node of graph.keys()) visit(node, []);
  return found;
}

describe("packages/node/src", () => {
  it("has no run-time import cycle between its folders", () => {
    expect(cycles(folderGraph())).toEqual([]);
  });

  it("the check sees a cycle when there is one", () => {
    const graph = new Map([
      ["a", new Map([["b", "a/x.ts"]])],
      ["b", new Map([["c", "b/y.ts"]])],
      ["c", new Map([["a", "c/z.ts"]])],
    ]);
    expect(cycles(graph)).toEqual(["a → a/x.ts → b → b/y.ts → c → c/z.ts → a"]);
  });
});

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeBlocks, docExamples } from "../../../node/test/e2e/doc-examples.ts";
import { deadEndpoint } from "./servers.ts";
import { type RunningTempelNode, startTempelNode, waitForCertifiedHead } from "./tempel-node.ts";

/**
 * Every TypeScript example of docs/sdk.md, run as an agency's application would run it: each a file
 * of its own in one folder (in file order, so a later one reads what an earlier one wrote), importing
 * @tempel/client by its package name, on the repo's Node against a real node. `file:NAME` examples are
 * modules the others import; `offline` ones run with their endpoints pointing where nothing listens;
 * `prints:TEXT` is what the run's output must contain.
 */

const REPO = join(import.meta.dirname, "../../../..");
const EXAMPLES = docExamples("sdk.md").filter((example) => example.kind === "sdk-test");

let node: RunningTempelNode;
let work: string;
let env: Record<string, string>;
let nowhere: string;

function run(file: string, environment: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [file],
      { cwd: work, env: { PATH: process.env.PATH ?? "", ...environment }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), output: stdout + stderr }),
    );
  });
}

beforeAll(async () => {
  [node, nowhere] = await Promise.all([startTempelNode(), deadEndpoint()]);
  work = mkdtempSync(join(tmpdir(), "tempel-docs-sdk-"));
  writeFileSync(join(work, "package.json"), '{ "type": "module", "private": true }\n');
  mkdirSync(join(work, "node_modules/@tempel"), { recursive: true });
  for (const name of ["client", "proto"]) {
    symlinkSync(join(REPO, "packages", name), join(work, "node_modules/@tempel", name), "dir");
  }
  copyFileSync(node.genesisPath, join(work, "genesis.json"));
  writeFileSync(join(work, "contract.pdf"), randomBytes(4096));
  mkdirSync(join(work, "records"));
  for (const name of ["a.xml", "b.xml", "c.xml"])
    writeFileSync(join(work, "records", name), `<record>${name}</record>`);
  copyFileSync(
    join(REPO, "testdata/ksi-test-pack/valid-signatures/signature-extended.ksig"),
    join(work, "signature-extended.ksig"),
  );
  mkdirSync(join(work, ".tempel"));
  writeFileSync(
    join(work, ".tempel/cluster.json"),
    JSON.stringify({
      genesis: "../genesis.json",
      nodes: [
        {
          id: "the node",
          pid: 1,
          api: node.url,
          ksi: { aggregator: `${node.url}/ksi/aggregator`, extender: `${node.url}/ksi/extender` },
          metrics: `${node.url}/metrics`,
        },
      ],
      agency: node.agency,
      publications: null,
    }),
  );
  env = { TEMPEL_ENDPOINTS: node.url, TEMPEL_LOGIN: node.agency.loginId, TEMPEL_KEY: node.agency.key };
  await waitForCertifiedHead(node.url);
});

afterAll(async () => {
  await node?.stop();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe("docs/sdk.md", () => {
  it("marks every TypeScript example for this test", () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(8);
    expect(EXAMPLES.length).toBe(codeBlocks("sdk.md", "ts").length);
  });

  for (const example of EXAMPLES) {
    const module = /^file:(\S+)$/.exec(example.expect)?.[1];
    const prints = /prints:(.*)$/.exec(example.expect)?.[1];
    const offline = example.expect.startsWith("offline");
    const what =
      module !== undefined ? `is the module ${module}` : `prints "${prints}"${offline ? " offline" : ""}`;
    it(`the example at line ${example.line} ${what}`, async () => {
      if (module !== undefined) {
        writeFileSync(join(work, module), example.code);
        return;
      }
      const file = `example-${example.line}.ts`;
      writeFileSync(join(work, file), example.code);
      const outcome = await run(file, offline ? { ...env, TEMPEL_ENDPOINTS: nowhere } : env);
      expect(outcome.code, outcome.output).toBe(0);
      expect(outcome.output).toContain(prints);
    });
  }
});

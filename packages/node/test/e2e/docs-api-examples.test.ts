import { type ChildProcess, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeSignature, encodeAggregationRequestPdu, encodeExtendRequestPdu } from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeBlocks, docExamples, runShell } from "./doc-examples.ts";
import { exited, randomImprint, spawnNode, waitFor } from "./node-fixtures.ts";
import { initPublishingNodeDir } from "./publication-harness.ts";

/**
 * Every curl example of docs/api.md, run with real curl against a real node: each must exit 0 and get
 * the status and answer its `<!-- curl-test … -->` comment names. The examples run in file order in
 * one folder, so a later one may read a file an earlier one wrote (as a reader would).
 */

const EXAMPLES = docExamples("api.md").filter((example) => example.kind === "curl-test");
/** What the examples run besides bash and coreutils (.ci/run installs them). */
const TOOLS = ["curl", "jq", "openssl"];
const MISSING = TOOLS.filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);

let dir: string;
let work: string;
let node: ChildProcess;
let env: Record<string, string>;

/** The last HTTP answer in curl's output (`-i` or `-D -`): status, headers, body. */
function lastAnswer(stdout: string): { status: number; headers: Map<string, string>; body: string } {
  const starts = [...stdout.matchAll(/^HTTP\/1\.1 (\d{3})[^\n]*\r?\n/gm)];
  const last = starts.at(-1);
  if (last === undefined) throw new Error(`no HTTP answer in curl's output:\n${stdout}`);
  const rest = stdout.slice(last.index + last[0].length);
  const end = rest.search(/\r?\n\r?\n/);
  const head = end === -1 ? rest : rest.slice(0, end);
  const headers = new Map(
    head
      .split(/\r?\n/)
      .filter((line) => line.includes(":"))
      .map((line) => {
        const at = line.indexOf(":");
        return [line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()] as const;
      }),
  );
  return {
    status: Number(last[1]),
    headers,
    body: end === -1 ? "" : rest.slice(end).replace(/^\r?\n\r?\n/, ""),
  };
}

/** Checks one example's outcome against its comment: `STATUS [json:k1,k2 | error:CODE | type:T | text:S]` or `file:NAME`. */
function check(expectation: string, stdout: string): void {
  const [first, what] = expectation.split(" ");
  if (first!.startsWith("file:")) {
    const signature = decodeSignature(new Uint8Array(readFileSync(join(work, first!.slice(5)))));
    expect(signature.aggregationChains[0]!.aggregationTime).toBeGreaterThan(0);
    return;
  }
  const answer = lastAnswer(stdout);
  expect(answer.status, answer.body).toBe(Number(first));
  if (what === undefined) return;
  const at = what.indexOf(":");
  const [kind, arg] = [what.slice(0, at), what.slice(at + 1)];
  switch (kind) {
    case "json": {
      const body = JSON.parse(answer.body) as Record<string, unknown>;
      for (const key of arg.split(",")) expect(body, `field ${key}`).toHaveProperty(key);
      break;
    }
    case "error":
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: arg, message: expect.any(String) } });
      break;
    case "type":
      expect(answer.headers.get("content-type")).toBe(arg);
      break;
    case "text":
      expect(answer.body).toContain(arg);
      break;
    default:
      throw new Error(`unknown expectation ${what}`);
  }
}

describe.skipIf(MISSING.length > 0)(`docs/api.md (needs ${TOOLS.join(", ")})`, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tempel-docs-api-"));
    work = mkdtempSync(join(tmpdir(), "tempel-docs-api-work-"));
    // A node that publishes every 5 s, so that the publications examples have a file to show.
    const { init } = await initPublishingNodeDir(join(dir, "node"), { intervalSeconds: 5 });
    const started = await spawnNode(init.paths.config, ["--metrics-process-metrics", "false"]);
    node = started.child;
    const base = `http://127.0.0.1:${started.port}`;
    let certified = 0;
    await waitFor(
      "the node certified a second",
      async () => {
        const head = (await (await fetch(`${base}/v1/calendar/head`)).json()) as {
          certified?: { time: number };
        };
        certified = head.certified?.time ?? 0;
        return certified > 0;
      },
      30_000,
    );
    await waitFor("the node published", async () => (await fetch(`${base}/v1/publications`)).ok, 60_000);
    const key = new TextEncoder().encode(init.agency.key);
    const header = { loginId: init.agency.loginId };
    // What a KSI client would send; the examples post these files.
    writeFileSync(
      join(work, "request.ksi"),
      encodeAggregationRequestPdu(
        { header, requests: [{ requestId: 1n, requestHash: randomImprint() }] },
        key,
      ),
    );
    writeFileSync(
      join(work, "extend-request.ksi"),
      encodeExtendRequestPdu({ header, requests: [{ requestId: 1n, aggregationTime: certified }] }, key),
    );
    env = { NODE: base, LOGIN_ID: init.agency.loginId, KEY: init.agency.key };
  });

  afterAll(async () => {
    if (node !== undefined) {
      node.kill("SIGTERM");
      await exited(node);
    }
    rmSync(dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it("marks every curl example for this test", () => {
    const curlBlocks = codeBlocks("api.md", "sh").filter((code) => code.includes("curl"));
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(20);
    expect(EXAMPLES.length).toBe(curlBlocks.length);
  });

  for (const example of EXAMPLES) {
    const request = [...example.code.matchAll(/"\$NODE([^"?]*)/g)].at(-1)?.[1] ?? "";
    it(`the example at line ${example.line} (${request}) answers ${example.expect}`, async () => {
      const run = await runShell(example.code, work, env);
      expect(run.code, `${run.stderr}\n${run.stdout}`).toBe(0);
      check(example.expect, run.stdout);
    });
  }
});

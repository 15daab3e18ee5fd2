import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Imprint } from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeRequest, randomImprints, type Service } from "../../../../scripts/common/load/protocols.ts";
import { ResponseChecker } from "../../../../scripts/common/load/response-checker.ts";
import type { LoadResult } from "../../../../scripts/common/load/run-load.ts";
import { SignatureVerifier } from "../../../../scripts/common/load/signature-verifier.ts";
import { LocalCluster, START_TIMEOUT_MS } from "../../../../scripts/common/local-cluster.ts";
import { freeBasePort, SCRIPTS } from "./scripts-fixtures.ts";

const execFileAsync = promisify(execFile);
/** Key generation, genesis and the node's start: slow on a busy 2-core machine. */
const SETUP_TIMEOUT_MS = 180_000;

let root: string;
let cluster: LocalCluster;
let service: Service;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "tempel-load-script-"));
  cluster = await LocalCluster.prepare({
    dataDir: join(root, "data"),
    nodes: 1,
    basePort: await freeBasePort(1),
    fresh: true,
  });
  await cluster.start();
  await cluster.waitReady(START_TIMEOUT_MS);
  service = { protocol: "json", agency: cluster.setup.agency };
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function load(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [join(SCRIPTS, "load.ts"), ...args], {
      encoding: "utf8",
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

/** A JSON sign answer for `count` fresh hashes, as the node sent it. */
async function signedAnswer(count: number): Promise<{ body: Uint8Array; imprints: Imprint[] }> {
  const { imprints } = randomImprints(count);
  const { body, headers } = encodeRequest(service, imprints, 1n);
  const response = await fetch(`${cluster.nodes[0]!.apiUrl}/v1/sign`, {
    method: "POST",
    body: new Uint8Array(body),
    headers,
  });
  expect(response.status).toBe(200);
  return { body: new Uint8Array(await response.arrayBuffer()), imprints };
}

function rewritten(body: Uint8Array, edit: (signatures: string[]) => unknown[]): Uint8Array {
  const json = JSON.parse(new TextDecoder().decode(body)) as { signatures: string[] };
  return new TextEncoder().encode(JSON.stringify({ ...json, signatures: edit(json.signatures) }));
}

const checker = (fraction: number) =>
  new ResponseChecker(service, new SignatureVerifier("internal", nodeHasher), fraction);

describe("npm run load --verify-fraction", () => {
  it("verifies the given share of the signatures in full and checks the rest cheaply", async () => {
    const out = join(root, "json-load.json");
    const run = await load([
      "--cluster",
      cluster.clusterFile,
      "--json-api",
      "--rate",
      "400",
      "--batch",
      "100",
      "--duration",
      "3",
      "--verify-fraction",
      "0.1",
      "--out",
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, "utf8")) as LoadResult;
    expect(result.hashes.answered).toBe(1200);
    expect(result.verification.verifyFraction).toBe(0.1);
    expect(result.verification.verdicts).toEqual({ OK: 120 });
    expect(result.verification.cheaplyChecked).toBe(1080);
    expect(run.stdout).toContain("verified  120 signatures (10% of them) with the internal policy: OK 120");
    expect(run.stdout).toContain("checked   1,080 more cheaply only");
  });

  it("verifies every KSI signature by default", async () => {
    const out = join(root, "ksi-load.json");
    const run = await load([
      "--cluster",
      cluster.clusterFile,
      "--rate",
      "64",
      "--duration",
      "2",
      "--out",
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, "utf8")) as LoadResult;
    expect(result.verification.verifyFraction).toBe(1);
    expect(result.verification.verdicts).toEqual({ OK: 128 });
    expect(result.verification.cheaplyChecked).toBe(0);
  });

  it("refuses a share outside (0, 1] and documents the flag", async () => {
    for (const bad of ["0", "1.5", "-0.1", "5%", ""]) {
      const run = await load(["--cluster", cluster.clusterFile, `--verify-fraction=${bad}`]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("--verify-fraction must be a decimal above 0 and at most 1");
    }
    expect((await load(["--help"])).stdout).toContain("--verify-fraction F");
  });
});

describe("the load generator's cheap checks", () => {
  it("accept a correct answer and verify the evenly picked share in full", async () => {
    const { body, imprints } = await signedAnswer(8);
    const checked = await checker(0.25).check(body, imprints, 1n);
    expect(checked.outcome).toBe("ok");
    expect(checked.verdicts).toEqual({ OK: 2 });
    expect(checked.cheaplyChecked).toBe(6);
    expect(checked.seconds).toHaveLength(1);
  });

  it("find signatures for other hashes among those not verified in full", async () => {
    const { body, imprints } = await signedAnswer(8);
    const swapped = rewritten(body, ([a, b, ...rest]) => [b, a, ...rest]);
    // One in a hundred: the first pick is the hundredth signature, so all eight get only the cheap checks.
    const checked = await checker(0.01).check(swapped, imprints, 1n);
    expect(checked.verdicts).toEqual({ wrong_input: 2 });
    expect(checked.cheaplyChecked).toBe(6);
  });

  it("fail an answer with a malformed signature, a missing one or one that is not a signature", async () => {
    const { body, imprints } = await signedAnswer(4);
    const truncated = rewritten(body, (s) => [s[0]!.slice(0, 40), ...s.slice(1)]);
    expect((await checker(0.01).check(truncated, imprints, 1n)).outcome).toBe("bad_signature");
    const notSignature = rewritten(body, (s) => [
      Buffer.from([0x08, 0x01, 0x00]).toString("base64"),
      ...s.slice(1),
    ]);
    expect((await checker(0.01).check(notSignature, imprints, 1n)).outcome).toBe("bad_signature");
    const short = rewritten(body, (s) => s.slice(1));
    expect((await checker(0.01).check(short, imprints, 1n)).outcome).toBe("bad_response");
  });
});

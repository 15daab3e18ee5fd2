import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TempelClient } from "../../src/index.ts";
import { tempel, writeClusterFile } from "./cli-process.ts";
import { publicationsAuthority, publicationsFile, servePublications } from "./publications-fixture.ts";
import { deadEndpoint } from "./servers.ts";
import { type RunningTempelNode, startTempelNode, waitForCertifiedHead } from "./tempel-node.ts";

let node: RunningTempelNode;
/** A folder with .tempel/cluster.json describing the node, as `npm start` leaves it. */
let project: string;
let clusterFile: string;
/** A folder with no cluster description above it. */
let elsewhere: string;

beforeAll(async () => {
  node = await startTempelNode();
  project = await mkdtemp(join(tmpdir(), "tempel-verify-"));
  elsewhere = await mkdtemp(join(tmpdir(), "tempel-verify-bare-"));
  clusterFile = await writeClusterFile(project, node);
  await waitForCertifiedHead(node.url);
  await writeFile(join(project, "report.txt"), "quarterly report\n");
  expect(await tempel(project, ["sign", "report.txt"])).toMatchObject({ code: 0 });
  await copyFile(join(project, "report.txt"), join(elsewhere, "report.txt"));
  await copyFile(join(project, "report.txt.ksig"), join(elsewhere, "report.txt.ksig"));
});

afterAll(async () => {
  await node?.stop();
  await Promise.all([project, elsewhere].map((dir) => dir && rm(dir, { recursive: true, force: true })));
});

function verdict(stdout: string): { result: string; code: string | null; rule?: string } {
  return JSON.parse(stdout) as { result: string; code: string | null; rule?: string };
}

describe("tempel verify with the cluster description", () => {
  it("accepts a fresh signature by its quorum certificate under the default policy (exit 0)", async () => {
    const run = await tempel(project, ["verify", "report.txt", "--json"]);
    expect(run).toMatchObject({ code: 0 });
    expect(verdict(run.stdout)).toMatchObject({ result: "OK", policy: "default" });
    expect((await tempel(project, ["verify", "report.txt", "--policy", "key"])).code).toBe(0);
  });

  it("fails the signature for a tampered document (exit 1)", async () => {
    const tampered = await mkdtemp(join(tmpdir(), "tempel-verify-tampered-"));
    try {
      await writeClusterFile(tampered, node);
      await writeFile(join(tampered, "report.txt"), "quarterly report, revised\n");
      await copyFile(join(project, "report.txt.ksig"), join(tampered, "report.txt.ksig"));
      const run = await tempel(tampered, ["verify", "report.txt", "--json"]);
      expect(run).toMatchObject({ code: 1 });
      expect(verdict(run.stdout)).toMatchObject({ result: "FAIL", code: "GEN-01" });
    } finally {
      await rm(tampered, { recursive: true, force: true });
    }
  });

  it("stays inconclusive without a cluster, and takes one named by --config or --endpoint", async () => {
    const bare = await tempel(elsewhere, ["verify", "report.txt", "--json"]);
    expect(bare).toMatchObject({ code: 4 });
    expect(verdict(bare.stdout)).toMatchObject({ result: "NA", code: "GEN-02" });
    expect((await tempel(elsewhere, ["verify", "report.txt", "--config", clusterFile])).code).toBe(0);
    // Endpoints alone name no genesis, so no members to check the quorum certificate with.
    expect((await tempel(elsewhere, ["verify", "report.txt", "--endpoint", node.url])).code).toBe(4);
  });

  it("verifies against the cluster's calendar with --policy calendar (exit 0)", async () => {
    const run = await tempel(project, ["verify", "report.txt", "--policy", "calendar", "--json"]);
    expect(run).toMatchObject({ code: 0 });
    expect(verdict(run.stdout)).toMatchObject({ result: "OK", policy: "calendar" });
  });

  it("takes the publications file the cluster description names when none is given", async () => {
    const authority = await publicationsAuthority();
    let published: Uint8Array = new Uint8Array(0);
    const server = await servePublications(() => published);
    const served = `${server.url}/publications.bin`;
    const folder = await mkdtemp(join(tmpdir(), "tempel-verify-publications-"));
    try {
      // A root certified after the signature: the publication it is extended to.
      const signedBefore = Math.floor(Date.now() / 1000);
      const sdk = new TempelClient({ endpoints: [node.url] });
      let certified = (await sdk.head()).certified;
      while (certified === undefined || certified.time <= signedBefore) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        certified = (await sdk.head()).certified;
      }
      published = await publicationsFile(authority, [
        { publicationTime: certified.time, publishedHash: certified.root },
      ]);
      const description = await writeClusterFile(folder, node);
      const cluster = JSON.parse(await readFile(description, "utf8")) as Record<string, unknown>;
      await writeFile(description, JSON.stringify({ ...cluster, publications: served }));
      await writeFile(join(folder, "ca.der"), authority.ca.der);
      await copyFile(join(project, "report.txt"), join(folder, "report.txt"));
      await copyFile(join(project, "report.txt.ksig"), join(folder, "report.txt.ksig"));
      const args = ["report.txt", "--policy", "publication", "--trust-anchor", "ca.der", "--json"];
      const run = await tempel(folder, ["verify", ...args]);
      expect(run).toMatchObject({ code: 0 });
      expect(verdict(run.stdout)).toMatchObject({ result: "OK", policy: "publication" });
      const extended = await tempel(folder, [
        "extend",
        "report.txt.ksig",
        "--to",
        "publication",
        "--trust-anchor",
        "ca.der",
        "--output",
        "extended.ksig",
      ]);
      expect(extended).toMatchObject({ code: 0 });
      // Without the description's URL, the file is looked for where the node serves it: it has none.
      await writeFile(description, JSON.stringify(cluster));
      const unnamed = await tempel(folder, ["verify", ...args]);
      expect(unnamed).toMatchObject({
        code: 4,
        stderr: expect.stringContaining("nodes (/v1/publications): nothing is published yet"),
      });
    } finally {
      await server.close();
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("says what to do when the calendar policy needs an unreachable cluster (exit 3)", async () => {
    const env = { TEMPEL_LOGIN: node.agency.loginId, TEMPEL_KEY: node.agency.key };
    const args = ["verify", "report.txt", "--policy", "calendar", "--endpoint", await deadEndpoint()];
    const run = await tempel(elsewhere, args, { env });
    expect(run).toMatchObject({ code: 3 });
    expect(run.stderr).toContain("start the cluster (npm start)");
  });
});

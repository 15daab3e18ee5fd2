import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { setDefaultHasher } from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClusterDescription, readClusterFile } from "../../../../scripts/common/cluster-file.ts";
import { multiNodeUnsupported } from "../../../../scripts/common/cluster-setup.ts";
import { calendarHead, calendarRootAt } from "../../../../scripts/common/node-api.ts";
import { REPO_ROOT } from "../../../../scripts/common/paths.ts";
import { loadGenesis } from "../../src/genesis/genesis.ts";
import { AUTHORITY_FILES } from "../../src/publication/authority.ts";
import { randomImprint, TestClient, waitFor } from "./node-fixtures.ts";
import { freeBasePort, pidAlive, type ScriptRun, startScript } from "./scripts-fixtures.ts";

const execFileAsync = promisify(execFile);
const CLIENT_CLI = join(REPO_ROOT, "packages/client/src/cli/main.ts");
const BANNER_END = "Ctrl-C stops all nodes.";
/** Three nodes as `npm start` runs them when this checkout can build a multi-node genesis, else one. */
const NODES = multiNodeUnsupported() === undefined ? 3 : 1;
/** Key generation for every node, then their start: slow on a busy 2-core machine. */
const SETUP_TIMEOUT_MS = 180_000;

let root: string;
let dataDir: string;
let basePort: number;
let run: ScriptRun;
let cluster: ClusterDescription;

beforeAll(async () => {
  setDefaultHasher(nodeHasher);
  root = mkdtempSync(join(tmpdir(), "tempel-cluster-script-"));
  // Named .tempel so that `tempel` finds the cluster from `root`, as from the repository after `npm start`.
  dataDir = join(root, ".tempel");
  basePort = await freeBasePort(NODES);
  run = await startScript(
    "cluster",
    ["--nodes", String(NODES), "--base-port", String(basePort), "--data", dataDir],
    BANNER_END,
    root,
  );
  cluster = readClusterFile(join(dataDir, "cluster.json"));
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (run !== undefined && run.child.exitCode === null) {
    run.child.kill("SIGINT");
    await run.exited;
  }
  rmSync(root, { recursive: true, force: true });
});

/** Ctrl-C as a terminal sends it, to the script only (the nodes run in their own process groups). */
async function interrupt(script: ScriptRun): Promise<number | null> {
  script.child.kill("SIGINT");
  return script.exited;
}

describe(`npm run cluster (${NODES} node${NODES > 1 ? "s" : ""})`, () => {
  it("runs each node as its own process and describes them in cluster.json", async () => {
    expect(cluster.nodes).toHaveLength(NODES);
    expect(existsSync(cluster.genesis)).toBe(true);
    expect(new Set(cluster.nodes.map((node) => node.pid)).size).toBe(NODES);
    expect(cluster.nodes.every((node) => node.pid !== run.child.pid && pidAlive(node.pid))).toBe(true);
    cluster.nodes.forEach((node, i) => {
      expect(node.api).toBe(`http://127.0.0.1:${basePort + i}`);
      expect(node.ksi).toEqual({
        aggregator: `${node.api}/ksi/aggregator`,
        extender: `${node.api}/ksi/extender`,
      });
    });
    for (const node of cluster.nodes) {
      expect((await fetch(node.metrics)).status).toBe(200);
      expect((await fetch(`${node.api}/readyz`)).status).toBe(200);
    }
    expect(run.output()).toContain(`login id "${cluster.agency.loginId}", HMAC key "${cluster.agency.key}"`);
  });

  it("names a publications authority publishing every five minutes, whose key only node-1 holds", async () => {
    const { publications } = loadGenesis(cluster.genesis);
    expect(publications.schedule).toEqual({ intervalSeconds: 300 });
    expect(publications.authority).toBeDefined();
    const holdsKey = cluster.nodes.map((_, i) =>
      existsSync(join(dataDir, `node-${i + 1}`, AUTHORITY_FILES.key)),
    );
    expect(holdsKey).toEqual(cluster.nodes.map((_, i) => i === 0));
    const publisherFile = `${cluster.nodes[0]!.api}/v1/publications`;
    expect(cluster.publications).toBe(publisherFile);
    expect(run.output()).toContain(`Publications: ${publisherFile}`);
    for (const node of cluster.nodes) {
      // Served once the first five-minute mark has passed; "not published yet" before it.
      const response = await fetch(`${node.api}/v1/publications`);
      if (response.status !== 200) {
        expect(response.status).toBe(404);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe("NOT_PUBLISHED");
      }
    }
  });

  it("signs for the demo agency on every node; the signatures verify internally and against the calendar", async () => {
    for (const node of cluster.nodes) {
      const client = new TestClient(Number(new URL(node.api).port), cluster.agency);
      const [signature] = await client.signPdu([randomImprint()]);
      const { internal, calendar } = await client.verify(signature!);
      expect(internal.result).toBe("OK");
      expect(calendar.result).toBe("OK");
    }
  });

  it("the banner's sign command makes a signature that `tempel verify` accepts", async () => {
    const command = /Sign a file: (npx tempel sign README\.md.*)$/m.exec(run.output())?.[1];
    expect(command).toBe("npx tempel sign README.md");
    writeFileSync(join(root, "README.md"), "a record worth keeping\n");
    // `npx tempel` is the repository's client CLI; outside the repository npx would look elsewhere.
    // Run without blocking this process: its HTTP keep-alive sockets to the nodes must stay serviced.
    const tempel = (...args: string[]) =>
      execFileAsync(process.execPath, [CLIENT_CLI, ...args], {
        cwd: root,
        encoding: "utf8",
        timeout: 60_000,
      });
    await tempel("sign", "README.md");
    expect(existsSync(join(root, "README.md.ksig"))).toBe(true);
    // The default policy: with no publication yet, the quorum certificate checked against the genesis
    // that cluster.json names. A failed verification rejects (non-zero exit).
    const verified = await tempel("verify", "README.md");
    expect(verified.stdout).toMatch(/OK/);
  });

  it("stops every node on Ctrl-C, removes cluster.json, and a restart keeps the calendar", async () => {
    const api = cluster.nodes[0]!.api;
    const before = await calendarHead(api, 5_000);
    const rootBefore = await calendarRootAt(api, before.time!, 5_000);

    expect(await interrupt(run)).toBe(0);
    expect(run.output()).toContain("stopped");
    expect(cluster.nodes.some((node) => pidAlive(node.pid))).toBe(false);
    expect(existsSync(join(dataDir, "cluster.json"))).toBe(false);

    run = await startScript("cluster", ["--data", dataDir], BANNER_END, root);
    const again = readClusterFile(join(dataDir, "cluster.json"));
    expect(again.nodes.map((node) => node.id)).toEqual(cluster.nodes.map((node) => node.id));
    expect(await calendarRootAt(api, before.time!, 5_000)).toBe(rootBefore);
    // The restarted cluster elects a leader before its first new round: the head moves on, not at once.
    await waitFor(
      "a round after the restart",
      async () => (await calendarHead(api, 5_000)).time! > before.time!,
      30_000,
    );
    expect(await interrupt(run)).toBe(0);
    expect(again.nodes.some((node) => pidAlive(node.pid))).toBe(false);
  });
});

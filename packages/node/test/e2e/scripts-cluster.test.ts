import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { readTimeStampResponse, readTimeStampToken } from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClusterDescription, readClusterFile } from "../../../../scripts/common/cluster-file.ts";
import { multiNodeUnsupported } from "../../../../scripts/common/cluster-setup.ts";
import { answersAs } from "../../../../scripts/common/local-cluster.ts";
import { ManagedProcess } from "../../../../scripts/common/managed-process.ts";
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

/** How soon after its last node is gone the script must have returned. */
const EXIT_AFTER_NODES_MS = 2_000;

/**
 * Ctrl-C as a terminal sends it, to the script only (the nodes run in their own process groups).
 * Resolves with the exit code and how long the script outlived the last of `pids`.
 */
async function interrupt(
  script: ScriptRun,
  pids: readonly number[],
): Promise<{ code: number | null; lingeredMs: number }> {
  script.child.kill("SIGINT");
  const exited = script.exited.then((code) => ({ code, at: Date.now() }));
  await waitFor("the nodes are gone", () => !pids.some(pidAlive), 60_000);
  const nodesGoneAt = Date.now();
  const { code, at } = await exited;
  return { code, lingeredMs: Math.max(0, at - nodesGoneAt) };
}

/** A server that holds `port` on 127.0.0.1 and answers nothing, as another program would. */
function holdPort(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/** `scripts/cluster.ts ARGS` to its end: exit code, output, and how long it ran. */
function runCluster(args: readonly string[]): Promise<{ code: number; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO_ROOT, "scripts/cluster.ts"), ...args], (error, stdout, stderr) =>
      resolve({
        code: error === null ? 0 : Number(error.code),
        output: stdout + stderr,
        ms: Date.now() - started,
      }),
    );
  });
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

  it.skipIf(spawnSync("openssl", ["version"]).status !== 0)(
    "makes every node an RFC 3161 TSA whose tokens openssl verifies against cluster.json's tsaCaFile, serials distinct across nodes",
    async () => {
      const query = join(root, "tsa.tsq");
      writeFileSync(join(root, "tsa.txt"), "time-stamped by the cluster\n");
      await execFileAsync("openssl", [
        "ts",
        "-query",
        "-data",
        join(root, "tsa.txt"),
        "-cert",
        "-out",
        query,
      ]);
      const serials = new Set<bigint>();
      for (const [i, node] of cluster.nodes.entries()) {
        const response = await fetch(node.tsa, {
          method: "POST",
          body: readFileSync(query),
          headers: { "content-type": "application/timestamp-query" },
        });
        const reply = new Uint8Array(await response.arrayBuffer());
        const replyFile = join(root, `tsa-${i}.tsr`);
        writeFileSync(replyFile, reply);
        const { stdout } = await execFileAsync("openssl", [
          "ts",
          "-verify",
          "-queryfile",
          query,
          "-in",
          replyFile,
          "-CAfile",
          cluster.tsaCaFile,
        ]);
        expect(stdout).toContain("Verification: OK");
        serials.add(readTimeStampToken(readTimeStampResponse(reply).token!).tstInfo.serialNumber);
      }
      expect(serials.size).toBe(cluster.nodes.length);
    },
  );

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

  it("refuses to set up a second cluster on the ports this one holds, naming the port, before making keys", async () => {
    const other = join(root, "other");
    const refused = await runCluster(["--nodes", "1", "--base-port", String(basePort), "--data", other]);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(`${basePort} (node-1's HTTP API)`);
    expect(refused.output).toContain(`${basePort + 1000} (node-1's libp2p)`);
    expect(refused.output).not.toMatch(/is up/);
    expect(existsSync(other) ? readdirSync(other) : []).toEqual([]);
  });

  it("refuses to start a set-up cluster whose port another process holds, naming it", async () => {
    const other = join(root, "held");
    const port = await freeBasePort(1);
    // Set up and stopped at once: a cluster that ran before, whose port someone has taken since.
    const setUp = await startScript(
      "cluster",
      ["--nodes", "1", "--base-port", String(port), "--data", other],
      BANNER_END,
    );
    expect(
      (
        await interrupt(
          setUp,
          readClusterFile(join(other, "cluster.json")).nodes.map((n) => n.pid),
        )
      ).code,
    ).toBe(0);
    const holder = await holdPort(port);
    try {
      const refused = await runCluster(["--data", other]);
      expect(refused.code).toBe(1);
      expect(refused.output).toContain(`port ${port} (node-1's HTTP API) is taken by another process`);
      expect(refused.output).not.toMatch(/is up/);
      expect(existsSync(join(other, "cluster.json"))).toBe(false);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it("does not take another cluster's node answering on a node's port for the node it started", async () => {
    // The port was free when checked and another node took it before this one answered.
    const other = cluster.nodes[0]!;
    const logFile = join(root, "stranger.log");
    const started = new ManagedProcess(
      "node-9",
      logFile,
      `${other.api}/v1/status`,
      answersAs(other.api, "12D3KooWnotTheNodeThatAnswers"),
    );
    await expect(
      started.start(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"], 20_000),
    ).rejects.toMatchObject({
      code: "NOT_THIS_PROCESS",
      message: expect.stringContaining(`peer id ${other.id}, not 12D3KooWnotTheNodeThatAnswers`),
    });
    expect(started.running).toBe(false);
  });

  it("stops every node on Ctrl-C, removes cluster.json, and a restart keeps the calendar", async () => {
    const api = cluster.nodes[0]!.api;
    const before = await calendarHead(api, 5_000);
    const rootBefore = await calendarRootAt(api, before.time!, 5_000);

    const first = await interrupt(
      run,
      cluster.nodes.map((node) => node.pid),
    );
    expect(first.code).toBe(0);
    expect(first.lingeredMs).toBeLessThan(EXIT_AFTER_NODES_MS);
    expect(run.output()).toContain("stopped");
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
    const second = await interrupt(
      run,
      again.nodes.map((node) => node.pid),
    );
    expect(second.code).toBe(0);
    expect(second.lingeredMs).toBeLessThan(EXIT_AFTER_NODES_MS);
    console.log(
      `after Ctrl-C the script returned ${first.lingeredMs} / ${second.lingeredMs} ms after its last node was gone`,
    );
  });

  it("once the cluster is stopped, `tempel verify` still checks the quorum certificate offline, through the kept trust.json", async () => {
    expect(run.child.exitCode).not.toBeNull();
    expect(existsSync(join(dataDir, "cluster.json"))).toBe(false);
    const verified = await execFileAsync(process.execPath, [CLIENT_CLI, "verify", "README.md"], {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(verified.stdout).toMatch(/^OK/);
    expect(verified.stdout).toMatch(
      new RegExp(`quorum certificate .*: \\d of ${NODES} members \\(quorum ${Math.floor(NODES / 2) + 1}\\)`),
    );
  });
});

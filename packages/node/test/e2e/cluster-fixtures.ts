import type { ChildProcess } from "node:child_process";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import {
  encodeCalendarAuthRecord,
  encodeCalendarChain,
  encodeQuorumCertificate,
  encodeTlv,
  type Imprint,
  internalPolicy,
  type KsiSignature,
  keyPolicy,
  type QuorumTrust,
  toHex,
  type VerificationResult,
  verifySignature,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { afterEach } from "vitest";
import { type Genesis, loadGenesis } from "../../src/genesis/genesis.ts";
import { type InitResult, initDataDir } from "../../src/genesis/index.ts";
import {
  exited,
  inParallel,
  MAIN,
  randomImprint,
  sleep,
  spawnNode,
  TestClient,
  waitFor,
} from "./node-fixtures.ts";

/**
 * A cluster of real `tempel-node` processes on loopback, set up as an operator does: `init` per
 * member, then `tempel-node genesis` over the members' folders, then `start --genesis-file` each.
 */

/** `tempel-node ARGS` to its end: exit code and output. */
export function runCli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

/** Ports the OS hands out now; closed again before the nodes bind them. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** The parts of /v1/status the tests read. */
interface NodeStatus {
  readonly node: { readonly ready: boolean };
  readonly agreement: { readonly leaderId?: string };
}

/** The part of /v1/calendar/head the tests read: the newest certified second. */
interface CalendarHead {
  readonly certified?: { readonly time: number };
}

export class ClusterMember {
  readonly index: number;
  readonly init: InitResult;
  readonly port: number;
  readonly client: TestClient;
  readonly #genesisFile: string;
  #child: ChildProcess | undefined;
  #lines: string[] = [];
  /** Log lines of this member's earlier runs, for failure reports. */
  readonly #log: string[] = [];

  constructor(index: number, init: InitResult, port: number, genesisFile: string) {
    this.index = index;
    this.init = init;
    this.port = port;
    this.#genesisFile = genesisFile;
    this.client = new TestClient(port, init.agency);
  }

  get id(): string {
    return this.init.nodeId;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts the member's process; `settings` are further command-line settings (e.g. a clock offset). */
  async start(settings: readonly string[] = []): Promise<void> {
    this.#collectLog();
    const { child, lines } = await spawnNode(this.init.paths.config, [
      "--genesis-file",
      this.#genesisFile,
      "--metrics-process-metrics",
      "false",
      "--admin-enabled",
      "true",
      ...settings,
    ]);
    this.#child = child;
    this.#lines = lines;
  }

  /** kill -9: no shutdown, the store as the moment left it. */
  async crash(): Promise<void> {
    const child = this.#running();
    child.kill("SIGKILL");
    await exited(child);
  }

  /** SIGSTOP: the process keeps its connections but answers nothing, as if cut off. */
  pause(): void {
    this.#running().kill("SIGSTOP");
  }

  resume(): void {
    this.#running().kill("SIGCONT");
  }

  /** Cuts this member off from `peers` at the libp2p level through its admin endpoint; none heals. */
  async block(peers: readonly ClusterMember[]): Promise<void> {
    const url = `${this.client.base}/admin/partition`;
    const signal = AbortSignal.timeout(5_000);
    const response =
      peers.length === 0
        ? await fetch(url, { method: "DELETE", signal })
        : await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ blocked: peers.map((peer) => peer.id) }),
            signal,
          });
    if (response.status !== 200)
      throw new Error(`partition of member ${this.index}: HTTP ${response.status}`);
  }

  /** SIGTERM; resolves with the exit code. */
  async stop(): Promise<number | null> {
    const child = this.#running();
    child.kill("SIGTERM");
    return exited(child);
  }

  async status(): Promise<NodeStatus> {
    return (await this.#getJson("/v1/status")) as NodeStatus;
  }

  async head(): Promise<CalendarHead> {
    return (await this.#getJson("/v1/calendar/head")) as CalendarHead;
  }

  /** The calendar root at second `time`, hex. */
  async rootAt(time: number): Promise<string> {
    return ((await this.#getJson(`/v1/calendar/chain?from=${time}&to=${time}`)) as { root: string }).root;
  }

  /** This run's log and every earlier one's. */
  logLines(): string[] {
    return [...this.#log, ...this.#lines];
  }

  #collectLog(): void {
    this.#log.push(...this.#lines);
    this.#lines = [];
  }

  #running(): ChildProcess {
    if (this.#child === undefined || !this.running) throw new Error(`member ${this.index} is not running`);
    return this.#child;
  }

  async #getJson(path: string): Promise<unknown> {
    const response = await fetch(this.client.base + path, { signal: AbortSignal.timeout(5_000) });
    if (response.status !== 200) throw new Error(`${path} on member ${this.index}: HTTP ${response.status}`);
    return response.json();
  }
}

export class TestCluster {
  readonly genesisFile: string;
  readonly genesis: Genesis;
  readonly members: readonly ClusterMember[];

  private constructor(genesisFile: string, members: readonly ClusterMember[]) {
    this.genesisFile = genesisFile;
    this.genesis = loadGenesis(genesisFile);
    this.members = members;
  }

  /** `size` members in `dir`, each with its own agency, joined by `tempel-node genesis`. */
  static async create(dir: string, size: number): Promise<TestCluster> {
    const ports = await freePorts(2 * size);
    const now = Math.floor(Date.now() / 1000);
    const folders = Array.from({ length: size }, (_, i) => join(dir, `node-${i + 1}`));
    const inits = await Promise.all(
      folders.map((folder, i) =>
        initDataDir({
          dataDir: folder,
          httpHost: "127.0.0.1",
          httpPort: ports[i]!,
          apiUrl: `http://127.0.0.1:${ports[i]!}`,
          p2pAddrs: [`/ip4/127.0.0.1/tcp/${ports[size + i]!}`],
          now,
        }),
      ),
    );
    const genesisFile = join(dir, "genesis.json");
    const genesis = await runCli([
      "genesis",
      "--out",
      genesisFile,
      ...folders.flatMap((f) => ["--member", f]),
    ]);
    if (genesis.code !== 0) throw new Error(`tempel-node genesis failed: ${genesis.stderr}`);
    return new TestCluster(
      genesisFile,
      inits.map((init, i) => new ClusterMember(i, init, ports[i]!, genesisFile)),
    );
  }

  /** The genesis's members and quorum: what the quorum policy checks certificates against. */
  get trust(): QuorumTrust {
    return {
      members: this.genesis.members.map((m) => ({ id: m.id, publicKey: m.publicKey })),
      quorum: this.genesis.quorum,
    };
  }

  running(): ClusterMember[] {
    return this.members.filter((member) => member.running);
  }

  async startAll(): Promise<void> {
    await Promise.all(this.members.map((member) => member.start()));
  }

  /** SIGTERM to every running member; the exit codes by member index. */
  async stopAll(): Promise<(number | null)[]> {
    return Promise.all(this.members.map((member) => (member.running ? member.stop() : null)));
  }

  /** The member every running member that knows a leader names as leader. */
  async leader(): Promise<ClusterMember | undefined> {
    const statuses = await Promise.all(this.running().map((member) => member.status()));
    const named = new Set(statuses.map((s) => s.agreement.leaderId).filter((id) => id !== undefined));
    if (named.size !== 1) return undefined;
    const [id] = named;
    return this.members.find((member) => member.id === id);
  }

  /** Waits until every running member is ready and has certified a second at or after `time`. */
  async waitCertified(time: number, timeoutMs: number): Promise<void> {
    await waitFor(
      `every running member certified second ${time}`,
      async () => {
        const members = this.running();
        const [statuses, heads] = await Promise.all([
          Promise.all(members.map((m) => m.status())),
          Promise.all(members.map((m) => m.head())),
        ]);
        return statuses.every((s) => s.node.ready) && heads.every((h) => (h.certified?.time ?? -1) >= time);
      },
      timeoutMs,
    );
  }

  /** The log tails of every member, for a failure report. */
  logTails(lines: number): string {
    return this.members
      .map((m) => `--- member ${m.index} (${m.id})\n${m.logLines().slice(-lines).join("\n")}`)
      .join("\n");
  }
}

/**
 * Prints every member's log tail after the first failed test of the file that calls it (later
 * failures mostly follow from the first).
 */
export function showLogsOnFirstFailure(cluster: () => TestCluster | undefined): void {
  let shown = false;
  afterEach((context) => {
    if (context.task.result?.state === "fail" && !shown) {
      shown = true;
      console.log(cluster()?.logTails(40));
    }
  });
}

/** One sign request of the load, as a client saw it. */
export interface SignRequest {
  readonly member: number;
  readonly sentAt: number;
  readonly doneAt: number;
  readonly imprints: readonly Imprint[];
  /** Absent when the request failed (node down, refused, connection cut). */
  readonly signatures?: readonly KsiSignature[];
  readonly error?: string;
}

export interface LoadOptions {
  /** Clients of each member, each with one request in flight at a time. */
  readonly clientsPerMember: number;
  /** Hashes per request. */
  readonly batch: number;
  /** Pause between one client's requests. */
  readonly pauseMs: number;
}

/**
 * Clients of every member signing with a pause of `pauseMs` between answers, alternating KSI
 * aggregation PDUs and JSON batches, recording every request with its latency and outcome.
 */
export class ClusterLoad {
  readonly requests: SignRequest[] = [];
  readonly #clients: Promise<void>[];
  #running = true;

  constructor(cluster: TestCluster, options: LoadOptions) {
    this.#clients = cluster.members.flatMap((member) =>
      Array.from({ length: options.clientsPerMember }, () => this.#client(member, options)),
    );
  }

  /** Stops sending and waits for the requests in flight. */
  async stop(): Promise<SignRequest[]> {
    this.#running = false;
    await Promise.all(this.#clients);
    return this.requests;
  }

  async #client(member: ClusterMember, options: LoadOptions): Promise<void> {
    for (let i = 0; this.#running; i++) {
      const imprints = Array.from({ length: options.batch }, randomImprint);
      const sentAt = Date.now();
      try {
        const signatures =
          i % 2 === 0 ? await member.client.signJson(imprints) : await member.client.signPdu(imprints);
        this.requests.push({ member: member.index, sentAt, doneAt: Date.now(), imprints, signatures });
        await sleep(options.pauseMs);
      } catch (error) {
        this.requests.push({
          member: member.index,
          sentAt,
          doneAt: Date.now(),
          imprints,
          error: (error as Error).message,
        });
        // A node that is down refuses at once: don't spin.
        await sleep(Math.max(options.pauseMs, 200));
      }
    }
  }
}

/** Every signature the load got back, with the hash it was asked for. */
export function answered(requests: readonly SignRequest[]): { imprint: Imprint; signature: KsiSignature }[] {
  return requests.flatMap((r) =>
    r.signatures === undefined
      ? []
      : r.signatures.map((signature, i) => ({ imprint: r.imprints[i]!, signature })),
  );
}

/** Latency percentile `p` (0..100) of the answered requests, in ms. */
export function percentile(requests: readonly SignRequest[], p: number): number {
  const latencies = requests
    .filter((r) => r.signatures !== undefined)
    .map((r) => r.doneAt - r.sentAt)
    .sort((a, b) => a - b);
  if (latencies.length === 0) return Number.NaN;
  return latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!;
}

/**
 * Verdicts of the quorum policy (KSI internal policy + key rule with the quorum certificate) that
 * are not OK. The key rule reads only the calendar chain, the calendar auth record and the quorum
 * certificate, which all signatures of one member's round share: it runs once per such group (its
 * Ed25519 checks are the slow part), the internal policy on every signature, so each signature gets
 * exactly the verdict the quorum policy gives it.
 */
export async function quorumPolicyFailures(
  signed: readonly { imprint: Imprint; signature: KsiSignature }[],
  trust: QuorumTrust,
): Promise<string[]> {
  const keyVerdicts = new Map<string, Promise<VerificationResult>>();
  const verdicts = await inParallel(signed, 16, async ({ imprint, signature }) => {
    const group = [
      encodeCalendarChain(signature.calendarChain!),
      encodeCalendarAuthRecord(signature.calendarAuthRecord!),
      encodeQuorumCertificate(signature.quorumCertificate!),
    ]
      .map((element) => toHex(encodeTlv(element)))
      .join("/");
    let result: VerificationResult;
    const keyVerdict = keyVerdicts.get(group);
    if (keyVerdict === undefined) {
      const full = verifySignature(
        signature,
        { documentHash: imprint, quorumTrust: trust, hasher: nodeHasher },
        keyPolicy,
      );
      keyVerdicts.set(group, full);
      result = await full;
    } else {
      const internal = await verifySignature(
        signature,
        { documentHash: imprint, hasher: nodeHasher },
        internalPolicy,
      );
      result = internal.result === "OK" ? await keyVerdict : internal;
    }
    return result.result === "OK"
      ? undefined
      : `${toHex(imprint)}: ${result.result} ${result.code} ${result.message}`;
  });
  return verdicts.filter((v) => v !== undefined);
}

export interface Failover {
  /** ms from kill -9 until a survivor names a leader that is alive. */
  readonly leaderMs: number;
  /** ms from kill -9 until a survivor holds a certificate for a second that ended after the kill. */
  readonly certifiedMs: number;
}

/**
 * kill -9 `victims` at once and measure the failover. A second that ended after the kill cannot have
 * been proposed by a dead leader: its certificate proves the survivors agree again.
 */
export async function crashAndMeasure(
  cluster: TestCluster,
  victims: readonly ClusterMember[],
  timeoutMs: number,
): Promise<Failover> {
  const killedAt = Date.now();
  await Promise.all(victims.map((victim) => victim.crash()));
  const firstLiveSecond = Math.floor(killedAt / 1000);
  const survivors = cluster.running();
  const victimIds = new Set(victims.map((v) => v.id));
  const sinceKill = (what: string, check: () => Promise<boolean>) =>
    waitFor(what, check, timeoutMs).then(() => Date.now() - killedAt);
  const [leaderMs, certifiedMs] = await Promise.all([
    sinceKill("a survivor names a live leader", async () => {
      const statuses = await Promise.all(survivors.map((s) => s.status()));
      return statuses.some((s) => s.agreement.leaderId !== undefined && !victimIds.has(s.agreement.leaderId));
    }),
    sinceKill(`a survivor certified second ${firstLiveSecond}`, async () => {
      const heads = await Promise.all(survivors.map((s) => s.head()));
      return heads.some((h) => (h.certified?.time ?? -1) >= firstLiveSecond);
    }),
  ]);
  return { leaderMs, certifiedMs };
}

/** The calendar root at each of `seconds` on every running member, by second (one entry per member). */
export async function rootsOnEveryMember(
  cluster: TestCluster,
  seconds: Iterable<number>,
): Promise<Map<number, string[]>> {
  const members = cluster.running();
  const roots = new Map<number, string[]>();
  await inParallel([...new Set(seconds)], 8, async (second) => {
    roots.set(second, await Promise.all(members.map((m) => m.rootAt(second))));
  });
  return roots;
}

/**
 * Answered signatures whose certified calendar root is not the cluster's root at that second: a
 * signature the calendar lost. `roots` must hold every signature's publication time.
 */
export function lostSignatures(
  signed: readonly { imprint: Imprint; signature: KsiSignature }[],
  roots: ReadonlyMap<number, readonly string[]>,
): string[] {
  return signed.flatMap(({ imprint, signature }) => {
    const { publicationTime, publishedHash } = signature.quorumCertificate!.publishedData;
    const held = roots.get(publicationTime);
    return held?.every((root) => root === toHex(publishedHash))
      ? []
      : [`${toHex(imprint)}: root ${toHex(publishedHash)} at ${publicationTime}, members hold ${held}`];
  });
}

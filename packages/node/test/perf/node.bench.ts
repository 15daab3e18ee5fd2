/**
 * Node benchmarks (not a vitest test):
 * `npx node packages/node/test/perf/node.bench.ts [--quick] [--only batched,single,…] [--profile <dir>]`.
 *
 * 1. Hashers: node:crypto's one-shot hash() against proto's noble hasher on tree-step inputs.
 * 2. Batched signing: a `tempel-node` child process, JSON /v1/sign batches sent open-loop at a fixed
 *    hash rate from this process; request-to-signature latency per request and hashes answered/s.
 * 3. Single-hash signing: one KSI aggregation PDU per hash at a fixed request rate.
 * 4. Heap: 1M hashes pending in one round (requests parsed as the JSON API does, the round's tree
 *    built) in this process's rounds, with agreement holding the round open.
 * 5. Pipeline: CPU per hash of the node's own work for batched JSON signing, in this process.
 * 2 and 3 load a freshly started node for 5 s of warm-up, reported apart, then 10 s measured (2 s and
 * 4 s with --quick), and give the p99 of each second's requests as well as the whole run's.
 * For 2 and 3 the node's own CPU time per hash answered is reported too (from its process metrics):
 * unlike rates and latencies it means something on a machine that other work keeps busy. The load is
 * made cheap for this process, which shares the cores with the node: requests are built before the
 * run and sent by a minimal keep-alive HTTP client (load-client.ts), and answers are checked
 * structurally, each signature for the imprint asked for (answer-checks.ts).
 * `--only` picks sections (hashers, batched, single, heap, pipeline); `--profile <dir>` has the child nodes
 * write V8 CPU profiles (`node --cpu-prof`) there; `--batched-rate` and `--single-rate` change the
 * offered hashes/s and requests/s from the targets (100,000 and 10,000), e.g. to profile a load the
 * machine sustains.
 * Prints each figure and one JSON line with all of them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  Calendar,
  encodeAggregationRequestPdu,
  HashAlgorithm,
  MemoryCalendarStore,
  makeImprint,
  nobleHasher,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { AgencyRegistry } from "../../src/aggregation/agency.ts";
import { defaultRoundOptions } from "../../src/aggregation/options.ts";
import { RoundPipeline } from "../../src/aggregation/rounds.ts";
import { HMAC_HEADER, JsonApi, LOGIN_ID_HEADER } from "../../src/api/json-api.ts";
import { parseHashItems } from "../../src/api/json-input.ts";
import { defaultApiOptions } from "../../src/api/options.ts";
import {
  type Agreement,
  type AgreementStatus,
  type Contribution,
  topTree,
} from "../../src/consensus/index.ts";
import { initDataDir } from "../../src/genesis/index.ts";
import { silentLogger } from "../../src/logger/logger.ts";
import { createMetrics } from "../../src/metrics/metrics.ts";
import type { NodeCalendar } from "../../src/store/index.ts";
import { jsonAnswerCheck, pduAnswerCheck } from "./answer-checks.ts";
import { LoadClient, postBytes, type RawResponse } from "./load-client.ts";

/** The one-member agreements below always lead. */
const LEADER_STATUS: AgreementStatus = {
  role: "leader",
  term: 1,
  leaderId: "n",
  committed: 0,
  applied: 0,
  ready: true,
  halted: undefined,
};

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean" },
    only: { type: "string" },
    profile: { type: "string" },
    "batched-rate": { type: "string", default: "100000" },
    "single-rate": { type: "string", default: "10000" },
  },
});
const quick = args.quick === true;
const sections = new Set(args.only?.split(",") ?? ["hashers", "batched", "single", "heap", "pipeline"]);
const MAIN = join(import.meta.dirname, "../../src/cli/main.ts");
const results: Record<string, unknown> = { loadAverageAtStart: loadavg()[0] };

function report(name: string, value: number | string, unit = ""): void {
  results[name] = value;
  console.log(`${name.padEnd(40)} ${typeof value === "number" ? value.toLocaleString("en") : value} ${unit}`);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// ---- 1. hashers ----

function hashRate(hasher: (algorithm: number, data: Uint8Array) => Uint8Array, count: number): number {
  const input = randomBytes(67); // left imprint ‖ right imprint ‖ level: one tree step
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    input[i % 67] = i & 0xff;
    hasher(HashAlgorithm.SHA2_256, input);
  }
  return Math.round(count / ((performance.now() - started) / 1000));
}

function benchHashers(): void {
  const hashes = quick ? 200_000 : 1_000_000;
  const nodeRate = hashRate(nodeHasher, hashes);
  const nobleRate = hashRate(nobleHasher, hashes);
  report("hasher node:crypto hash()", nodeRate, "SHA-256/s (67-byte inputs)");
  report("hasher noble", nobleRate, "SHA-256/s");
  report("hasher ratio node/noble", Number((nodeRate / nobleRate).toFixed(2)));
}

// ---- 2 & 3. a node under load ----

interface Child {
  readonly child: ChildProcess;
  readonly port: number;
  readonly agency: { loginId: string; key: string };
}

async function startChild(dir: string): Promise<Child> {
  const init = await initDataDir({
    dataDir: dir,
    httpHost: "127.0.0.1",
    httpPort: 0,
    apiUrl: "http://127.0.0.1:0",
    p2pAddrs: ["/ip4/127.0.0.1/tcp/0"],
    now: Math.floor(Date.now() / 1000),
  });
  const profile = args.profile === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", args.profile];
  const child = spawn(
    process.execPath,
    [
      ...profile,
      MAIN,
      "start",
      "--config",
      init.paths.config,
      "--rounds-agency-quota-per-second",
      "10000000",
      "--rounds-max-pending",
      "5000000",
      // The load client is one address standing for many KSI clients, each on its own connection.
      "--api-max-connections-per-address",
      String(defaultApiOptions.maxConnections),
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on("line", (line) => {
      if (line.includes('"msg":"node started"')) resolve(Number(/"http":"[^"]*:(\d+)"/.exec(line)![1]));
    });
    child.once("exit", (code) => reject(new Error(`node exited with ${code}`)));
  });
  return { child, port, agency: init.agency };
}

/** Stops the node gracefully, so that a CPU profile it was asked for is written. */
function stopChild({ child }: Child): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  return exited;
}

function cpuSeconds({ user, system }: NodeJS.CpuUsage): number {
  return (user + system) / 1e6;
}

/** The node's CPU seconds so far, from its process metrics. */
async function nodeCpuSeconds(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = /^tempel_process_cpu_seconds_total (\S+)$/m.exec(text);
  if (line === null) throw new Error("the node exports no process CPU metric");
  return Number(line[1]);
}

interface LoadResult {
  /** Counts, rates, latencies and CPU below are of the requests due after the warm-up. */
  readonly sent: number;
  readonly answered: number;
  readonly failed: number;
  readonly seconds: number;
  readonly latencies: number[];
  readonly warmUp: { readonly seconds: number; readonly failed: number; readonly latencies: number[] };
  /**
   * Latencies of the requests due in each second of the run, warm-up included, unsorted: the round
   * each belongs to.
   */
  readonly latenciesBySecond: number[][];
  /** CPU seconds the node spent during the run. */
  readonly nodeCpuSeconds: number;
  /** CPU seconds per second the node spends without requests (agreement, timers), measured before the run. */
  readonly nodeIdleCpu: number;
  /** CPU seconds this process (the load generator) spent during the run. */
  readonly generatorCpuSeconds: number;
}

const IDLE_SAMPLE_MS = 2_000;

/** A request of the load: its bytes on the wire, and how many hashes a response to it answers (0: failed). */
interface LoadRequest {
  readonly bytes: Buffer;
  readonly check: (response: RawResponse) => number;
}

/**
 * Open-loop load: request k from `requests` (cycled) is due k / requestsPerSecond seconds after the
 * start and sent at the first tick after that, without waiting for earlier answers; its latency runs
 * from when it was due (so a late sender does not hide a slow node) to the last byte of its answer.
 * Every request waits for its round (about a second), so the open requests are about the request
 * rate, each on its own connection. The first `warmUpSeconds` of the same load are reported apart:
 * a node that has just started runs its first seconds of load on cold code and a small heap, as
 * cluster-faults' warm-up and restarted-node figures show, and the targets are for a node in service.
 */
async function load(
  port: number,
  requests: readonly LoadRequest[],
  requestsPerSecond: number,
  seconds: number,
  warmUpSeconds: number,
): Promise<LoadResult> {
  // As many connections as requests open for a round and a half; more would wait for one.
  const client = new LoadClient(port, Math.ceil(requestsPerSecond * 1.5) + 64);
  await client.connect(Math.ceil(requestsPerSecond * 1.2));
  const tickMs = 10;
  const latenciesBySecond: number[][] = Array.from({ length: Math.ceil(warmUpSeconds + seconds) }, () => []);
  // The requests due in the warm-up's seconds: those of latenciesBySecond's first warmUpSeconds rows.
  const warmUpCount = Math.ceil(requestsPerSecond * warmUpSeconds);
  let sent = 0;
  let answered = 0;
  let failed = 0;
  let warmUpFailed = 0;
  const inFlight: Promise<void>[] = [];
  const send = async ({ bytes, check }: LoadRequest, k: number, due: number) => {
    const response = await client.send(bytes);
    const latency = (performance.now() - due) / 1000;
    latenciesBySecond[Math.min(latenciesBySecond.length - 1, Math.floor(k / requestsPerSecond))]!.push(
      latency,
    );
    const ok = response === undefined ? 0 : check(response);
    if (k < warmUpCount) {
      if (ok === 0) warmUpFailed++;
      return;
    }
    if (ok > 0) answered += ok;
    else failed++;
  };
  const idleFrom = await nodeCpuSeconds(port);
  await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
  const nodeIdleCpu = ((await nodeCpuSeconds(port)) - idleFrom) / (IDLE_SAMPLE_MS / 1000);
  const started = performance.now();
  const dueAt = (k: number) => started + (k * 1000) / requestsPerSecond;
  // Taken when the first measured request is sent (the node's figure without waiting for it).
  let measuredFrom: { node: Promise<number>; generator: NodeJS.CpuUsage } | undefined;
  // Counted, not timed: a generator whose timers fire late still sends every request of the run.
  const total = warmUpCount + Math.round(requestsPerSecond * seconds);
  while (sent < total) {
    for (; sent < total && dueAt(sent) <= performance.now(); sent++) {
      if (sent === warmUpCount) measuredFrom = { node: nodeCpuSeconds(port), generator: process.cpuUsage() };
      inFlight.push(send(requests[sent % requests.length]!, sent, dueAt(sent)));
    }
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - dueAt(warmUpCount)) / 1000;
  const nodeCpu = (await nodeCpuSeconds(port)) - (await measuredFrom!.node);
  client.close();
  const sorted = (rows: number[][]) => rows.flat().sort((a, b) => a - b);
  return {
    sent: total - warmUpCount,
    answered,
    failed,
    seconds: elapsed,
    latencies: sorted(latenciesBySecond.slice(warmUpSeconds)),
    warmUp: {
      seconds: warmUpSeconds,
      failed: warmUpFailed,
      latencies: sorted(latenciesBySecond.slice(0, warmUpSeconds)),
    },
    latenciesBySecond,
    nodeCpuSeconds: nodeCpu,
    nodeIdleCpu,
    generatorCpuSeconds: cpuSeconds(process.cpuUsage(measuredFrom!.generator)),
  };
}

function reportLoad(name: string, result: LoadResult, hashesPerRequest: number): void {
  const { warmUp } = result;
  report(
    `${name} warm-up (first ${warmUp.seconds} s of load on the new node, not counted below) latency p99`,
    Number(percentile(warmUp.latencies, 99).toFixed(3)),
    "s",
  );
  report(`${name} warm-up requests failed`, warmUp.failed);
  report(`${name} hashes answered/s`, Math.round(result.answered / result.seconds));
  report(`${name} requests sent`, result.sent);
  report(`${name} requests failed`, result.failed);
  report(`${name} latency p50`, Number(percentile(result.latencies, 50).toFixed(3)), "s");
  report(`${name} latency p99`, Number(percentile(result.latencies, 99).toFixed(3)), "s");
  report(`${name} latency max`, Number((result.latencies.at(-1) ?? Number.NaN).toFixed(3)), "s");
  // Whether a p99 above the mark comes from one late round or from every round.
  report(
    `${name} latency p99 of each second's requests, warm-up first`,
    result.latenciesBySecond
      .map((second) =>
        percentile(
          second.sort((a, b) => a - b),
          99,
        ).toFixed(2),
      )
      .join(" "),
    "s",
  );
  report(`${name} hashes per request`, hashesPerRequest);
  report(`${name} node idle CPU`, Number((result.nodeIdleCpu * 100).toFixed(1)), "% of a core");
  const busyCpu = result.nodeCpuSeconds - result.nodeIdleCpu * result.seconds;
  report(
    `${name} node CPU per hash`,
    Number(((busyCpu / result.answered) * 1e6).toFixed(2)),
    "µs (idle CPU subtracted)",
  );
  // What the generator takes from the cores it shares with the node.
  report(
    `${name} generator CPU per request`,
    Number(((result.generatorCpuSeconds / result.sent) * 1e6).toFixed(1)),
    "µs",
  );
}

const seconds = quick ? 4 : 10;
const warmUpSeconds = quick ? 2 : 5;

async function benchBatched(dir: string): Promise<void> {
  const node = await startChild(join(dir, "batched"));
  const key = new TextEncoder().encode(node.agency.key);
  const batch = 1_000;
  const rate = Number(args["batched-rate"]);
  const requests = Array.from({ length: 64 }, (): LoadRequest => {
    const imprints = Array.from({ length: batch }, () => makeImprint(1, randomBytes(32)));
    const body = new TextEncoder().encode(
      JSON.stringify({ hashes: imprints.map((imprint) => Buffer.from(imprint).toString("hex")) }),
    );
    const headers = {
      "content-type": "application/json",
      [LOGIN_ID_HEADER]: node.agency.loginId,
      [HMAC_HEADER]: createHmac("sha256", key).update(body).digest("hex"),
    };
    return { bytes: postBytes("/v1/sign", headers, body), check: jsonAnswerCheck(imprints) };
  });
  const result = await load(node.port, requests, rate / batch, seconds, warmUpSeconds);
  reportLoad(`batched ${rate}/s JSON`, result, batch);
  await stopChild(node);
}

async function benchSingle(dir: string): Promise<void> {
  const node = await startChild(join(dir, "single"));
  const key = new TextEncoder().encode(node.agency.key);
  const rate = Number(args["single-rate"]);
  const requests = Array.from({ length: 20_000 }, (_, i): LoadRequest => {
    const imprint = makeImprint(1, randomBytes(32));
    const body = encodeAggregationRequestPdu(
      {
        header: { loginId: node.agency.loginId },
        requests: [{ requestId: BigInt(i + 1), requestHash: imprint }],
      },
      key,
    );
    return {
      bytes: postBytes("/ksi/aggregator", { "content-type": "application/ksi-request" }, body),
      check: pduAnswerCheck(imprint),
    };
  });
  const result = await load(node.port, requests, rate, seconds, warmUpSeconds);
  reportLoad(`single ${rate}/s PDU`, result, 1);
  await stopChild(node);
}

// ---- 4. heap with 1M pending hashes ----

async function benchHeap(): Promise<void> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const pendingHashes = quick ? 200_000 : 1_000_000;
  let contributed: (c: Contribution) => void = () => undefined;
  const roundBuilt = new Promise<Contribution>((resolve) => {
    contributed = resolve;
  });
  const holdingAgreement: Agreement = {
    start: async () => undefined,
    stop: async () => undefined,
    contribute: (c) => contributed(c),
    outcome: (_time, signal) =>
      new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason))),
    status: () => LEADER_STATUS,
  };
  gc();
  const { heapUsed: before, arrayBuffers: buffersBefore } = process.memoryUsage();
  const agency = new AgencyRegistry([{ loginId: "agency1", key: "k" }], Number.MAX_SAFE_INTEGER).get(
    "agency1",
  )!;
  const rounds = new RoundPipeline(
    { ...defaultRoundOptions, maxPending: pendingHashes },
    {
      agreement: holdingAgreement,
      calendar: { chain: () => Promise.reject(new Error("never certified")) },
      signer: {
        certificatePem: "",
        certificateDer: new Uint8Array(0),
        certificateId: new Uint8Array(4),
        signatureType: "",
        sign: () => new Uint8Array(0),
      },
      nodeId: "n",
      algorithm: HashAlgorithm.SHA2_256,
      hasher: nodeHasher,
      metrics: createMetrics({ processMetrics: false }).rounds,
      logger: silentLogger,
    },
  );
  rounds.start();
  const nowSeconds = Math.floor(Date.now() / 1000);
  const waiting: Promise<unknown>[] = [];
  for (let r = 0; r < pendingHashes / 1000; r++) {
    const items = Array.from({ length: 1000 }, () => randomBytes(33).toString("hex").replace(/^../, "01"));
    waiting.push(rounds.submit(agency, parseHashItems(items, 20, nowSeconds)).catch(() => undefined));
  }
  gc();
  const pendingHeap = process.memoryUsage().heapUsed - before;
  await roundBuilt;
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  report(`heap ${pendingHashes} hashes pending`, Math.round(pendingHeap / 2 ** 20), "MiB");
  report(`heap ${pendingHashes} pending + round tree`, Math.round((heapUsed - before) / 2 ** 20), "MiB");
  // The tree keeps its nodes in typed arrays, whose bytes V8 counts outside the heap.
  report(`array buffers with the round tree`, Math.round((arrayBuffers - buffersBefore) / 2 ** 20), "MiB");
  await rounds.stop(0);
  await Promise.all(waiting);
}

// ---- 5. the node's own work per hash ----

/**
 * CPU per hash of what the node itself does for batched JSON signing, in this process: parsing and
 * checking the requests, the round's tree, every leaf's chains and signature, the JSON answers. No
 * HTTP and no agreement (a one-member stand-in certifies each round at once over proto's in-memory
 * calendar), so unlike the load runs it does not depend on a load generator sharing the machine.
 */
async function benchPipeline(): Promise<void> {
  const hashesPerRound = quick ? 20_000 : 100_000;
  const batch = 1_000;
  const calendar = await Calendar.open(new MemoryCalendarStore(), {
    genesisTime: Math.floor(Date.now() / 1000) - 10,
    hasher: nodeHasher,
  });
  const contributions = new Map<number, Contribution>();
  const agreement: Agreement = {
    start: async () => undefined,
    stop: async () => undefined,
    contribute: (c) => void contributions.set(c.time, c),
    outcome: async (time) => {
      const contribution = contributions.get(time)!;
      const entry = {
        time,
        contributions: [contribution],
        leaf: topTree([contribution], HashAlgorithm.SHA2_256).root,
      };
      await calendar.append(time, entry.leaf);
      const calendarRoot = await calendar.rootAt(time);
      const publishedData = { publicationTime: time, publishedHash: calendarRoot };
      const certificate = { publishedData, shares: [{ memberId: "n", signature: new Uint8Array(64) }] };
      return { kind: "certified", certified: { entry, calendarRoot, certificate } };
    },
    status: () => LEADER_STATUS,
  };
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const signer = {
    certificatePem: "",
    certificateDer: new Uint8Array(0),
    certificateId: Uint8Array.of(1, 2, 3, 4),
    signatureType: "1.2.840.113549.1.1.11",
    sign: (data: Uint8Array) => new Uint8Array(sign("sha256", data, privateKey)),
  };
  const agencies = new AgencyRegistry([{ loginId: "agency1", key: "secret" }], Number.MAX_SAFE_INTEGER);
  const rounds = new RoundPipeline(
    { ...defaultRoundOptions, maxPending: 10 * hashesPerRound },
    {
      agreement,
      calendar,
      signer,
      nodeId: "n",
      algorithm: HashAlgorithm.SHA2_256,
      hasher: nodeHasher,
      metrics: createMetrics({ processMetrics: false }).rounds,
      logger: silentLogger,
    },
  );
  const api = new JsonApi(
    { maxSignBatch: batch, maxLevel: defaultRoundOptions.maxLevel },
    {
      agencies,
      rounds,
      calendar: {} as NodeCalendar,
      signer,
      hasher: nodeHasher,
      status: () => ({}),
      now: Date.now,
    },
  );
  const requests = Array.from({ length: 16 }, () => {
    const body = new TextEncoder().encode(
      JSON.stringify({ hashes: Array.from({ length: batch }, () => `01${randomBytes(32).toString("hex")}`) }),
    );
    const headers = {
      [LOGIN_ID_HEADER]: "agency1",
      [HMAC_HEADER]: createHmac("sha256", "secret").update(body).digest("hex"),
    };
    return { message: { headers } as unknown as IncomingMessage, body };
  });
  rounds.start();
  const perHash: number[] = [];
  for (let round = 0; round < 5; round++) {
    // Start early in a second, so that the whole batch falls into one round.
    await new Promise((resolve) => setTimeout(resolve, 1050 - (Date.now() % 1000)));
    const started = process.cpuUsage();
    const answers: Promise<number>[] = [];
    for (let i = 0; i < hashesPerRound / batch; i++) {
      const { message, body } = requests[i % requests.length]!;
      // Counted, then handed back as the server does once a socket has sent it.
      answers.push(
        api.sign(message, body, false).then((answer) => {
          const length = answer.bytes.length;
          answer.sent?.();
          return length;
        }),
      );
    }
    const bytes = (await Promise.all(answers)).reduce((a, b) => a + b, 0);
    const used = process.cpuUsage(started);
    if (bytes < hashesPerRound * 1000) throw new Error("answers are missing signatures");
    perHash.push((used.user + used.system) / hashesPerRound);
  }
  await rounds.stop(0);
  perHash.sort((a, b) => a - b);
  report(`pipeline ${hashesPerRound} hashes/round CPU per hash (best)`, Number(perHash[0]!.toFixed(2)), "µs");
  report(
    `pipeline ${hashesPerRound} hashes/round CPU per hash (median)`,
    Number(perHash[2]!.toFixed(2)),
    "µs",
  );
}

if (sections.has("hashers")) benchHashers();
const dir = mkdtempSync(join(tmpdir(), "tempel-bench-"));
try {
  if (sections.has("batched")) await benchBatched(dir);
  if (sections.has("single")) await benchSingle(dir);
  if (sections.has("heap")) await benchHeap();
  if (sections.has("pipeline")) await benchPipeline();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
results.loadAverageAtEnd = loadavg()[0];
console.log(JSON.stringify({ benchmark: "node", quick, results }));

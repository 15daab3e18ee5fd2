import { Agent, request } from "node:http";
import { Worker } from "node:worker_threads";
import type { QuorumTrust } from "@tempel/proto";
import { EvenSampler } from "./even-sampler.ts";
import { KeepAliveClient } from "./keep-alive-client.ts";
import { LatencyRecorder, type LatencySummary } from "./latency.ts";
import {
  encodeRequest,
  IMPRINT_BYTES,
  type ProtocolName,
  randomImprints,
  type Service,
} from "./protocols.ts";
import { ResponseBuffers } from "./response-buffers.ts";
import type { VerificationPolicy } from "./signature-verifier.ts";
import { checkReplyCheaply, sentImprint, TimeStampQueries } from "./time-stamp-queries.ts";
import type { VerifyJob, VerifyReply, VerifyWorkerData } from "./verify-worker.ts";

export interface LoadTarget {
  /** Shown in results: `node-1`, `baseline`. */
  readonly name: string;
  /** Where requests are POSTed. */
  readonly url: string;
}

export interface LoadOptions {
  readonly service: Service;
  readonly targets: readonly LoadTarget[];
  /** Hashes per second offered, whatever the answers do (open loop). */
  readonly rate: number;
  readonly durationSeconds: number;
  /** Hashes per request. */
  readonly batch: number;
  /** Requests in flight at most, split evenly over the targets; the rest wait their turn (and it counts). */
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly policy: VerificationPolicy;
  /**
   * Share of the signatures (or baseline tokens) verified in full with `policy`, evenly spread; every
   * answer is still checked cheaply (see ResponseChecker). Default 1: all of them.
   */
  readonly verifyFraction?: number;
  /** The cluster's members and quorum, for the quorum policy. */
  readonly trust?: QuorumTrust;
  /** Told of every failed request as it fails: the target's name and what went wrong (as in `errors`). */
  readonly onFailure?: (target: string, kind: string) => void;
}

export interface LoadProgress {
  readonly elapsedSeconds: number;
  /** Hashes per second answered (HTTP 200) during the last interval. */
  readonly answeredRate: number;
  readonly inFlight: number;
  /** Requests due but waiting for a free slot. */
  readonly queued: number;
  /** Responses waiting for verification. */
  readonly verifying: number;
  readonly errors: number;
  /** p99 latency of the requests answered during the last interval, seconds. */
  readonly p99: number;
  /** CPU cores the generator used during the last interval. */
  readonly cpuCores: number;
}

export interface LoadResult {
  readonly protocol: ProtocolName;
  readonly targets: readonly string[];
  readonly startedAt: string;
  readonly durationSeconds: number;
  /** From the first scheduled send to the last answer's arrival (verification may finish later). */
  readonly elapsedSeconds: number;
  readonly batch: number;
  readonly concurrency: number;
  readonly requests: {
    readonly scheduled: number;
    readonly answered: number;
    readonly failed: number;
    /** Sent a second time because the kept-alive connection they went out on was closed as idle. */
    readonly resentAfterReset: number;
  };
  readonly hashes: { readonly offered: number; readonly answered: number };
  readonly offeredRate: number;
  /** Hashes answered with signatures, per second of the run. */
  readonly achievedRate: number;
  /** Failed requests by what went wrong (`http_503`, `timeout`, `network_ECONNREFUSED`, `ksi_OVER_QUOTA`, …). */
  readonly errors: Readonly<Record<string, number>>;
  /** From each request's scheduled send time to its answer, answered requests only. */
  readonly latencySeconds: LatencySummary;
  readonly verification: {
    readonly policy: VerificationPolicy;
    /** Share of the signatures (or baseline tokens) verified in full. */
    readonly verifyFraction: number;
    /**
     * Signatures (or baseline tokens) by verdict: "OK" or why not, for those verified in full, and
     * why not for those the cheap checks refused.
     */
    readonly verdicts: Readonly<Record<string, number>>;
    /** Signatures (or baseline tokens) that passed the cheap checks and were not verified in full. */
    readonly cheaplyChecked: number;
    /**
     * Answers left unchecked because verification fell too far behind (its backlog is bounded):
     * the generator's CPU, not the cluster, was the limit. Counted as answered.
     */
    readonly uncheckedRequests: number;
  };
  /** Aggregation seconds of the signatures each target handed out. */
  readonly secondsByTarget: Readonly<Record<string, readonly number[]>>;
  readonly generatorCpu: {
    readonly userSeconds: number;
    readonly systemSeconds: number;
    readonly cores: number;
  };
}

/** Open connections are what a high concurrency costs; beyond this the generator's machine suffers first. */
export const MAX_CONCURRENCY = 20_000;
/** Every answer waits for its round to end and be certified: about a second, more under load. */
const EXPECTED_LATENCY_SECONDS = 2;

/** In-flight requests the rate needs if each took the expected latency. */
export function defaultConcurrency(rate: number, batch: number): number {
  return Math.min(MAX_CONCURRENCY, Math.max(4, Math.ceil((rate / batch) * EXPECTED_LATENCY_SECONDS)));
}

const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/**
 * Response bytes waiting for verification at most; answers beyond it go unchecked (and are counted).
 * A round's answers come at once: at 50,000 hashes/s in JSON, a second of them is about 120 MB.
 */
const MAX_VERIFY_BACKLOG_BYTES = 1024 * 1024 * 1024;
const PROGRESS_MS = 1_000;

interface Lane {
  readonly target: LoadTarget;
  readonly agent: Agent;
  /** RFC 3161 queries go through the lean client, made from a template (time-stamp-queries.ts). */
  readonly rfc3161: { readonly client: KeepAliveClient; readonly queries: TimeStampQueries } | undefined;
  readonly limit: number;
  inFlight: number;
  /** Request numbers due and not sent yet, oldest first. */
  readonly queue: number[];
  queueHead: number;
}

interface Answered {
  readonly lane: Lane;
  readonly latency: number;
  readonly bytes: number;
}

/**
 * An open-loop load run: request k is due at start + k·batch/rate whatever happened to earlier ones,
 * and its latency counts from then, so a slow cluster shows up as latency instead of quietly
 * lowering the offered rate. Requests go round-robin over the targets. Every answer is decoded and
 * its signatures verified on a worker thread; RFC 3161 answers, one small token per query, are
 * checked cheaply on this thread and only the verified share goes to the worker.
 */
export async function runLoad(
  options: LoadOptions,
  onProgress?: (progress: LoadProgress) => void,
): Promise<LoadResult> {
  const { batch, targets } = options;
  const total = Math.max(1, Math.floor((options.rate * options.durationSeconds) / batch));
  const intervalMs = (1000 * batch) / options.rate;
  const perLane = Math.max(1, Math.floor(options.concurrency / targets.length));
  const rfc3161 = options.service.protocol === "rfc3161";
  if (rfc3161 && batch !== 1) throw new RangeError("an RFC 3161 query holds one hash: use batch 1");
  const lanes: Lane[] = targets.map((target) => ({
    target,
    agent: new Agent({ keepAlive: true, maxSockets: perLane }),
    rfc3161: rfc3161
      ? {
          client: new KeepAliveClient(new URL(target.url), () => resentAfterReset++),
          queries: new TimeStampQueries(new URL(target.url)),
        }
      : undefined,
    limit: perLane,
    inFlight: 0,
    queue: [],
    queueHead: 0,
  }));
  const verifyFraction = options.verifyFraction ?? 1;
  // RFC 3161 answers are checked cheaply on this thread and only the sample goes to the worker.
  const sampler = new EvenSampler(verifyFraction);
  const worker = new Worker(new URL("./verify-worker.ts", import.meta.url), {
    workerData: {
      service: options.service,
      policy: options.policy,
      verifyFraction: rfc3161 ? 1 : verifyFraction,
      ...(options.trust !== undefined && { trust: options.trust }),
    } satisfies VerifyWorkerData,
  });

  const latencies = new LatencyRecorder();
  const errors: Record<string, number> = {};
  const verdicts: Record<string, number> = {};
  const seconds = new Map<string, Set<number>>(targets.map((t) => [t.name, new Set()]));
  const verifying = new Map<number, Answered>();
  const responseBuffers = new ResponseBuffers();
  let backlogBytes = 0;
  let cheaplyChecked = 0;
  let answered = 0;
  let unchecked = 0;
  let resentAfterReset = 0;
  let failed = 0;
  let lastAnswerAt = 0;
  let next = 0;
  let intervalAnswered = 0;
  let intervalLatencyFrom = 0;

  const startedAt = new Date();
  const cpuAtStart = process.cpuUsage();
  const t0 = performance.now();
  const dueAt = (k: number) => t0 + k * intervalMs;

  let finish!: () => void;
  let fail!: (error: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const settled = () => answered + failed === total;
  const countError = (lane: Lane, kind: string) => {
    errors[kind] = (errors[kind] ?? 0) + 1;
    options.onFailure?.(lane.target.name, kind);
    failed++;
    if (settled()) finish();
  };

  const succeeded = (latency: number) => {
    latencies.add(latency);
    answered++;
    if (settled()) finish();
  };
  worker.on("message", (reply: VerifyReply) => {
    responseBuffers.give(reply.body);
    const sent = verifying.get(reply.id)!;
    verifying.delete(reply.id);
    backlogBytes -= sent.bytes;
    for (const [verdict, count] of Object.entries(reply.verdicts))
      verdicts[verdict] = (verdicts[verdict] ?? 0) + count;
    cheaplyChecked += reply.cheaplyChecked;
    const answeredSeconds = seconds.get(sent.lane.target.name)!;
    for (const second of reply.seconds) answeredSeconds.add(second);
    if (reply.outcome === "ok") succeeded(sent.latency);
    else countError(sent.lane, reply.outcome);
  });
  worker.on("error", fail);

  /** The answer to request k is checked and counted: handed to the worker when `job` is given. */
  const answeredWith = (lane: Lane, k: number, latency: number, job: VerifyJob | undefined) => {
    lastAnswerAt = performance.now();
    intervalAnswered += batch;
    if (job === undefined) succeeded(latency);
    else if (backlogBytes + job.body.length > MAX_VERIFY_BACKLOG_BYTES) {
      unchecked++;
      responseBuffers.give(job.body.buffer);
      succeeded(latency);
    } else {
      backlogBytes += job.body.length;
      verifying.set(k, { lane, latency, bytes: job.body.length });
      // Handed over, not copied: at tens of thousands of signatures a second the copies would cost a core.
      worker.postMessage(job, [job.body.buffer, job.imprints.buffer as ArrayBuffer]);
    }
  };

  const sendQuery = (lane: Lane, k: number, { client, queries }: NonNullable<Lane["rfc3161"]>) => {
    lane.inFlight++;
    const query = queries.next();
    client.exchange(query.bytes, options.timeoutMs, (result) => {
      lane.inFlight--;
      const latency = (performance.now() - dueAt(k)) / 1000;
      if ("failure" in result) countError(lane, result.failure);
      else if (result.status !== 200) countError(lane, `http_${result.status}`);
      else {
        const verdict = checkReplyCheaply(result.body, query);
        if (!("genTime" in verdict)) {
          verdicts[verdict.outcome] = (verdicts[verdict.outcome] ?? 0) + 1;
          countError(lane, verdict.outcome);
        } else if (!sampler.pick()) {
          cheaplyChecked++;
          seconds.get(lane.target.name)!.add(verdict.genTime);
          answeredWith(lane, k, latency, undefined);
        } else {
          const body = joined([result.body], responseBuffers.take(result.body.length));
          const imprint = sentImprint(query);
          answeredWith(lane, k, latency, {
            id: k,
            body,
            imprints: imprint,
            imprintBytes: imprint.length,
            firstId: BigInt(k) + 1n,
          });
        }
      }
      pump(lane);
    });
  };

  const send = (lane: Lane, k: number) => {
    if (lane.rfc3161 !== undefined) {
      sendQuery(lane, k, lane.rfc3161);
      return;
    }
    lane.inFlight++;
    const { bytes, imprints } = randomImprints(batch);
    const firstId = BigInt(k) * BigInt(batch) + 1n;
    const { body, headers } = encodeRequest(options.service, imprints, firstId);
    let ended = false;
    const done = (kind: string | undefined, responseBody?: Uint8Array<ArrayBuffer>) => {
      // A request can fail after its response has ended (a late abort) or fail twice: count it once.
      if (ended) return;
      ended = true;
      lane.inFlight--;
      const latency = (performance.now() - dueAt(k)) / 1000;
      if (kind !== undefined) countError(lane, kind);
      else
        answeredWith(lane, k, latency, {
          id: k,
          body: responseBody!,
          imprints: bytes,
          imprintBytes: IMPRINT_BYTES,
          firstId,
        });
      pump(lane);
    };
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const post = (resent: boolean) => {
      const outgoing = request(lane.target.url, {
        method: "POST",
        agent: lane.agent,
        headers: { ...headers, "content-length": String(body.length) },
        signal: timeout,
      });
      outgoing.on("response", (response) => {
        const chunks: Buffer[] = [];
        let length = 0;
        response.on("data", (chunk: Buffer) => {
          length += chunk.length;
          if (length > MAX_RESPONSE_BYTES) response.destroy(new RangeError("response too large"));
          else chunks.push(chunk);
        });
        response.on("end", () => {
          if (response.statusCode !== 200) done(`http_${response.statusCode}`);
          else done(undefined, joined(chunks, responseBuffers.take(length)));
        });
        response.on("error", (error) => done(errorKind(error)));
      });
      outgoing.on("error", (error) => {
        // A kept-alive connection the node closed as idle just as this request went out on it: the
        // node never read the request, so it is sent once more on a new connection, as Node's
        // documentation advises for idempotent requests (a KSI client would retry it likewise).
        if (!resent && outgoing.reusedSocket && (error as NodeJS.ErrnoException).code === "ECONNRESET") {
          resentAfterReset++;
          post(true);
        } else done(errorKind(error));
      });
      outgoing.end(body);
    };
    post(false);
  };

  const pump = (lane: Lane) => {
    while (lane.inFlight < lane.limit && lane.queueHead < lane.queue.length) {
      send(lane, lane.queue[lane.queueHead++]!);
    }
    if (lane.queueHead > 4096 && lane.queueHead * 2 > lane.queue.length) {
      lane.queue.splice(0, lane.queueHead);
      lane.queueHead = 0;
    }
  };

  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    const now = performance.now();
    while (next < total && dueAt(next) <= now) {
      const lane = lanes[next % lanes.length]!;
      lane.queue.push(next++);
      pump(lane);
    }
    if (next < total) timer = setTimeout(schedule, Math.max(0, dueAt(next) - performance.now()));
  };

  let cpuAtInterval = cpuAtStart;
  let intervalStart = t0;
  const progress = setInterval(() => {
    const now = performance.now();
    for (const lane of lanes) lane.rfc3161?.client.sweep(now);
    const cpu = process.cpuUsage(cpuAtInterval);
    const since = (now - intervalStart) / 1000;
    onProgress?.({
      elapsedSeconds: (now - t0) / 1000,
      answeredRate: intervalAnswered / since,
      inFlight: lanes.reduce((sum, lane) => sum + lane.inFlight, 0),
      queued: lanes.reduce((sum, lane) => sum + lane.queue.length - lane.queueHead, 0),
      verifying: verifying.size,
      errors: failed,
      p99: latencies.summary(intervalLatencyFrom).p99,
      cpuCores: (cpu.user + cpu.system) / 1e6 / since,
    });
    cpuAtInterval = process.cpuUsage();
    intervalStart = now;
    intervalAnswered = 0;
    intervalLatencyFrom = latencies.count;
  }, PROGRESS_MS);

  schedule();
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    clearInterval(progress);
    for (const lane of lanes) {
      lane.agent.destroy();
      lane.rfc3161?.client.close();
    }
    await worker.terminate();
  }
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (performance.now() - t0) / 1000;
  const elapsedSeconds = (Math.max(lastAnswerAt, dueAt(total - 1)) - t0) / 1000;
  return {
    protocol: options.service.protocol,
    targets: targets.map((t) => t.name),
    startedAt: startedAt.toISOString(),
    durationSeconds: options.durationSeconds,
    elapsedSeconds,
    batch,
    concurrency: options.concurrency,
    requests: { scheduled: total, answered, failed, resentAfterReset },
    hashes: { offered: total * batch, answered: answered * batch },
    offeredRate: options.rate,
    achievedRate: (answered * batch) / elapsedSeconds,
    errors,
    latencySeconds: latencies.summary(),
    verification: {
      policy: options.policy,
      verifyFraction,
      verdicts,
      cheaplyChecked,
      uncheckedRequests: unchecked,
    },
    secondsByTarget: Object.fromEntries(
      [...seconds].map(([name, set]) => [name, [...set].sort((a, b) => a - b)]),
    ),
    generatorCpu: {
      userSeconds: cpu.user / 1e6,
      systemSeconds: cpu.system / 1e6,
      cores: (cpu.user + cpu.system) / 1e6 / cpuSeconds,
    },
  };
}

/**
 * The chunks copied into `out`, a buffer of its own (Buffer.concat may return a slice of a shared
 * pool), so that it can be transferred.
 */
function joined(chunks: readonly Buffer[], out: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function errorKind(error: Error): string {
  if (error.name === "AbortError" || error.name === "TimeoutError") return "timeout";
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === "string" ? `network_${code}` : `network_${error.name}`;
}

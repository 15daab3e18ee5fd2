import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  type AggregationRequestPdu,
  type AggregationResponsePdu,
  type AggregatorConfig,
  type CalendarHashChain,
  calendarPolicy,
  decodeAggregationResponsePdu,
  decodeExtendResponsePdu,
  decodeSignature,
  encodeAggregationRequestPdu,
  encodeExtendRequestPdu,
  HashAlgorithm,
  type Imprint,
  internalPolicy,
  type KsiSignature,
  makeImprint,
  signatureFromAggregationResponse,
  type VerificationResult,
  verifySignature,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import type { NodeConfig } from "../../src/config/config.ts";
import { loadConfig } from "../../src/config/load.ts";
import { type InitResult, initDataDir } from "../../src/genesis/index.ts";

export const MAIN = join(import.meta.dirname, "../../src/cli/main.ts");

/** A fresh one-member node in `dir` with an ephemeral HTTP port and libp2p port. */
export async function initTestNode(dir: string): Promise<{ init: InitResult; config: NodeConfig }> {
  const init = await initDataDir({
    dataDir: dir,
    httpHost: "127.0.0.1",
    httpPort: 0,
    apiUrl: "http://127.0.0.1:0",
    p2pAddrs: ["/ip4/127.0.0.1/tcp/0"],
    now: Math.floor(Date.now() / 1000),
  });
  const config = loadConfig({
    file: init.paths.config,
    env: {},
    flags: { "metrics-process-metrics": "false", "log-level": "warn" },
    cwd: dir,
  });
  return { init, config };
}

export function randomImprint(): Imprint {
  return makeImprint(HashAlgorithm.SHA2_256, randomBytes(32));
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** A client of one node speaking KSI PDUs and the JSON API, as an agency. */
export class TestClient {
  readonly base: string;
  readonly loginId: string;
  readonly key: Uint8Array;
  #requestId = 1n;
  readonly #chains = new Map<string, Promise<CalendarHashChain>>();

  constructor(port: number, agency: { loginId: string; key: string }) {
    this.base = `http://127.0.0.1:${port}`;
    this.loginId = agency.loginId;
    this.key = new TextEncoder().encode(agency.key);
  }

  post(path: string, body: Uint8Array | string, headers: Record<string, string>): Promise<Response> {
    return fetch(this.base + path, {
      method: "POST",
      body: typeof body === "string" ? body : new Uint8Array(body),
      headers,
    });
  }

  /**
   * Sign through the KSI aggregator: one PDU with one payload per imprint, each answer read as libksi
   * reads it (its first chain starts at the request level).
   */
  async signPdu(imprints: readonly Imprint[], requestLevel?: number): Promise<KsiSignature[]> {
    const requests = imprints.map((requestHash) => ({
      requestId: this.#requestId++,
      requestHash,
      ...(requestLevel !== undefined && { requestLevel }),
    }));
    const pdu = await this.aggregate({ header: { loginId: this.loginId }, requests });
    return requests.map(({ requestId }) => {
      const payload = pdu.responses.find((r) => r.requestId === requestId);
      if (payload === undefined) throw new Error(`no response for request ${requestId}`);
      return signatureFromAggregationResponse(payload, requestLevel);
    });
  }

  /** The aggregator's configuration, as a KSI client asks for it. */
  async aggregatorConfig(): Promise<AggregatorConfig | undefined> {
    return (await this.aggregate({ header: { loginId: this.loginId }, requests: [], configRequest: true }))
      .config;
  }

  /** One aggregation PDU exchange; the response must be authenticated with the agency's key. */
  async aggregate(request: AggregationRequestPdu): Promise<AggregationResponsePdu> {
    const body = encodeAggregationRequestPdu(request, this.key, undefined, nodeHasher);
    const response = await this.post("/ksi/aggregator", body, { "content-type": "application/ksi-request" });
    if (response.status !== 200) throw new Error(`aggregator answered HTTP ${response.status}`);
    const { pdu, hmac } = decodeAggregationResponsePdu(new Uint8Array(await response.arrayBuffer()), {
      hasher: nodeHasher,
    });
    if (pdu.error !== undefined) {
      throw new Error(`aggregator error 0x${pdu.error.status.toString(16)}: ${pdu.error.errorMessage}`);
    }
    if (hmac === undefined || !hmac.check(this.key)) throw new Error("response HMAC does not check");
    return pdu;
  }

  /** Sign through the JSON API. */
  async signJson(imprints: readonly Imprint[]): Promise<KsiSignature[]> {
    const response = await this.postJson("/v1/sign", { hashes: imprints.map(hex) });
    if (response.status !== 200)
      throw new Error(`JSON sign answered ${response.status}: ${await response.text()}`);
    const json = (await response.json()) as { signatures: string[] };
    return json.signatures.map((s) => decodeSignature(new Uint8Array(Buffer.from(s, "base64"))));
  }

  /** A JSON POST authenticated as the agency (or with the given headers instead). */
  postJson(path: string, json: unknown, headers?: Record<string, string>): Promise<Response> {
    const body = typeof json === "string" ? json : JSON.stringify(json);
    const mac = createHmac("sha256", this.key).update(body).digest("hex");
    return this.post(path, body, {
      "content-type": "application/json",
      ...(headers ?? { "x-tempel-login-id": this.loginId, "x-tempel-hmac": mac }),
    });
  }

  /** The KSI extender's calendar chain (cached: one round's signatures share it). */
  extend(aggregationTime: number, publicationTime?: number): Promise<CalendarHashChain> {
    const key = `${aggregationTime}/${publicationTime}`;
    let chain = this.#chains.get(key);
    if (chain === undefined) {
      chain = this.#extendNow(aggregationTime, publicationTime);
      this.#chains.set(key, chain);
    }
    return chain;
  }

  async #extendNow(aggregationTime: number, publicationTime?: number): Promise<CalendarHashChain> {
    const request = {
      requestId: this.#requestId++,
      aggregationTime,
      ...(publicationTime !== undefined && { publicationTime }),
    };
    const body = encodeExtendRequestPdu(
      { header: { loginId: this.loginId }, requests: [request] },
      this.key,
      undefined,
      nodeHasher,
    );
    const response = await this.post("/ksi/extender", body, { "content-type": "application/ksi-request" });
    const { pdu } = decodeExtendResponsePdu(new Uint8Array(await response.arrayBuffer()));
    const payload = pdu.responses[0];
    if (payload?.calendarChain === undefined) {
      throw new Error(`extender status 0x${payload?.status.toString(16)}: ${payload?.errorMessage}`);
    }
    return payload.calendarChain;
  }

  /** Internal policy, then the calendar-based policy against this node's extender. */
  async verify(
    signature: KsiSignature,
  ): Promise<{ internal: VerificationResult; calendar: VerificationResult }> {
    const internal = await verifySignature(signature, { hasher: nodeHasher }, internalPolicy);
    const calendar = await verifySignature(
      signature,
      { extender: (t, p) => this.extend(t, p), hasher: nodeHasher },
      calendarPolicy,
    );
    return { internal, calendar };
  }
}

/** The client id of a signature's metadata record: the agency that asked. */
export function agencyOf(signature: KsiSignature): string | undefined {
  const first = signature.aggregationChains[0]?.links[0]?.sibling;
  return first?.kind === "metadata" ? first.metadata.clientId : undefined;
}

/** `tempel-node start` as a child process; resolves once it logged that it serves. */
export async function spawnNode(
  configFile: string,
  args: readonly string[] = [],
): Promise<{ child: ChildProcess; port: number; lines: string[] }> {
  const child = spawn(
    process.execPath,
    [MAIN, "start", "--config", configFile, "--log-level", "info", ...args],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const lines: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const reader = createInterface({ input: child.stderr! });
    reader.on("line", (line) => {
      lines.push(line);
      const record = parseLine(line);
      if (record?.msg === "node started") resolve(Number(String(record.http).split(":").at(-1)));
    });
    child.once("exit", (code) =>
      reject(new Error(`node exited with ${code} before serving:\n${lines.join("\n")}`)),
    );
  });
  return { child, port, lines };
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` until it holds, every 50 ms; a check that throws or rejects (a node down, not serving
 * yet) counts as not yet.
 */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(50);
  }
}

/** `work` over `items` with at most `limit` running at once; results in item order. */
export async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

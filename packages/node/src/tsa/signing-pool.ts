import type { KeyObject } from "node:crypto";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { signSha256 } from "./certificates.ts";
import { TsaError } from "./errors.ts";

/** Tokens signed per message to a worker. */
const SIGNING_CHUNK = 128;

interface Job {
  readonly input: Uint8Array;
  readonly resolve: (signature: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Signs tokens off the event loop. A certified round releases its tokens in a few turns of the loop;
 * the inputs of one turn go to the workers in parts of SIGNING_CHUNK, one message each way per part,
 * and the event loop stays free for HTTP while RSA signatures (about 0.6 ms each) are made. With no
 * threads, signs inline.
 */
export class SigningPool {
  readonly #key: KeyObject;
  readonly #workers: Worker[] = [];
  readonly #waiting = new Map<number, Job[]>();
  #queue: Job[] = [];
  #nextId = 0;
  #nextWorker = 0;
  #flushScheduled = false;

  constructor(key: KeyObject, threads: number) {
    this.#key = key;
    // The worker beside this file, as TypeScript source or built JavaScript.
    const here = fileURLToPath(import.meta.url);
    const url = new URL(`./signing-worker${extname(here)}`, import.meta.url);
    const pem = key.export({ type: "pkcs8", format: "pem" }).toString();
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(url, { workerData: pem });
      worker.on("message", ({ id, signatures }: { id: number; signatures: Uint8Array[] }) => {
        const jobs = this.#waiting.get(id);
        this.#waiting.delete(id);
        jobs?.forEach((job, k) => {
          job.resolve(signatures[k]!);
        });
      });
      worker.on("error", (error) => this.#failAll(error));
      this.#workers.push(worker);
    }
  }

  sign(input: Uint8Array): Promise<Uint8Array> {
    if (this.#workers.length === 0) {
      try {
        return Promise.resolve(signSha256(this.#key, input));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
    this.#failAll(new TsaError("TSA_STOPPING", "the node is stopping"));
  }

  #flush(): void {
    this.#flushScheduled = false;
    const jobs = this.#queue;
    this.#queue = [];
    // In parts, so that a round's first tokens go out while its last are still being signed.
    for (let at = 0; at < jobs.length; at += SIGNING_CHUNK) {
      const part = jobs.slice(at, at + SIGNING_CHUNK);
      const id = this.#nextId++;
      this.#waiting.set(id, part);
      const worker = this.#workers[this.#nextWorker++ % this.#workers.length]!;
      worker.postMessage({ id, inputs: part.map((job) => job.input) });
    }
  }

  #failAll(error: Error): void {
    for (const jobs of this.#waiting.values()) for (const job of jobs) job.reject(error);
    this.#waiting.clear();
  }
}

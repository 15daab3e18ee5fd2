/**
 * The load generator's verification thread: decoding and verifying signatures here keeps the sending
 * thread's timers on time, so latencies measure the cluster, not the generator's own backlog.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Imprint, QuorumTrust } from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import type { Service } from "./protocols.ts";
import { type CheckedResponse, ResponseChecker } from "./response-checker.ts";
import { SignatureVerifier, type VerificationPolicy } from "./signature-verifier.ts";

export interface VerifyWorkerData {
  readonly service: Service;
  readonly policy: VerificationPolicy;
  /** Share of the signatures verified in full; the rest get the cheap checks only. */
  readonly verifyFraction: number;
  readonly trust?: QuorumTrust;
}

export interface VerifyJob {
  readonly id: number;
  readonly body: Uint8Array<ArrayBuffer>;
  /** The request's imprints, concatenated. */
  readonly imprints: Uint8Array;
  readonly imprintBytes: number;
  readonly firstId: bigint;
}

/** The job's response buffer comes back with the verdicts, to be read into again. */
export type VerifyReply = CheckedResponse & { readonly id: number; readonly body: ArrayBuffer };

const data = workerData as VerifyWorkerData;
const checker = new ResponseChecker(
  data.service,
  new SignatureVerifier(data.policy, nodeHasher, data.trust),
  data.verifyFraction,
);

// One job at a time, in arrival order: the memoized upper chains of a round stay warm.
let queue = Promise.resolve();
parentPort!.on("message", (job: VerifyJob) => {
  queue = queue.then(async () => {
    const imprints: Imprint[] = [];
    for (let at = 0; at < job.imprints.length; at += job.imprintBytes) {
      imprints.push(job.imprints.subarray(at, at + job.imprintBytes));
    }
    // A checker that throws is a bug of the generator, not the cluster's fault: counted apart, run goes on.
    const checked = await checker.check(job.body, imprints, job.firstId).catch((error: unknown) => ({
      outcome: `checker_error: ${String(error)}`,
      verdicts: {},
      cheaplyChecked: 0,
      seconds: [],
    }));
    const body = job.body.buffer;
    parentPort!.postMessage({ id: job.id, ...checked, body } satisfies VerifyReply, [body]);
  });
});

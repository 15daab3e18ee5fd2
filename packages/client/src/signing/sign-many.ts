import type { Imprint, KsiSignature } from "@tempel/proto";
import { AbortedError } from "../errors.ts";
import type { SignInput } from "./sign-input.ts";

export interface SignManyOptions {
  /**
   * Hashes per aggregation request: the client aggregates them into one tree and the cluster signs
   * its root, so the tree's height plus `level` must stay within the aggregator's maximum level
   * (20 on a Tempel node). Default 4096 (height 12).
   */
  readonly batchSize?: number;
  /**
   * Requests in flight at once. Each waits for the end of its round, so throughput is about
   * batchSize × concurrency per round. Default 8.
   */
  readonly concurrency?: number;
  /** The level of every input hash in the caller's own tree (0 for plain hashes). */
  readonly level?: number;
  readonly signal?: AbortSignal;
  /** Called as signatures arrive, with how many inputs are signed so far. */
  readonly onProgress?: (signed: number) => void;
}

export const signManyDefaults = { batchSize: 4096, concurrency: 8 } as const;

/** How one batch gets its signatures, in the order of its imprints. */
export type BatchSigner = (imprints: readonly Imprint[], signal: AbortSignal) => Promise<KsiSignature[]>;

/**
 * Hash the inputs in order and sign them in batches, with up to `concurrency` batches in flight:
 * reading and hashing go on while earlier batches wait for their round. Signatures come back in input
 * order. The first failure cancels the batches in flight and is what the call rejects with.
 */
export async function signInBatches(
  inputs: Iterable<SignInput> | AsyncIterable<SignInput>,
  hash: (input: SignInput, signal: AbortSignal) => Promise<Imprint>,
  signBatch: BatchSigner,
  options: SignManyOptions & { readonly batchSize: number; readonly concurrency: number },
): Promise<KsiSignature[]> {
  const cancel = new AbortController();
  const signal =
    options.signal === undefined ? cancel.signal : AbortSignal.any([options.signal, cancel.signal]);
  const signatures: KsiSignature[] = [];
  let failure: unknown;
  let signed = 0;
  // A counter and one waiter rather than Promise.race over the batches in flight: racing them anew
  // each time one finishes costs a reaction per batch in flight, which at thousands in flight made
  // the client, not the cluster, the bottleneck.
  let inFlight = 0;
  let slotFreed: (() => void) | undefined;
  const settled = () => {
    inFlight--;
    slotFreed?.();
    slotFreed = undefined;
  };
  const waitBelow = async (limit: number) => {
    while (inFlight >= limit) {
      await new Promise<void>((resolve) => {
        slotFreed = resolve;
      });
    }
  };

  const dispatch = (imprints: Imprint[], first: number) => {
    inFlight++;
    // Never rejects: a failure, the caller's progress callback's included, is kept and stops the rest.
    signBatch(imprints, signal)
      .then((batchSignatures) => {
        batchSignatures.forEach((signature, i) => {
          signatures[first + i] = signature;
        });
        signed += batchSignatures.length;
        options.onProgress?.(signed);
      })
      .catch((error: unknown) => {
        failure ??= error;
        cancel.abort(error);
      })
      .finally(settled);
  };

  try {
    let batch: Imprint[] = [];
    let next = 0;
    for await (const input of inputs) {
      if (signal.aborted) break;
      batch.push(await hash(input, signal));
      if (batch.length < options.batchSize) continue;
      dispatch(batch, next);
      next += batch.length;
      batch = [];
      await waitBelow(options.concurrency);
    }
    if (batch.length > 0 && !signal.aborted) dispatch(batch, next);
  } catch (error) {
    // Reading or hashing an input failed: stop the batches in flight before passing the error on.
    failure ??= error;
    cancel.abort(error);
  }
  await waitBelow(1);
  if (options.signal?.aborted) throw new AbortedError(options.signal.reason);
  if (failure !== undefined) throw failure;
  return signatures;
}

import { type Signature, TempelClient } from "@tempel/client";
import { nodeHttpTransport } from "@tempel/client/node";
import { bytesEqual, type Imprint, TempelError } from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import type { ClusterDescription } from "../cluster-file.ts";
import { randomImprints } from "../load/protocols.ts";

/** How signMany was driven: the load script's request shape at the rate it sustained. */
export interface SignManyRules {
  /** Hashes per request (signMany's batchSize, the load script's --batch). */
  readonly batch: number;
  /** Requests in flight (signMany's concurrency, the load script's --concurrency at that rate). */
  readonly concurrency: number;
  /** Hashes signed in the run. */
  readonly hashes: number;
  readonly timeoutMs: number;
}

export interface SignManyFigures extends SignManyRules {
  readonly seconds: number;
  /** Hashes signed per second, from the call to its last signature. */
  readonly rate: number;
  /** CPU cores the SDK used (this process) during the run. */
  readonly clientCores: number;
  /** Signatures verified in full afterwards with the internal policy (an evenly spread sample). */
  readonly verifiedSample: number;
}

export class SignManyError extends TempelError {}

/** Signatures of the run verified in full afterwards: one in this many (all are checked for their hash). */
const VERIFY_ONE_IN = 100;

/**
 * The SDK's `signMany` against a running cluster, every node an endpoint, with the same hashes per
 * request and requests in flight as the load script: it aggregates each batch into a tree here and
 * has the cluster sign the root, as KSI clients do, so the nodes do less per hash than for the load
 * script (which sends every hash as its own payload) while this process does the tree and a signature
 * per hash. Every signature returned must be for the hash given; a sample is verified in full after
 * the timed run.
 */
export async function measureSignMany(
  cluster: ClusterDescription,
  rules: SignManyRules,
): Promise<SignManyFigures> {
  // As a Node.js service would: it hashes with OpenSSL and speaks HTTP with node:http rather than fetch.
  const client = new TempelClient({
    endpoints: cluster.nodes.map((node) => node.api),
    transport: nodeHttpTransport(),
    hasher: nodeHasher,
    agency: cluster.agency,
    timeoutMs: rules.timeoutMs,
  });
  const imprints: Imprint[] = [];
  for (let left = rules.hashes; left > 0; left -= rules.batch) {
    imprints.push(...randomImprints(Math.min(left, rules.batch)).imprints);
  }
  const cpu = process.cpuUsage();
  const started = performance.now();
  const signatures = await client.signMany(
    imprints.map((imprint) => ({ imprint })),
    { batchSize: rules.batch, concurrency: rules.concurrency },
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    ...rules,
    seconds,
    rate: rules.hashes / seconds,
    clientCores: (used.user + used.system) / 1e6 / seconds,
    verifiedSample: await checkSignatures(signatures, imprints),
  };
}

async function checkSignatures(
  signatures: readonly Signature[],
  imprints: readonly Imprint[],
): Promise<number> {
  if (signatures.length !== imprints.length) {
    throw new SignManyError(
      "SIGN_MANY_COUNT",
      `signMany returned ${signatures.length} signatures for ${imprints.length} hashes`,
    );
  }
  let verified = 0;
  for (const [i, signature] of signatures.entries()) {
    if (!bytesEqual(signature.inputHash, imprints[i]!)) {
      throw new SignManyError("SIGN_MANY_WRONG_INPUT", `signature ${i} is for another hash`);
    }
    if (i % VERIFY_ONE_IN !== 0) continue;
    const result = await signature.verify({ imprint: imprints[i]! }, { policy: "internal" });
    if (result.result !== "OK") {
      throw new SignManyError("SIGN_MANY_UNVERIFIED", `signature ${i}: ${result.code} ${result.message}`);
    }
    verified++;
  }
  return verified;
}

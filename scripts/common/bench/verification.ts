import {
  decodeSignature,
  type Imprint,
  internalPolicy,
  type KsiSignature,
  nobleHasher,
  type QuorumTrust,
  TempelError,
  verifySignature,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { encodeRequest, randomImprints, type Service } from "../load/protocols.ts";
import { SignatureVerifier } from "../load/signature-verifier.ts";

/** Signatures a cluster handed out, with the hashes they were asked for. */
export interface SignatureSample {
  readonly encoded: readonly Uint8Array[];
  readonly imprints: readonly Imprint[];
}

/** CPU microseconds per signature for each way of checking it, over one sample. */
export interface VerificationFigures {
  readonly signatures: number;
  readonly bytesPerSignature: number;
  readonly decodeMicros: number;
  /** KSI internal policy with nobleHasher (@noble/hashes, as in a browser). */
  readonly internalNobleMicros: number;
  /** The same with node:crypto. */
  readonly internalNodeMicros: number;
  /** The load generator's verifier with the quorum policy: Ed25519 shares once per round. */
  readonly quorumOncePerRoundMicros: number;
}

const BATCH = 1_000;
const REQUEST_TIMEOUT_MS = 60_000;

/** Tries per batch: a keep-alive connection the node closed as it was reused fails without an answer. */
const ATTEMPTS = 3;

/** `count` signatures from a node's JSON API, in batches signed together (a few rounds' worth). */
export async function collectSignatures(
  apiUrl: string,
  service: Service,
  count: number,
): Promise<SignatureSample> {
  const signBatch = async (attempt = 1): Promise<SignatureSample> => {
    const { imprints } = randomImprints(BATCH);
    const { body, headers } = encodeRequest(service, imprints, 1n);
    let response: Response;
    try {
      response = await fetch(`${apiUrl}/v1/sign`, {
        method: "POST",
        body: new Uint8Array(body),
        headers,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      // fetch rejects with a TypeError when no answer came; a batch that was never signed is safe to resend.
      if (error instanceof TypeError && attempt < ATTEMPTS) return signBatch(attempt + 1);
      throw error;
    }
    if (!response.ok)
      throw new TempelError("SIGN_FAILED", `${apiUrl}/v1/sign answered HTTP ${response.status}`);
    const json = (await response.json()) as { signatures: string[] };
    return { imprints, encoded: json.signatures.map((s) => new Uint8Array(Buffer.from(s, "base64"))) };
  };
  const batches = await Promise.all(Array.from({ length: Math.ceil(count / BATCH) }, () => signBatch()));
  return { encoded: batches.flatMap((b) => b.encoded), imprints: batches.flatMap((b) => b.imprints) };
}

export async function measureVerification(
  sample: SignatureSample,
  trust: QuorumTrust,
): Promise<VerificationFigures> {
  const n = sample.encoded.length;
  // CPU time of this process: the cluster that made the sample may still be running beside it.
  const micros = async (work: () => unknown): Promise<number> => {
    const started = process.cpuUsage();
    await work();
    const used = process.cpuUsage(started);
    return (used.user + used.system) / n;
  };
  let signatures: KsiSignature[] = [];
  const decodeMicros = await micros(() => {
    signatures = sample.encoded.map((bytes) => decodeSignature(bytes));
  });
  const withPolicy = (hasher: typeof nobleHasher) => async () => {
    for (const signature of signatures)
      await expectOk(verifySignature(signature, { hasher }, internalPolicy));
  };
  const withVerifier = (verifier: SignatureVerifier) => async () => {
    for (let i = 0; i < n; i++) {
      const verdict = await verifier.verify(signatures[i]!, sample.imprints[i]!);
      if (verdict !== "OK")
        throw new TempelError("SAMPLE_UNVERIFIED", `a sample signature does not verify: ${verdict}`);
    }
  };
  return {
    signatures: n,
    bytesPerSignature: Math.round(sample.encoded.reduce((sum, s) => sum + s.length, 0) / n),
    decodeMicros,
    internalNobleMicros: await micros(withPolicy(nobleHasher)),
    internalNodeMicros: await micros(withPolicy(nodeHasher)),
    quorumOncePerRoundMicros: await micros(withVerifier(new SignatureVerifier("quorum", nodeHasher, trust))),
  };
}

async function expectOk(verdict: ReturnType<typeof verifySignature>): Promise<void> {
  const result = await verdict;
  if (result.result !== "OK")
    throw new Error(`a sample signature does not verify: ${result.code} ${result.message}`);
}

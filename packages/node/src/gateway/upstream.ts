import { TempelClient } from "@tempel/client";
import { nodeHasher, nodeHttpTransport } from "@tempel/client/node";
import type { Imprint, KsiSignature } from "@tempel/proto";
import type { GatewayOptions } from "./options.ts";

/** Where a tier's round roots are signed: a root at its tree level in, its verified signature out. */
export interface Upstream {
  sign(root: Imprint, level: number, signal: AbortSignal): Promise<KsiSignature>;
}

/**
 * The upstream through the SDK's KSI aggregator client (PDU v2 under the tier's own login and HMAC key),
 * so that it may be a Tempel core member, another tier or any KSI aggregator. The SDK fails over
 * between the URLs, hedges a slow one, and accepts an answer only if it is a signature of exactly this
 * root at this level (internal policy): an upstream that answers for something else is treated as down.
 */
export function ksiUpstream(
  options: Pick<
    GatewayOptions,
    "upstream" | "upstreamLoginId" | "upstreamKey" | "upstreamTimeoutMs" | "hedgeAfterMs"
  >,
): Upstream {
  const client = new TempelClient({
    endpoints: options.upstream,
    agency: { loginId: options.upstreamLoginId, key: options.upstreamKey },
    timeoutMs: options.upstreamTimeoutMs,
    // Each URL once: a round that every upstream failed is answered, not retried past its clients' patience.
    retries: options.upstream.length - 1,
    backoffMs: 50,
    hedgeAfterMs: options.hedgeAfterMs,
    transport: nodeHttpTransport(),
    hasher: nodeHasher,
  });
  return {
    sign: async (root, level, signal) => (await client.sign({ imprint: root }, { level, signal })).ksi,
  };
}

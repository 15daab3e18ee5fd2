import { Prng } from "./prng.ts";

/**
 * A seeded model of the KSI hierarchy in simulated time: clients' hashes arrive at gateways, each
 * gateway closes a round every `gatewayRoundMs` and sends its root to one aggregator, each aggregator
 * closes a round every `aggregatorRoundMs` and sends its root to the core, which answers a second's
 * roots `coreAnswerMs` after the second ends. Each tier is one CPU that spends `tierUsPerRequest` on
 * every request it takes (a client's hash at a gateway, a gateway's root at an aggregator); work a
 * round cannot finish within its length is carried over (a queue). A sample of hashes per gateway
 * round is followed from arrival to answer. Only the time and the random draws are simulated.
 */
export interface HierarchyModel {
  readonly clients: number;
  readonly hashesPerSecond: number;
  readonly gateways: number;
  readonly aggregators: number;
  readonly gatewayRoundMs: number;
  readonly aggregatorRoundMs: number;
  /**
   * Rounds aligned to the wall clock as TierRounds closes them: each tier's rounds close its lead
   * before every multiple of its round length since the epoch. Absent: every tier's rounds at a
   * random phase (tiers not synchronised with each other or with the core).
   */
  readonly leadMs?: { readonly gateway: number; readonly aggregator: number };
  /** CPU per request at a tier. */
  readonly tierUsPerRequest: number;
  /** One way between two tiers, drawn uniformly from this range. */
  readonly hopMs: readonly [number, number];
  /** From the end of the core's second to its answers leaving it. */
  readonly coreAnswerMs: number;
  readonly seconds: number;
  readonly seed: number;
}

export interface HierarchyFigures {
  readonly p50Seconds: number;
  readonly p99Seconds: number;
  /** Requests the core received per second (aggregator roots). */
  readonly coreRequestsPerSecond: number;
  /** The busiest gateway's and aggregator's CPU share (above 1 its queue grows without bound). */
  readonly gatewayUtilization: number;
  readonly aggregatorUtilization: number;
}

const SAMPLES_PER_ROUND = 4;

export function simulateHierarchy(model: HierarchyModel): HierarchyFigures {
  const prng = new Prng(model.seed);
  const hop = () => model.hopMs[0] + prng.next() * (model.hopMs[1] - model.hopMs[0]);
  const horizon = model.seconds * 1000;
  const perGatewayPerMs = model.hashesPerSecond / model.gateways / 1000;
  const costMs = model.tierUsPerRequest / 1000;
  // A tier's first close: its lead before its first boundary when aligned, else at a random phase.
  const firstClose = (roundMs: number, leadMs: number | undefined) =>
    leadMs === undefined ? (1 + prng.next()) * roundMs : roundMs - (leadMs % roundMs);
  const aggregatorFirstClose = Array.from({ length: model.aggregators }, () =>
    firstClose(model.aggregatorRoundMs, model.leadMs?.aggregator),
  );
  /** Per aggregator: arrival times (ms) of gateway roots, to be put into rounds afterwards. */
  const arrivals: { at: number; samples: number[] }[][] = Array.from({ length: model.aggregators }, () => []);
  let gatewayBusiest = 0;
  for (let g = 0; g < model.gateways; g++) {
    const first = firstClose(model.gatewayRoundMs, model.leadMs?.gateway);
    const aggregator = g % model.aggregators;
    let backlog = 0;
    let work = 0;
    for (let close = first; close < horizon; close += model.gatewayRoundMs) {
      const count = poisson(prng, perGatewayPerMs * model.gatewayRoundMs);
      work += count * costMs;
      backlog = Math.max(0, backlog + count * costMs - model.gatewayRoundMs);
      const sent = close + backlog;
      const samples: number[] = [];
      for (let i = 0; i < Math.min(SAMPLES_PER_ROUND, count); i++) {
        samples.push(close - prng.next() * model.gatewayRoundMs);
      }
      arrivals[aggregator]!.push({ at: sent + hop(), samples });
    }
    gatewayBusiest = Math.max(gatewayBusiest, work / horizon);
  }
  const latencies: number[] = [];
  let coreRequests = 0;
  let aggregatorBusiest = 0;
  for (let a = 0; a < model.aggregators; a++) {
    const roots = arrivals[a]!.sort((x, y) => x.at - y.at);
    const round = model.aggregatorRoundMs;
    let backlog = 0;
    let next = 0;
    for (let close = aggregatorFirstClose[a]!; close < horizon + round; close += round) {
      const batch: typeof roots = [];
      while (next < roots.length && roots[next]!.at <= close) batch.push(roots[next++]!);
      if (batch.length === 0) continue;
      backlog = Math.max(0, backlog + batch.length * costMs - round);
      const atCore = close + backlog + hop();
      coreRequests++;
      // The core puts a root into the second it arrives in and answers after that second ends.
      const answered = (Math.floor(atCore / 1000) + 1) * 1000 + model.coreAnswerMs;
      const down = hop() + hop();
      for (const root of batch) for (const arrival of root.samples) latencies.push(answered + down - arrival);
    }
    aggregatorBusiest = Math.max(aggregatorBusiest, (roots.length * costMs) / horizon);
  }
  latencies.sort((x, y) => x - y);
  const quantile = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! / 1000;
  return {
    p50Seconds: quantile(0.5),
    p99Seconds: quantile(0.99),
    coreRequestsPerSecond: coreRequests / model.seconds,
    gatewayUtilization: gatewayBusiest,
    aggregatorUtilization: aggregatorBusiest,
  };
}

/** A Poisson draw; the normal approximation past a mean of 50, where counting events would be slow. */
function poisson(prng: Prng, mean: number): number {
  if (mean > 50) {
    const normal = Math.sqrt(-2 * Math.log(1 - prng.next())) * Math.cos(2 * Math.PI * prng.next());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal));
  }
  const limit = Math.exp(-mean);
  let count = 0;
  for (let p = prng.next(); p > limit; p *= prng.next()) count++;
  return count;
}

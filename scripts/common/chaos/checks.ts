import type { LocalCluster } from "../local-cluster.ts";
import { calendarHead, calendarRootAt } from "../node-api.ts";
import type { FaultRecord } from "./faults.ts";
import { isTierFault } from "./plan.ts";

/** Seconds (inclusive) in which no node handed out a signature although load was offered. */
export interface Gap {
  readonly from: number;
  readonly to: number;
}

/**
 * After a fault ends the cluster needs a moment: a restarted node catches up, a new leader's first
 * entries commit. A gap that starts no later than this after some fault ended is that fault's.
 */
export const RECOVERY_SECONDS = 5;
const API_TIMEOUT_MS = 5_000;

/** Runs of seconds without a signature between the first and the last signed second. */
export function signatureGaps(seconds: Iterable<number>): Gap[] {
  const sorted = [...new Set(seconds)].sort((a, b) => a - b);
  const gaps: Gap[] = [];
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]! > sorted[i - 1]! + 1) gaps.push({ from: sorted[i - 1]! + 1, to: sorted[i]! - 1 });
  }
  return gaps;
}

/** The gaps no fault explains: each must overlap a fault's time, widened by a second before and the recovery after. */
export function unexplainedGaps(gaps: readonly Gap[], faults: readonly FaultRecord[]): Gap[] {
  return gaps.filter(
    (gap) =>
      !faults.some(
        (fault) =>
          gap.to >= Math.floor(fault.startedAt) - 1 &&
          gap.from <= Math.ceil(fault.endedAt) + RECOVERY_SECONDS,
      ),
  );
}

/**
 * Every node's calendar root at the same second: equal roots mean equal calendars up to that second
 * (each root commits to every leaf before it). The second is the lowest head, which must lie at or
 * beyond `lastSigned` so the comparison covers the whole run. Returns the violations found.
 */
export async function compareCalendars(cluster: LocalCluster, lastSigned: number): Promise<string[]> {
  const heads = await Promise.all(cluster.nodes.map((node) => calendarHead(node.apiUrl, API_TIMEOUT_MS)));
  const times = heads.map((head) => head.time ?? 0);
  const at = Math.min(...times);
  const violations: string[] = [];
  times.forEach((time, i) => {
    if (time < lastSigned) {
      violations.push(
        `${cluster.nodes[i]!.setup.name}'s calendar ends at ${time}, before the last signed second ${lastSigned}`,
      );
    }
  });
  if (violations.length > 0) return violations;
  const roots = await Promise.all(
    cluster.nodes.map((node) => calendarRootAt(node.apiUrl, at, API_TIMEOUT_MS)),
  );
  if (new Set(roots).size > 1) {
    violations.push(
      `the calendars differ at second ${at}: ${roots.map((root, i) => `${cluster.nodes[i]!.setup.name} ${root}`).join(", ")}`,
    );
  }
  return violations;
}

/** A load request that failed: at which target, what went wrong, and when (Unix seconds). */
export interface TargetFailure {
  readonly target: string;
  readonly kind: string;
  readonly at: number;
}

/** The run's tiers by name; the gateways are load targets, the aggregators their upstream. */
export interface ChaosTiers {
  readonly gateways: readonly string[];
  readonly aggregators: readonly string[];
}

/** What the clients of one gateway saw: signatures, and failures split by whether their tier was down. */
export interface GatewayOutcome {
  readonly gateway: string;
  /** Seconds in which its clients got signatures (all verified with the rest of the run's). */
  readonly signedSeconds: number;
  /** Failures while it or the only aggregator above it was down (until its recovery): expected. */
  readonly whileDown: Readonly<Record<string, number>>;
  /** Failures at any other time. */
  readonly otherwise: Readonly<Record<string, number>>;
}

/**
 * The faults that take `gateway` down for its clients: its own kill, and the kill of an aggregator
 * when there is only one (with more, a gateway fails over to another).
 */
function downFaults(gateway: string, faults: readonly FaultRecord[], tiers: ChaosTiers): FaultRecord[] {
  return faults.filter(
    (fault) =>
      (fault.kind === "kill-gateway" && fault.node === gateway) ||
      (fault.kind === "kill-aggregator" && tiers.aggregators.length === 1),
  );
}

const during = (at: number, fault: FaultRecord) =>
  at >= fault.startedAt - 1 && at <= fault.endedAt + RECOVERY_SECONDS;

export function gatewayOutcomes(
  tiers: ChaosTiers,
  faults: readonly FaultRecord[],
  failures: readonly TargetFailure[],
  secondsByTarget: Readonly<Record<string, readonly number[]>>,
): GatewayOutcome[] {
  return tiers.gateways.map((gateway) => {
    const down = downFaults(gateway, faults, tiers);
    const whileDown: Record<string, number> = {};
    const otherwise: Record<string, number> = {};
    for (const failure of failures) {
      if (failure.target !== gateway) continue;
      const bucket = down.some((fault) => during(failure.at, fault)) ? whileDown : otherwise;
      bucket[failure.kind] = (bucket[failure.kind] ?? 0) + 1;
    }
    return { gateway, signedSeconds: secondsByTarget[gateway]?.length ?? 0, whileDown, otherwise };
  });
}

/**
 * Tier faults the clients must not notice beyond the tier that was down: every gateway not taken
 * down by a tier fault got signatures for a second within it, and every gateway got signatures after
 * the last tier fault that took it down (it, or its aggregator, came back).
 */
export function tierViolations(
  tiers: ChaosTiers,
  faults: readonly FaultRecord[],
  secondsByTarget: Readonly<Record<string, readonly number[]>>,
): string[] {
  const violations: string[] = [];
  for (const gateway of tiers.gateways) {
    const seconds = secondsByTarget[gateway] ?? [];
    const down = downFaults(gateway, faults, tiers);
    for (const fault of faults) {
      if (!isTierFault(fault.kind) || down.includes(fault)) continue;
      const from = Math.floor(fault.startedAt);
      const to = Math.ceil(fault.endedAt);
      if (!seconds.some((second) => second >= from && second <= to)) {
        violations.push(
          `${gateway}'s clients got no signature for seconds ${from}–${to}, while ${fault.node} was down (${fault.kind})`,
        );
      }
    }
    const back = Math.max(...down.map((fault) => Math.ceil(fault.endedAt)));
    if (down.length > 0 && !seconds.some((second) => second >= back)) {
      violations.push(`${gateway}'s clients got no signature after it was back at second ${back}`);
    }
  }
  return violations;
}

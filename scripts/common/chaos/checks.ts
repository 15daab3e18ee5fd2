import type { LocalCluster } from "../local-cluster.ts";
import { calendarHead, calendarRootAt } from "../node-api.ts";
import type { FaultRecord } from "./faults.ts";

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

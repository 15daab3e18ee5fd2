import type { Prng } from "../../../packages/node/test/sim/prng.ts";

/**
 * What the chaos run does to the real node processes, one fault at a time (a cluster of N ≥ 3 must
 * ride out any single faulty member):
 *   kill-leader / kill-follower  kill -9, down for a while, then started again (a real crash)
 *   freeze                       SIGSTOP for 1–3 s, then SIGCONT (a GC pause, a stalled VM)
 *   partition                    the leader or a drawn minority cut off from the others for 5–10 s
 *                                at the libp2p level (the nodes' admin endpoint), then healed
 *   clock                        restarted with its clock off (400 ms to beyond the nodes' clock
 *                                tolerance, ahead or behind), later restarted without
 *   kill-gateway / kill-aggregator  kill -9 of a gateway or aggregator tier in front of the core,
 *                                down for a while, then started again (when the run has tiers)
 */
export type FaultKind =
  | "kill-leader"
  | "kill-follower"
  | "freeze"
  | "partition"
  | "clock"
  | "kill-gateway"
  | "kill-aggregator";

/** The faults that hit a tier rather than a core member. */
export const TIER_FAULTS = {
  "kill-gateway": "gateway",
  "kill-aggregator": "aggregator",
} as const satisfies Partial<Record<FaultKind, "gateway" | "aggregator">>;

export type TierFault = keyof typeof TIER_FAULTS;

export function isTierFault(kind: FaultKind): kind is TierFault {
  return kind in TIER_FAULTS;
}

export interface PlannedFault {
  readonly kind: FaultKind;
  /** Seconds after the load starts. */
  readonly at: number;
  /** How long the fault lasts (for kills: how long the node stays down). */
  readonly seconds: number;
  /** Clock faults: the offset, in milliseconds. */
  readonly offsetMs?: number;
}

export interface PlanOptions {
  readonly durationSeconds: number;
  /** Whether the nodes can run with a clock offset (a node setting). */
  readonly clockFaults: boolean;
  /** The tier kinds the run has, whose processes may be killed too. */
  readonly tiers?: readonly ("gateway" | "aggregator")[];
}

/** Clock offsets drawn (either sign): within the leader's grace, within the tolerance, beyond it. */
const CLOCK_OFFSETS_MS = [400, 2_000, 5_000, 15_000];

/** Load without faults at the start, so the first fault hits a settled cluster. */
export const WARMUP_SECONDS = 5;
/** Load without faults at the end, so every fault's aftermath is seen and healed. */
export const COOLDOWN_SECONDS = 10;
const PAUSE_BETWEEN = { min: 2, max: 6 };

const DURATIONS: Record<FaultKind, { min: number; max: number }> = {
  "kill-leader": { min: 1, max: 5 },
  "kill-follower": { min: 1, max: 5 },
  freeze: { min: 1, max: 3 },
  partition: { min: 5, max: 10 },
  clock: { min: 5, max: 10 },
  "kill-gateway": { min: 1, max: 5 },
  "kill-aggregator": { min: 1, max: 5 },
};

/** A seeded, replayable sequence of faults that fits between the warm-up and the cool-down. */
export function planFaults(prng: Prng, options: PlanOptions): PlannedFault[] {
  const kinds: FaultKind[] = ["kill-leader", "kill-follower", "freeze", "partition"];
  if (options.clockFaults) kinds.push("clock");
  for (const kind of Object.keys(TIER_FAULTS) as TierFault[]) {
    if (options.tiers?.includes(TIER_FAULTS[kind])) kinds.push(kind);
  }
  const end = options.durationSeconds - COOLDOWN_SECONDS;
  const plan: PlannedFault[] = [];
  let at = WARMUP_SECONDS;
  for (;;) {
    const kind = prng.pick(kinds);
    const { min, max } = DURATIONS[kind];
    const seconds = prng.int(min, max);
    if (at + seconds > end) return plan;
    plan.push({
      kind,
      at,
      seconds,
      // Inside the nodes' clock tolerance or beyond it, either way: all must be safe.
      ...(kind === "clock" && { offsetMs: prng.pick([-1, 1]) * prng.pick(CLOCK_OFFSETS_MS) }),
    });
    at += seconds + prng.int(PAUSE_BETWEEN.min, PAUSE_BETWEEN.max);
  }
}

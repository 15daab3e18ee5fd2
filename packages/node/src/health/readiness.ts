import type { AgreementStatus } from "../consensus/index.ts";
import type { QuorumHealth, QuorumView } from "./quorum-health.ts";

export type NotReadyCode = "STOPPING" | "HALTED" | "NO_QUORUM" | "CATCHING_UP";

/** Whether the node can sign now and, when not, why: what /readyz, /v1/status and tempel_ready say. */
export interface Readiness {
  readonly ready: boolean;
  /** Present exactly when not ready. */
  readonly notReady?: { readonly code: NotReadyCode; readonly message: string };
  readonly quorum: QuorumView;
}

export interface ReadinessInputs {
  readonly stopping: boolean;
  readonly agreement: Pick<AgreementStatus, "ready" | "halted">;
  readonly quorum: Pick<QuorumHealth, "view" | "shortfall">;
}

/** The first reason that applies, in the order an operator acts on them. */
export function readiness({ stopping, agreement, quorum }: ReadinessInputs): Readiness {
  const view = quorum.view();
  const notReady = (code: NotReadyCode, message: string): Readiness => ({
    ready: false,
    notReady: { code, message },
    quorum: view,
  });
  if (stopping) return notReady("STOPPING", "the node is shutting down");
  if (agreement.halted !== undefined)
    return notReady("HALTED", `the node halted: ${agreement.halted}; see its log`);
  const lacking = quorum.shortfall();
  if (lacking !== undefined) return notReady("NO_QUORUM", lacking.message);
  if (!agreement.ready) return notReady("CATCHING_UP", "the node is catching up with the cluster's calendar");
  return { ready: true, quorum: view };
}

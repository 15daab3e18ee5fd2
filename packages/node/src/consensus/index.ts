export { type AgreementModules, type AgreementSettings, createAgreement } from "./agreement.ts";
export { topTree } from "./calendar-entry.ts";
export type { ShareSigner } from "./certificate.ts";
export { type Clock, offsetClock, systemClock, type TimerHandle } from "./clock.ts";
export { ConsensusError, type ConsensusErrorCode } from "./errors.ts";
export type { AgreementMetrics } from "./metrics.ts";
export { type AgreementOptions, defaultAgreementOptions } from "./options.ts";
export { type ConsensusDb, ConsensusStore } from "./store.ts";
export type * from "./types.ts";

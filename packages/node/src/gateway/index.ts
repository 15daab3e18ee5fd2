export type { GatewayMetrics } from "./metrics.ts";
export { defaultGatewayOptions, type GatewayOptions } from "./options.ts";
export { TierRounds } from "./tier-rounds.ts";
export { ksiUpstream, type Upstream } from "./upstream.ts";

export type { BackoffOptions } from "./backoff.ts";
export {
  FrameError,
  type FrameErrorCode,
  NetworkConfigError,
  RequestError,
  type RequestErrorCode,
} from "./errors.ts";
export type { GossipValidator, GossipVerdict } from "./gossip.ts";
export type { MessageKind, NetworkMetrics } from "./metrics.ts";
export { createNetwork, type Network, type NetworkModules } from "./network.ts";
export {
  defaultNetworkOptions,
  type NetworkMember,
  type NetworkOptions,
  protocolIds,
  topicId,
} from "./options.ts";
export type { PenaltyOptions } from "./penalties.ts";

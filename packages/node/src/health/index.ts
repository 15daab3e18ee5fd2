export {
  NoQuorumError,
  QuorumHealth,
  type QuorumHealthModules,
  type QuorumHealthOptions,
  type QuorumView,
} from "./quorum-health.ts";
export { type NotReadyCode, type Readiness, type ReadinessInputs, readiness } from "./readiness.ts";

import { type AgencyConfig, defaultRoundOptions, type RoundOptions } from "../aggregation/index.ts";
import { type ApiOptions, defaultApiOptions } from "../api/index.ts";
import { defaultGatewayOptions, type GatewayOptions } from "../gateway/index.ts";
import {
  defaultLoggerOptions,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
} from "../logger/index.ts";
import { defaultMetricsOptions, type MetricsOptions } from "../metrics/index.ts";
import { defaultPublicationOptions, type PublicationOptions } from "../publication/index.ts";
import { defaultStoreOptions, type StoreOptions } from "../store/index.ts";
import { defaultTsaOptions, TSA_ACCESS, type TsaOptions } from "../tsa/index.ts";
import type { Setting } from "./settings.ts";

/** A core member (consensus, calendar) or a gateway/aggregator tier in front of the core. */
export const ROLES = ["core", "gateway"] as const;
export type Role = (typeof ROLES)[number];

export interface NodeConfig {
  role: Role;
  /** Holds the node's keys, certificate, genesis and LevelDB. */
  dataDir: string;
  /** The cluster's genesis file; `<dataDir>/genesis.json` when not set. */
  genesisFile: string;
  api: ApiOptions;
  rounds: RoundOptions;
  store: StoreOptions;
  log: { level: LogLevel; format: LogFormat };
  metrics: MetricsOptions;
  publications: PublicationOptions;
  p2p: { listen: string[] };
  /**
   * Added to the system clock wherever the node reads the time (rounds, agreement, API): chaos runs
   * and tests skew one node's clock with it.
   */
  clock: { offsetMs: number };
  /** The loopback-only control endpoints under /admin/ (partitions for tests and chaos runs). */
  admin: { enabled: boolean };
  /** The RFC 3161 time-stamping authority at POST /tsa (served when the data folder has its key). */
  tsa: TsaOptions;
  agencies: AgencyConfig[];
  /** Used in the gateway role only. */
  gateway: GatewayOptions;
}

export function defaultConfig(): NodeConfig {
  return {
    role: "core",
    dataDir: "",
    genesisFile: "",
    api: { ...defaultApiOptions },
    rounds: { ...defaultRoundOptions },
    store: { ...defaultStoreOptions },
    log: { level: defaultLoggerOptions.level, format: defaultLoggerOptions.format },
    metrics: { ...defaultMetricsOptions },
    publications: { ...defaultPublicationOptions },
    p2p: { listen: [] },
    clock: { offsetMs: 0 },
    admin: { enabled: false },
    tsa: { ...defaultTsaOptions },
    agencies: [],
    gateway: { ...defaultGatewayOptions, upstream: [] },
  };
}

const MIB = 1024 * 1024;
/** A clock off by more than this is a misconfiguration, not a fault worth simulating. */
const MAX_CLOCK_OFFSET_MS = 3_600_000;

export const SETTINGS: readonly Setting[] = [
  {
    path: "role",
    type: { kind: "enum", values: ROLES },
    help: "core: a cluster member; gateway: a tier that aggregates its clients' hashes and signs the roots upstream",
  },
  { path: "dataDir", type: { kind: "path" }, help: "data folder made by `tempel-node init` (required)" },
  {
    path: "genesisFile",
    type: { kind: "path" },
    help: "cluster genesis file (default <dataDir>/genesis.json)",
  },
  { path: "api.host", type: { kind: "string" }, help: "HTTP bind address" },
  { path: "api.port", type: { kind: "integer", min: 0, max: 65_535 }, help: "HTTP port (0: any free port)" },
  {
    path: "api.maxJsonBytes",
    type: { kind: "integer", min: 1024, max: 64 * MIB },
    help: "largest JSON body",
  },
  { path: "api.maxPduBytes", type: { kind: "integer", min: 64, max: 4 + 0xffff }, help: "largest KSI PDU" },
  {
    path: "api.maxSignBatch",
    type: { kind: "integer", min: 1, max: 100_000 },
    help: "most imprints per JSON sign",
  },
  {
    path: "api.maxPduPayloads",
    type: { kind: "integer", min: 1, max: 32 },
    help: "most requests per KSI PDU",
  },
  {
    path: "api.retryAfterSeconds",
    type: { kind: "integer", min: 1, max: 3600 },
    help: "Retry-After on overload",
  },
  {
    path: "api.maxConnections",
    type: { kind: "integer", min: 1, max: 1_000_000 },
    help: "open HTTP connections at most (keep well below `ulimit -Hn`: LevelDB and libp2p need descriptors too)",
  },
  {
    path: "api.maxConnectionsPerAddress",
    type: { kind: "integer", min: 1, max: 1_000_000 },
    help: "open HTTP connections from one client address (IPv6: one /64) at most",
  },
  {
    path: "api.firstRequestTimeoutMs",
    // node:http's head timeout, which must not exceed its 60 s request timeout.
    type: { kind: "integer", min: 100, max: 60_000 },
    help: "a connection without a whole request head this long after it opened is closed",
  },
  {
    path: "rounds.maxPending",
    type: { kind: "integer", min: 1, max: 50_000_000 },
    help: "hashes waiting for signatures above which requests are refused",
  },
  {
    path: "rounds.maxLevel",
    type: { kind: "integer", min: 0, max: 64 },
    help: "highest request level accepted",
  },
  {
    path: "rounds.agencyQuotaPerSecond",
    type: { kind: "integer", min: 1, max: 100_000_000 },
    help: "default hashes per second per agency",
  },
  {
    path: "rounds.contributionDeadlineMs",
    type: { kind: "integer", min: 0, max: 900 },
    help: "how far into the next second a round may still be contributed for the second it closed",
  },
  {
    path: "store.startupCheckSeconds",
    type: { kind: "integer", min: 0, max: 100_000_000 },
    help: "calendar seconds re-verified at start",
  },
  { path: "log.level", type: { kind: "enum", values: LOG_LEVELS }, help: "log level" },
  { path: "log.format", type: { kind: "enum", values: LOG_FORMATS }, help: "log format" },
  { path: "metrics.processMetrics", type: { kind: "boolean" }, help: "export process metrics" },
  {
    path: "publications.pollSeconds",
    type: { kind: "integer", min: 1, max: 3600 },
    help: "seconds between looks at the peers' publications files while a publication is missing",
  },
  {
    path: "publications.certificationWaitSeconds",
    type: { kind: "integer", min: 0, max: 86_400 },
    help: "how long a publisher waits for a publication time's certificate before taking the next certified second",
  },
  {
    path: "publications.publishDelaySeconds",
    type: { kind: "integer", min: 0, max: 2_592_000 },
    help: "a standby publisher publishes only if no peer has this long after the publication time",
  },
  {
    path: "publications.maxFileBytes",
    type: { kind: "integer", min: 64 * 1024, max: 64 * MIB },
    help: "largest publications file taken from a peer",
  },
  {
    path: "publications.peerTimeoutMs",
    type: { kind: "integer", min: 100, max: 120_000 },
    help: "timeout of one request for a peer's publications file",
  },
  {
    path: "p2p.listen",
    type: { kind: "list" },
    help: "libp2p listen multiaddrs (default: the genesis entry's)",
  },
  {
    path: "clock.offsetMs",
    type: { kind: "integer", min: -MAX_CLOCK_OFFSET_MS, max: MAX_CLOCK_OFFSET_MS },
    help: "milliseconds added to the system clock, to test clock faults (at most an hour either way)",
  },
  {
    path: "admin.enabled",
    type: { kind: "boolean" },
    help: "serve POST/DELETE /admin/partition to loopback clients asking for a loopback Host (tests and chaos runs only)",
  },
  {
    path: "tsa.access",
    type: { kind: "enum", values: TSA_ACCESS },
    help: "who gets RFC 3161 tokens at POST /tsa: open (anyone reaching the node), basic (HTTP Basic with an agency's login id and key) or certificate (only at tsa.tlsPort, by client certificate)",
  },
  { path: "tsa.policy", type: { kind: "string" }, help: "TSA policy OID of every token (TSTInfo.policy)" },
  {
    path: "tsa.signingThreads",
    type: { kind: "integer", min: 0, max: 64 },
    help: "worker threads signing RFC 3161 tokens off the event loop (0: on it)",
  },
  {
    path: "tsa.tlsPort",
    type: { kind: "integer", min: 0, max: 65_535 },
    help: "HTTPS port serving POST /tsa to agencies by client certificate (subject CN = login id); 0: none",
  },
  { path: "tsa.tlsCertFile", type: { kind: "path" }, help: "the TSA TLS port's certificate chain (PEM)" },
  { path: "tsa.tlsKeyFile", type: { kind: "path" }, help: "the TSA TLS port's key (PEM, mode 0600)" },
  {
    path: "tsa.clientCaFile",
    type: { kind: "path" },
    help: "CA certificates (PEM) issuing agencies' client certificates for the TSA TLS port",
  },
  {
    path: "gateway.upstream",
    type: { kind: "list" },
    help: "gateway role: upstream KSI aggregator URLs (core members, an aggregator tier, any KSI aggregator)",
  },
  {
    path: "gateway.upstreamLoginId",
    type: { kind: "string" },
    help: "gateway role: login id at the upstream",
  },
  { path: "gateway.upstreamKey", type: { kind: "string" }, help: "gateway role: HMAC key at the upstream" },
  {
    path: "gateway.roundMs",
    type: { kind: "integer", min: 20, max: 1000 },
    help: "gateway role: round length in milliseconds; rounds close at its multiples since the epoch (less gateway.roundLeadMs), so one that divides 1000 lines up with every core second",
  },
  {
    path: "gateway.roundLeadMs",
    type: { kind: "integer", min: 0, max: 999 },
    help: "gateway role: rounds close this long before their wall-clock boundary, so that the root reaches the upstream's round in time: the hop upstream plus a margin, plus the upstream's own lead when it is another tier",
  },
  {
    path: "gateway.maxPending",
    type: { kind: "integer", min: 1, max: 50_000_000 },
    help: "gateway role: hashes waiting for the upstream above which clients are refused",
  },
  {
    path: "gateway.upstreamTimeoutMs",
    type: { kind: "integer", min: 100, max: 60_000 },
    help: "gateway role: timeout of one upstream attempt",
  },
  {
    path: "gateway.hedgeAfterMs",
    type: { kind: "integer", min: 10, max: 60_000 },
    help: "gateway role: ask a second upstream URL when the first has not answered by then",
  },
];

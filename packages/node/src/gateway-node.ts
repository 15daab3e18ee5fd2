import { HashAlgorithm } from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { AgencyRegistry } from "./aggregation/index.ts";
import { type ApiServer, KsiEndpoints, startApiServer } from "./api/index.ts";
import type { NodeConfig } from "./config/index.ts";
import { ConfigError } from "./config/index.ts";
import { ksiUpstream, TierRounds, type Upstream } from "./gateway/index.ts";
import type { Readiness } from "./health/index.ts";
import type { Logger } from "./logger/index.ts";
import { createMetrics } from "./metrics/index.ts";
import type { RunningNode } from "./node.ts";

/**
 * The tier's tree algorithm: the core's (node.ts TIER_ALGORITHM), named here so that starting a
 * gateway loads none of the core's modules (libp2p, LevelDB).
 */
const TIER_ALGORITHM = HashAlgorithm.SHA2_256;

/** How long a stopping gateway waits for its rounds out upstream. */
const STOP_GRACE_MS = 5_000;

/**
 * Start a gateway or aggregator tier: the node's config, agencies and HTTP API (the KSI aggregator
 * endpoint; no extender and no JSON API, which need a calendar) in front of TierRounds, whose roots
 * go upstream. No consensus, calendar, store or libp2p. `upstream` replaces the KSI client upstream
 * (tests).
 */
export async function startGateway(
  config: NodeConfig,
  logger: Logger,
  upstream: Upstream = ksiUpstream(checkedUpstream(config)),
): Promise<RunningNode> {
  const tierId = `gateway:${config.api.host}:${config.api.port}`;
  const metrics = createMetrics(config.metrics);
  const rounds = new TierRounds(config.gateway, {
    upstream,
    tierId,
    algorithm: TIER_ALGORITHM,
    hasher: nodeHasher,
    logger: logger.child({ module: "tier" }),
    metrics: metrics.gateway,
    now: Date.now,
  });
  rounds.start();
  let stopping = false;
  const ready = (): Readiness =>
    stopping
      ? {
          ready: false,
          notReady: { code: "STOPPING", message: "the gateway is shutting down" },
          quorum: { members: 0, needed: 0, reachable: [] },
        }
      : { ready: true, quorum: { members: 0, needed: 0, reachable: [] } };
  const agencies = new AgencyRegistry(config.agencies, config.rounds.agencyQuotaPerSecond);
  const apiLogger = logger.child({ module: "api" });
  let server: ApiServer;
  try {
    server = await startApiServer(config.api, {
      json: undefined,
      ksi: new KsiEndpoints(
        { ...config.api, maxLevel: config.rounds.maxLevel },
        {
          agencies,
          rounds,
          calendar: undefined,
          algorithm: TIER_ALGORITHM,
          hasher: nodeHasher,
          metrics: metrics.api,
          logger: apiLogger,
          now: Date.now,
        },
      ),
      publications: undefined,
      metrics: metrics.api,
      logger: apiLogger,
      ready,
    });
  } catch (error) {
    await rounds.stop(0);
    throw error;
  }
  logger.info("gateway started", {
    http: `${config.api.host}:${server.port}`,
    upstream: config.gateway.upstream,
    roundMs: config.gateway.roundMs,
    roundLeadMs: config.gateway.roundLeadMs,
  });
  if (1000 % config.gateway.roundMs !== 0) {
    logger.warn("gateway.roundMs does not divide 1000: only some rounds close just before a core second", {
      roundMs: config.gateway.roundMs,
      hint: "a length such as 100, 200, 250 or 500 ms lines every second's last round up with the core's",
    });
  }
  let stopped: Promise<void> | undefined;
  return {
    nodeId: tierId,
    port: server.port,
    publications: undefined,
    stop: () => {
      stopped ??= (async () => {
        stopping = true;
        const closed = server.close();
        await rounds.stop(STOP_GRACE_MS);
        await closed;
        logger.info("stopped");
      })();
      return stopped;
    },
  };
}

/** The gateway settings the role needs, or a ConfigError saying which is missing. */
function checkedUpstream(config: NodeConfig): NodeConfig["gateway"] {
  const { gateway } = config;
  if (gateway.upstream.length === 0) {
    throw new ConfigError(
      "CONFIG_INVALID",
      "the gateway role needs its upstream: give --upstream URL[,URL…] (gateway.upstream)",
      { setting: "gateway.upstream" },
    );
  }
  const notHttp = gateway.upstream.find(
    (url) => !URL.canParse(url) || !["http:", "https:"].includes(new URL(url).protocol),
  );
  if (notHttp !== undefined) {
    throw new ConfigError(
      "CONFIG_INVALID",
      `gateway.upstream ${notHttp.slice(0, 100)} is not an http(s) URL: give a KSI aggregator's base URL, e.g. http://core-1:3131`,
      { setting: "gateway.upstream" },
    );
  }
  if (gateway.upstreamLoginId === "" || gateway.upstreamKey === "") {
    throw new ConfigError(
      "CONFIG_INVALID",
      "the gateway role needs its login at the upstream: set gateway.upstreamLoginId and gateway.upstreamKey",
      { setting: "gateway.upstreamLoginId" },
    );
  }
  return gateway;
}

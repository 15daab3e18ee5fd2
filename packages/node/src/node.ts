import { X509Certificate } from "node:crypto";
import { HashAlgorithm, type QuorumTrust } from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { AgencyRegistry, RoundPipeline } from "./aggregation/index.ts";
import { type ApiServer, adminHandler, JsonApi, KsiEndpoints, startApiServer } from "./api/index.ts";
import { startTsaTlsServer } from "./api/tsa-tls-server.ts";
import { Components } from "./components/index.ts";
import type { NodeConfig } from "./config/index.ts";
import {
  type Agreement,
  type AgreementStatus,
  ConsensusStore,
  createAgreement,
  defaultAgreementOptions,
  offsetClock,
} from "./consensus/index.ts";
import { genesisHash, loadGenesis, quorumTrust } from "./genesis/index.ts";
import { QuorumHealth, readiness } from "./health/index.ts";
import { dataPaths, IdentityError, loadCalendarSigner, loadNodeIdentity } from "./identity/index.ts";
import type { Logger } from "./logger/index.ts";
import { createMetrics } from "./metrics/index.ts";
import { createNetwork, defaultNetworkOptions, type Network } from "./network/index.ts";
import { createPublicationService, type PublicationService } from "./publication/index.ts";
import { NodeCalendar, openNodeDb, StoreError } from "./store/index.ts";
import { hasTsaFiles, loadTsaSigner, SigningPool, TimeStampAuthority, tsaFiles } from "./tsa/index.ts";

/** The hash algorithm of every tree the node builds: its own rounds and the cluster's top tree. */
export const AGGREGATION_ALGORITHM = HashAlgorithm.SHA2_256;

/** Certificates whose roots the start-up check recomputes. */
const STARTUP_CERTIFICATES = 16;
/** How long a stopping node lets the round in progress finish. */
const STOP_GRACE_MS = 5_000;

export interface RunningNode {
  readonly nodeId: string;
  /** The HTTP port bound (the configured one, or the one picked for port 0). */
  readonly port: number;
  /** The publication service; undefined when the cluster's genesis names no publications authority. */
  readonly publications: PublicationService | undefined;
  /** Graceful shutdown: stop taking requests, finish or hand back the round, close the store. */
  stop(): Promise<void>;
}

/**
 * Start a node from its configuration: identity and genesis, the store (checked before anything is
 * served), the network and agreement, the rounds, and the HTTP API last.
 */
export async function startNode(config: NodeConfig, logger: Logger): Promise<RunningNode> {
  const paths = dataPaths(config.dataDir);
  const genesis = loadGenesis(config.genesisFile);
  const identity = loadNodeIdentity(paths.nodeKey);
  const member = genesis.members.find((m) => m.id === identity.id);
  if (member === undefined) {
    throw new IdentityError(
      "NOT_A_MEMBER",
      `this node (${identity.id}) is not a member in ${config.genesisFile}`,
    );
  }
  const signer = loadCalendarSigner(paths.calendarKey, paths.calendarCertificate);
  // Before anything opens: a TSA key that is exposed or a certificate that is unfit stops the start.
  const tsaPaths = tsaFiles(config.dataDir);
  const tsaSigner = hasTsaFiles(tsaPaths)
    ? loadTsaSigner(tsaPaths, Math.floor(Date.now() / 1000))
    : undefined;
  if (!new X509Certificate(member.certificatePem).raw.equals(signer.certificateDer)) {
    throw new IdentityError(
      "CERTIFICATE_MISMATCH",
      `${paths.calendarCertificate} is not the certificate the genesis lists for this node`,
    );
  }
  // Every module that reads the wall clock reads this one, so a configured offset skews the whole node.
  const clock = offsetClock(config.clock.offsetMs);
  const now = clock.now;
  if (config.clock.offsetMs !== 0)
    logger.warn("clock offset configured", { offsetMs: config.clock.offsetMs });
  const metrics = createMetrics(config.metrics);
  const components = new Components(logger);
  const db = await openNodeDb(paths.db, { genesisHash: genesisHash(genesis), nodeId: identity.id });
  components.started("store", { stop: () => db.close() });
  // Started next to the store, so stopped after the rounds and the server, which may still be signing tokens.
  const signing = tsaSigner && new SigningPool(tsaSigner.key, config.tsa.signingThreads);
  if (signing !== undefined) components.started("tsa-signing", { stop: () => signing.close() });
  try {
    const calendar = await NodeCalendar.open(
      db,
      { genesisTime: genesis.genesisTime, hasher: nodeHasher },
      metrics.store,
    );
    await checkAtStart(calendar, config.store.startupCheckSeconds, quorumTrust(genesis), logger);
    // Opening checks the stored publications: a node refuses to serve ones that do not check out.
    const publications = await createPublicationService(config.publications, {
      genesis,
      publications: genesis.publications,
      selfId: identity.id,
      dataDir: config.dataDir,
      db,
      calendar,
      now,
      logger: logger.child({ module: "publications" }),
      metrics: metrics.publication,
    });

    const network: Network = await createNetwork(
      {
        ...defaultNetworkOptions,
        clusterId: genesis.clusterId,
        privateKey: identity.privateKey,
        listen: config.p2p.listen.length > 0 ? config.p2p.listen : member.multiaddrs,
        members: genesis.members.map((m) => ({ id: m.id, multiaddrs: m.multiaddrs })),
        topics: [],
      },
      { logger: logger.child({ module: "network" }), metrics: metrics.network },
    );
    const health = new QuorumHealth(
      {
        // "Within two election timeouts" of losing its quorum a node says so.
        silenceMs: 2 * defaultAgreementOptions.electionTimeoutMaxMs,
        checkIntervalMs: defaultAgreementOptions.heartbeatMs,
        // A second needs a majority to commit and the genesis quorum's shares to be certified.
        needed: Math.max(genesis.quorum, Math.floor(genesis.members.length / 2) + 1),
      },
      {
        selfId: identity.id,
        members: genesis.members.map((m) => m.id),
        connected: () => network.connectedPeers(),
        now: () => performance.now(),
        logger: logger.child({ module: "health" }),
      },
    );
    const agreement: Agreement = createAgreement(
      { genesisTime: genesis.genesisTime, quorum: genesis.quorum, hashAlgorithm: AGGREGATION_ALGORITHM },
      {
        transport: health.observe(network),
        members: genesis.members.map((m) => ({ id: m.id, publicKey: m.publicKey })),
        signer: identity.privateKey,
        store: new ConsensusStore(db),
        apply: (entry, own) => calendar.apply(entry, own),
        clock,
        logger,
        metrics: metrics.agreement,
        penalize: (peer, reason) => network.penalize(peer, reason),
        hasher: nodeHasher,
      },
    );
    /** Agreement's status with a leader this node cannot reach shown as none: it leads nobody here. */
    const agreementStatus = (): AgreementStatus => {
      const status = agreement.status();
      return status.leaderId === undefined || health.isReachable(status.leaderId)
        ? status
        : { ...status, leaderId: undefined };
    };
    let stopping = false;
    const ready = () => readiness({ stopping, agreement: agreement.status(), quorum: health });
    metrics.watchAgreement(agreementStatus);
    metrics.watchReadiness(ready);
    await components.start("network", network);
    await components.start("health", health);
    await components.start("agreement", agreement);

    const rounds = new RoundPipeline(config.rounds, {
      agreement,
      calendar,
      signer,
      nodeId: identity.id,
      algorithm: AGGREGATION_ALGORITHM,
      hasher: nodeHasher,
      metrics: metrics.rounds,
      logger: logger.child({ module: "rounds" }),
      now,
      quorum: health,
    });
    let roundsStopped: Promise<void> | undefined;
    await components.start("rounds", {
      start: () => rounds.start(),
      // At once: the rounds stop taking hashes, and answer or hand back the ones the server waits on.
      beforeStop: () => {
        roundsStopped = rounds.stop(STOP_GRACE_MS);
      },
      stop: () => roundsStopped,
    });
    // A publication in progress is finished while the rounds, the calendar and the store are there.
    if (publications !== undefined) await components.start("publications", publications);

    const startedAt = Date.now();
    const agencies = new AgencyRegistry(config.agencies, config.rounds.agencyQuotaPerSecond);
    const apiLogger = logger.child({ module: "api" });
    const status = () => {
      const state = ready();
      const connected = network.connectedPeers();
      return {
        node: {
          id: identity.id,
          uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
          ready: state.ready,
          ...(state.notReady !== undefined && { notReady: state.notReady }),
        },
        cluster: {
          id: genesis.clusterId,
          genesisTime: genesis.genesisTime,
          quorum: genesis.quorum,
          needed: state.quorum.needed,
          members: genesis.members.map((m) => ({
            id: m.id,
            apiUrl: m.apiUrl,
            connected: m.id === identity.id || connected.includes(m.id),
            reachable: state.quorum.reachable.includes(m.id),
          })),
        },
        agreement: agreementStatus(),
        calendar: { head: calendar.head, genesisTime: calendar.genesisTime },
        rounds: { pending: rounds.pending },
      };
    };
    if (tsaSigner === undefined)
      logger.warn("no TSA key in the data folder: POST /tsa is off", { files: tsaPaths });
    const tsa =
      tsaSigner &&
      signing &&
      new TimeStampAuthority(config.tsa, {
        rounds,
        agencies,
        signer: tsaSigner,
        hasher: nodeHasher,
        signing,
        memberIndex: genesis.members.indexOf(member),
        openQuotaPerSecond: config.rounds.agencyQuotaPerSecond,
        metrics: metrics.tsa,
        logger: apiLogger,
      });
    const server: ApiServer = await startApiServer(config.api, {
      json: new JsonApi(
        { maxSignBatch: config.api.maxSignBatch, maxLevel: config.rounds.maxLevel },
        { agencies, rounds, calendar, signer, hasher: nodeHasher, status, now },
      ),
      ksi: new KsiEndpoints(
        { ...config.api, maxLevel: config.rounds.maxLevel },
        {
          agencies,
          rounds,
          calendar,
          algorithm: AGGREGATION_ALGORITHM,
          hasher: nodeHasher,
          metrics: metrics.api,
          logger: apiLogger,
          now,
        },
      ),
      publications,
      metrics: metrics.api,
      logger: apiLogger,
      ready,
      ...(tsa !== undefined && { tsa }),
      ...(config.admin.enabled && {
        admin: adminHandler({
          peers: genesis.members.filter((m) => m.id !== identity.id).map((m) => m.id),
          setBlocked: (peerIds) => network.setBlocked(peerIds),
          logger: apiLogger,
        }),
      }),
    });
    let serverClosed: Promise<void> | undefined;
    components.started("api", {
      // No new connections from here on; the answers in flight, which the rounds give, close theirs.
      beforeStop: () => {
        serverClosed = server.close();
      },
      stop: () => serverClosed,
    });
    const tsaTls =
      tsa !== undefined && config.tsa.tlsPort !== 0
        ? await startTsaTlsServer(
            {
              host: config.api.host,
              port: config.tsa.tlsPort,
              certFile: config.tsa.tlsCertFile,
              keyFile: config.tsa.tlsKeyFile,
              clientCaFile: config.tsa.clientCaFile,
              maxPduBytes: config.api.maxPduBytes,
              retryAfterSeconds: config.api.retryAfterSeconds,
              maxConnections: config.api.maxConnections,
              maxConnectionsPerAddress: config.api.maxConnectionsPerAddress,
            },
            { tsa, metrics: metrics.api, logger: apiLogger },
          )
        : undefined;
    if (tsaTls !== undefined) components.started("tsa-tls", { stop: () => tsaTls.close() });
    logger.info("node started", {
      nodeId: identity.id,
      cluster: genesis.clusterId,
      http: `${config.api.host}:${server.port}`,
      ...(tsaTls !== undefined && { tsaTls: `${config.api.host}:${tsaTls.port}` }),
      p2p: network.listenAddresses(),
      calendarHead: calendar.head,
    });
    let stopped: Promise<void> | undefined;
    return {
      nodeId: identity.id,
      port: server.port,
      publications,
      stop: () => {
        stopped ??= (async () => {
          stopping = true;
          logger.info("stopping");
          await components.stopAll();
          logger.info("stopped");
        })();
        return stopped;
      },
    };
  } catch (error) {
    await components.stopAll();
    throw error;
  }
}

/**
 * Refuse to serve from a store whose recent calendar does not recompute: every answer would carry
 * the fault. `tempel-node check` does the same over the whole calendar.
 */
async function checkAtStart(
  calendar: NodeCalendar,
  seconds: number,
  trust: QuorumTrust,
  logger: Logger,
): Promise<void> {
  const from = Math.max(calendar.genesisTime, calendar.head - seconds + 1);
  const report = await calendar.check(from, STARTUP_CERTIFICATES, trust);
  if (report.problems.length > 0) {
    throw new StoreError(
      "STORE_CORRUPT",
      `the calendar store is corrupt; refusing to serve:\n  ${report.problems.join("\n  ")}`,
      { problems: report.problems },
    );
  }
  logger.info("calendar store checked", {
    from,
    head: report.head,
    leaves: report.leaves,
    nodes: report.nodes,
  });
}

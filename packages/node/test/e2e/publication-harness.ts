import { X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  certificateFromPem,
  decodeQuorumCertificate,
  decodeTlv,
  type GenesisPublications,
  genesisPublicationsToJson,
  type PublicationSchedule,
  type QuorumCertificate,
  setDefaultHasher,
} from "@tempel/proto";
import { Counter, Gauge, type Registry } from "prom-client";
import { AgencyRegistry } from "../../src/aggregation/agency.ts";
import { nodeHasher } from "../../src/aggregation/node-hasher.ts";
import { RoundPipeline } from "../../src/aggregation/rounds.ts";
import { CalendarRangeError } from "../../src/api/calendar-range.ts";
import { HttpError } from "../../src/api/http-error.ts";
import { JsonApi } from "../../src/api/json-api.ts";
import { KsiEndpoints } from "../../src/api/ksi-endpoints.ts";
import { sendError, sendJson } from "../../src/api/respond.ts";
import { startApiServer } from "../../src/api/server.ts";
import type { NodeConfig } from "../../src/config/config.ts";
import { ConsensusStore, createAgreement } from "../../src/consensus/index.ts";
import { type Genesis, genesisHash, genesisToJson, loadGenesis } from "../../src/genesis/genesis.ts";
import { loadCalendarSigner } from "../../src/identity/calendar-signer.ts";
import type { InitResult } from "../../src/identity/init.ts";
import { loadNodeIdentity } from "../../src/identity/node-key.ts";
import { dataPaths } from "../../src/identity/paths.ts";
import { silentLogger } from "../../src/logger/logger.ts";
import { createMetrics } from "../../src/metrics/metrics.ts";
import { createNetwork, defaultNetworkOptions } from "../../src/network/index.ts";
import { AUTHORITY_FILES, createPublicationsAuthority } from "../../src/publication/authority.ts";
import {
  createPublicationService,
  defaultPublicationOptions,
  type PublicationMetrics,
  type PublicationService,
} from "../../src/publication/index.ts";
import { Bucket } from "../../src/store/buckets.ts";
import { type NodeDb, openNodeDb } from "../../src/store/db.ts";
import { numberKey } from "../../src/store/keys.ts";
import { NodeCalendar } from "../../src/store/node-calendar.ts";
import { initTestNode } from "./node-fixtures.ts";

/**
 * A one-member node run in this process as `startNode` runs it, plus the publication service and its
 * routes — the wiring the node gets once publications are mounted (see the report of issue 5). The
 * service's routes are served by a front server that passes every other path on to the node's API,
 * so the front URL is the node as clients will see it.
 */

export const PUBLICATIONS_EMAIL = "publications@e2e.tempel.invalid";

export interface PublishingNodeDir {
  readonly init: InitResult;
  readonly config: NodeConfig;
  /** The genesis `publications` object this cluster would carry: schedule, CA and e-mail. */
  readonly publications: GenesisPublications;
  readonly caCertificatePem: string;
}

/** `tempel-node init` in `dir`, plus a publications authority whose key the node holds. */
export async function initPublishingNodeDir(
  dir: string,
  schedule: PublicationSchedule,
): Promise<PublishingNodeDir> {
  const { init, config } = await initTestNode(dir);
  const keys = await createPublicationsAuthority({
    clusterId: init.genesis.clusterId,
    email: PUBLICATIONS_EMAIL,
    now: init.genesis.genesisTime,
  });
  writeFileSync(join(dir, AUTHORITY_FILES.key), keys.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, AUTHORITY_FILES.certificate), keys.certificatePem);
  return {
    init,
    config,
    publications: {
      schedule,
      authority: { caCertificate: certificateFromPem(keys.caCertificatePem), email: PUBLICATIONS_EMAIL },
    },
    caCertificatePem: keys.caCertificatePem,
  };
}

/** The genesis as the cluster carries it once publications are wired: with its `publications` object. */
export function publishedGenesis(
  genesis: Genesis,
  publications: GenesisPublications,
): Record<string, unknown> {
  return { ...genesisToJson(genesis), publications: genesisPublicationsToJson(publications) };
}

export interface PublishingNode {
  /** The node as clients see it: the publication routes and, passed on, the node's API. */
  readonly url: string;
  readonly nodeId: string;
  readonly genesis: Genesis;
  readonly service: PublicationService;
  readonly metrics: { readonly registry: { metrics(): Promise<string> } };
  stop(): Promise<void>;
}

function publicationMetrics(registry: Registry): PublicationMetrics {
  const registers = [registry];
  return {
    published: new Counter({
      name: "tempel_publications_total",
      help: "Publication records this node made",
      registers,
    }),
    latestPublication: new Gauge({
      name: "tempel_publication_latest_time_seconds",
      help: "Publication time of the newest record served",
      registers,
    }),
    peerFileRejections: new Counter({
      name: "tempel_publication_peer_file_rejections_total",
      help: "Peers' publications files refused, by reason",
      labelNames: ["reason"],
      registers,
    }),
  };
}

/** NodeCalendar has the latest certificate up to a second; publications also need the first from one. */
async function firstCertificate(db: NodeDb, time: number): Promise<QuorumCertificate | undefined> {
  const range = { gte: numberKey(Bucket.certificate, time), lt: Uint8Array.of(Bucket.certificate + 1) };
  for await (const bytes of db.values({ ...range, limit: 1 }))
    return decodeQuorumCertificate(decodeTlv(bytes));
  return undefined;
}

/** Start the node; `port` is the front's (0: any free one; a restart passes the old one). */
export async function startPublishingNode(
  config: NodeConfig,
  publications: GenesisPublications,
  port = 0,
): Promise<PublishingNode> {
  setDefaultHasher(nodeHasher);
  const logger = silentLogger;
  const paths = dataPaths(config.dataDir);
  const genesis = loadGenesis(config.genesisFile);
  const identity = loadNodeIdentity(paths.nodeKey);
  const member = genesis.members.find((m) => m.id === identity.id)!;
  const signer = loadCalendarSigner(paths.calendarKey, paths.calendarCertificate);
  if (!new X509Certificate(member.certificatePem).raw.equals(signer.certificateDer)) {
    throw new Error("the genesis lists another certificate for this node");
  }
  const metrics = createMetrics(config.metrics);
  const db = await openNodeDb(paths.db, { genesisHash: genesisHash(genesis), nodeId: identity.id });
  const calendar = await NodeCalendar.open(
    db,
    { genesisTime: genesis.genesisTime, hasher: nodeHasher },
    metrics,
  );
  const network = await createNetwork(
    {
      ...defaultNetworkOptions,
      clusterId: genesis.clusterId,
      privateKey: identity.privateKey,
      listen: config.p2p.listen.length > 0 ? config.p2p.listen : member.multiaddrs,
      members: genesis.members.map((m) => ({ id: m.id, multiaddrs: m.multiaddrs })),
      topics: [],
    },
    { logger, metrics: metrics.network },
  );
  let rounds: RoundPipeline | undefined;
  const agreement = createAgreement(
    { genesisTime: genesis.genesisTime, quorum: genesis.quorum, hashAlgorithm: 1 },
    {
      transport: network,
      members: genesis.members.map((m) => ({ id: m.id, publicKey: m.publicKey })),
      signer: identity.privateKey,
      store: new ConsensusStore(db),
      apply: (entry) => calendar.apply(entry, rounds?.recordFor(entry)),
      logger,
      metrics: metrics.agreement,
      penalize: (peer, reason) => network.penalize(peer, reason),
    },
  );
  await network.start();
  await agreement.start();
  rounds = new RoundPipeline(config.rounds, {
    agreement,
    calendar,
    signer,
    nodeId: identity.id,
    algorithm: 1,
    hasher: nodeHasher,
    metrics,
    logger,
  });
  rounds.start();
  const agencies = new AgencyRegistry(config.agencies, config.rounds.agencyQuotaPerSecond);
  const now = Date.now;
  const api = await startApiServer(config.api, {
    json: new JsonApi(
      { maxSignBatch: config.api.maxSignBatch, maxLevel: config.rounds.maxLevel },
      { agencies, rounds, calendar, signer, status: () => ({}), now },
    ),
    ksi: new KsiEndpoints(
      { ...config.api, maxLevel: config.rounds.maxLevel },
      { agencies, rounds, calendar, algorithm: 1, metrics, logger, now },
    ),
    metrics,
    logger,
    ready: () => agreement.status().ready,
  });
  const service = (await createPublicationService(defaultPublicationOptions, {
    genesis,
    publications,
    selfId: identity.id,
    dataDir: config.dataDir,
    db,
    calendar: {
      genesisTime: calendar.genesisTime,
      get head() {
        return calendar.head;
      },
      rootAt: (time) => calendar.rootAt(time),
      chain: (time, rootTime) => calendar.chain(time, rootTime),
      certificate: (time) => calendar.certificate(time),
      firstCertificate: (time) => firstCertificate(db, time),
    },
    logger,
    metrics: publicationMetrics(metrics.registry),
  }))!;
  service.start();
  const apiBase = `http://127.0.0.1:${api.port}`;
  const front: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://node");
    const answer = async () => {
      if (url.pathname === "/v1/publications") return service.handlers.publications(request, response, url);
      if (url.pathname === "/v1/calendar/consistency") {
        return sendJson(response, 200, await service.handlers.consistency(url));
      }
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const passed = await fetch(apiBase + (request.url ?? "/"), {
        method: request.method ?? "GET",
        headers: Object.fromEntries(
          Object.entries(request.headers).filter(([, v]) => typeof v === "string") as [string, string][],
        ),
        ...(chunks.length > 0 && { body: Buffer.concat(chunks) }),
      });
      response.writeHead(passed.status, Object.fromEntries(passed.headers));
      response.end(Buffer.from(await passed.arrayBuffer()));
    };
    answer().catch((error: unknown) => {
      if (error instanceof HttpError) sendError(response, error.status, error.code, error.message);
      else if (error instanceof CalendarRangeError) sendError(response, 400, error.code, error.message);
      else sendError(response, 500, "INTERNAL", String(error));
    });
  });
  await new Promise<void>((resolve) => front.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    nodeId: identity.id,
    genesis,
    service,
    metrics,
    stop: async () => {
      await new Promise<void>((resolve) => {
        front.close(() => resolve());
        front.closeAllConnections();
      });
      await service.stop();
      const closed = api.close();
      await rounds.stop(5_000);
      await closed;
      await agreement.stop();
      await network.stop();
      await db.close();
    },
  };
}

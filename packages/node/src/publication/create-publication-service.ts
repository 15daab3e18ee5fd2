import { X509Certificate } from "node:crypto";
import type { GenesisPublications, PublicationSchedule, PublicationsAuthority } from "@tempel/proto";
import { type Genesis, quorumTrust } from "../genesis/index.ts";
import type { Logger } from "../logger/index.ts";
import type { NodeDb } from "../store/index.ts";
import type { PublicationMetrics } from "./metrics.ts";
import type { PublicationOptions } from "./options.ts";
import {
  type PublicationCalendar,
  type PublicationCluster,
  PublicationService,
} from "./publication-service.ts";
import { PublicationStore } from "./publication-store.ts";
import { loadPublicationsKey } from "./publications-key.ts";
import { servedFile } from "./served-file.ts";
import { storedPublicationProblems } from "./stored-check.ts";

type ClusterGenesis = Pick<Genesis, "genesisTime" | "members" | "quorum">;

export interface PublicationServiceModules {
  readonly genesis: ClusterGenesis;
  /** The genesis's `publications` object. */
  readonly publications: GenesisPublications;
  /** This node's member id. */
  readonly selfId: string;
  /** Where a publishing node keeps publications-key.pem and publications-cert.pem. */
  readonly dataDir: string;
  readonly db: NodeDb;
  readonly calendar: PublicationCalendar;
  readonly logger: Logger;
  readonly metrics: PublicationMetrics;
  readonly now?: () => number;
  readonly fetch?: typeof globalThis.fetch;
}

/** What the genesis fixes about publications, as the service reads it. */
export function publicationCluster(
  genesis: ClusterGenesis,
  schedule: PublicationSchedule,
  authority: PublicationsAuthority,
  selfId: string,
): PublicationCluster {
  return {
    genesisTime: genesis.genesisTime,
    schedule,
    authority,
    trust: quorumTrust(genesis),
    memberCertificates: genesis.members.map((m) => new Uint8Array(new X509Certificate(m.certificatePem).raw)),
    peerUrls: genesis.members.filter((m) => m.id !== selfId).map((m) => m.apiUrl),
  };
}

/**
 * `tempel-node check` for publications (node stopped): every stored publication and the file's
 * signature, each problem naming the record's second; empty when sound or when the genesis names no
 * publications authority.
 */
export async function checkStoredPublications(modules: {
  readonly genesis: ClusterGenesis;
  readonly publications: GenesisPublications;
  readonly db: NodeDb;
  readonly calendar: Pick<PublicationCalendar, "head" | "rootAt">;
}): Promise<string[]> {
  const authority = modules.publications.authority;
  if (authority === undefined) return [];
  const { memberCertificates, trust } = publicationCluster(
    modules.genesis,
    modules.publications.schedule,
    authority,
    "",
  );
  const file = await servedFile(memberCertificates, await new PublicationStore(modules.db).load());
  return storedPublicationProblems(file, { authority, trust, calendar: modules.calendar });
}

/**
 * The node's publication service, not yet started: it publishes if the data folder holds the
 * publications key, and mirrors its peers' file otherwise. Undefined when the genesis names no
 * publications authority: such a cluster has no publications file.
 */
export async function createPublicationService(
  options: PublicationOptions,
  modules: PublicationServiceModules,
): Promise<PublicationService | undefined> {
  const { genesis, publications, logger } = modules;
  const authority = publications.authority;
  if (authority === undefined) {
    logger.info("the genesis names no publications authority: no publications file");
    return undefined;
  }
  const now = modules.now ?? Date.now;
  const cluster = publicationCluster(genesis, publications.schedule, authority, modules.selfId);
  const key = await loadPublicationsKey(modules.dataDir, authority, Math.floor(now() / 1000));
  logger.info(
    key === undefined ? "mirroring the peers' publications file" : "publishing with the publications key",
    {
      schedule: publications.schedule,
    },
  );
  return PublicationService.open(options, cluster, {
    store: new PublicationStore(modules.db),
    calendar: modules.calendar,
    key,
    logger,
    metrics: modules.metrics,
    now,
    fetch: modules.fetch ?? globalThis.fetch.bind(globalThis),
  });
}

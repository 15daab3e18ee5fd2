import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  certificateFromPem,
  type GenesisPublications,
  genesisPublicationsToJson,
  type PublicationSchedule,
} from "@tempel/proto";
import type { NodeConfig } from "../../src/config/config.ts";
import { type Genesis, genesisToJson, loadGenesis } from "../../src/genesis/genesis.ts";
import type { InitResult } from "../../src/genesis/index.ts";
import { silentLogger } from "../../src/logger/logger.ts";
import { startNode } from "../../src/node.ts";
import { AUTHORITY_FILES, createPublicationsAuthority } from "../../src/publication/authority.ts";
import type { PublicationService } from "../../src/publication/index.ts";
import { initTestNode } from "./node-fixtures.ts";

/** A one-member node that publishes: `tempel-node init`, a publications authority, and `startNode`. */

export const PUBLICATIONS_EMAIL = "publications@e2e.tempel.invalid";

export interface PublishingNodeDir {
  readonly init: InitResult;
  readonly config: NodeConfig;
  /** The genesis `publications` object the node's genesis now carries: schedule, CA and e-mail. */
  readonly publications: GenesisPublications;
  readonly caCertificatePem: string;
}

/**
 * `tempel-node init` in `dir`, a publications authority whose key the node holds, and the node's
 * genesis rewritten to name that authority and `schedule` (as `tempel-node genesis` would).
 */
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
  const publications: GenesisPublications = {
    schedule,
    authority: { caCertificate: certificateFromPem(keys.caCertificatePem), email: PUBLICATIONS_EMAIL },
  };
  writeFileSync(config.genesisFile, JSON.stringify(publishedGenesis(init.genesis, publications), null, 2));
  return { init, config, publications, caCertificatePem: keys.caCertificatePem };
}

/** `genesis` with `publications` as its `publications` object, in the genesis file's JSON form. */
export function publishedGenesis(
  genesis: Genesis,
  publications: GenesisPublications,
): Record<string, unknown> {
  return { ...genesisToJson(genesis), publications: genesisPublicationsToJson(publications) };
}

export interface PublishingNode {
  readonly url: string;
  readonly nodeId: string;
  readonly genesis: Genesis;
  readonly service: PublicationService;
  stop(): Promise<void>;
}

/** Start the node; `port` is its HTTP port (0: any free one; a restart passes the old one). */
export async function startPublishingNode(
  config: NodeConfig,
  _publications: GenesisPublications,
  port = 0,
): Promise<PublishingNode> {
  const node = await startNode({ ...config, api: { ...config.api, port } }, silentLogger);
  return {
    url: `http://127.0.0.1:${node.port}`,
    nodeId: node.nodeId,
    genesis: loadGenesis(config.genesisFile),
    service: node.publications!,
    stop: () => node.stop(),
  };
}

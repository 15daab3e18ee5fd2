import { nodeHasher } from "@tempel/proto/node";
import type { NodeConfig } from "../config/index.ts";
import { genesisHash, loadGenesis, quorumTrust } from "../genesis/index.ts";
import { dataPaths, loadNodeIdentity } from "../identity/index.ts";
import { createMetrics } from "../metrics/index.ts";
import { checkStoredPublications } from "../publication/index.ts";
import type { CalendarCheckReport } from "../store/index.ts";
import { NodeCalendar, openNodeDb } from "../store/index.ts";

/** Every certificate of a full check is compared with the calendar. */
const ALL_CERTIFICATES = Number.MAX_SAFE_INTEGER;

/**
 * `tempel-node check`: the whole calendar (or from `from` on) and every stored publication, read
 * only, with the node stopped.
 */
export async function checkStore(config: NodeConfig, from: number | undefined): Promise<CalendarCheckReport> {
  const genesis = loadGenesis(config.genesisFile);
  const identity = loadNodeIdentity(dataPaths(config.dataDir).nodeKey);
  const db = await openNodeDb(
    dataPaths(config.dataDir).db,
    { genesisHash: genesisHash(genesis), nodeId: identity.id },
    false,
  );
  try {
    const calendar = await NodeCalendar.open(
      db,
      { genesisTime: genesis.genesisTime, hasher: nodeHasher },
      createMetrics({ processMetrics: false }).store,
    );
    const report = await calendar.check(from ?? genesis.genesisTime, ALL_CERTIFICATES, quorumTrust(genesis));
    const publicationProblems = await checkStoredPublications({
      genesis,
      publications: genesis.publications,
      db,
      calendar,
    });
    return { ...report, problems: [...report.problems, ...publicationProblems] };
  } finally {
    await db.close();
  }
}

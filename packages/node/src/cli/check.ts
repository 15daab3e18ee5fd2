import { nodeHasher } from "../aggregation/node-hasher.ts";
import type { NodeConfig } from "../config/config.ts";
import { genesisHash, loadGenesis } from "../genesis/genesis.ts";
import { loadNodeIdentity } from "../identity/node-key.ts";
import { dataPaths } from "../identity/paths.ts";
import { createMetrics } from "../metrics/metrics.ts";
import type { CalendarCheckReport } from "../store/check.ts";
import { openNodeDb } from "../store/db.ts";
import { NodeCalendar } from "../store/node-calendar.ts";

/** Every certificate of a full check is compared with the calendar. */
const ALL_CERTIFICATES = Number.MAX_SAFE_INTEGER;

/** `tempel-node check`: the whole calendar (or from `from` on), read only, with the node stopped. */
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
      createMetrics({ processMetrics: false }),
    );
    return await calendar.check(from ?? genesis.genesisTime, ALL_CERTIFICATES);
  } finally {
    await db.close();
  }
}

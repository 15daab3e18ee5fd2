import { loadGenesis } from "@tempel/node";
import type { QuorumTrust } from "@tempel/proto";
import type { ClusterDescription, TierEntry } from "../cluster-file.ts";
import type { ProtocolName } from "./protocols.ts";
import type { LoadTarget } from "./run-load.ts";

/** The endpoint of each chosen node (1-based positions in the cluster file; all by default) for `protocol`. */
export function clusterTargets(
  cluster: ClusterDescription,
  protocol: Exclude<ProtocolName, "baseline">,
  positions: readonly number[] = cluster.nodes.map((_, i) => i + 1),
): LoadTarget[] {
  return positions.map((position) => {
    const node = cluster.nodes[position - 1]!;
    return {
      name: `node-${position}`,
      url: protocol === "ksi" ? node.ksi.aggregator : `${node.api}/v1/sign`,
    };
  });
}

/** The KSI aggregators of a cluster's gateway or aggregator tiers (they serve no JSON API). */
export function tierTargets(tiers: readonly TierEntry[]): LoadTarget[] {
  return tiers.map((tier) => ({ name: tier.id, url: tier.ksi.aggregator }));
}

/** What the quorum policy checks certificates against: the members and quorum of the cluster's genesis. */
export function quorumTrust(genesisFile: string): QuorumTrust {
  const genesis = loadGenesis(genesisFile);
  return {
    members: genesis.members.map((m) => ({ id: m.id, publicKey: m.publicKey })),
    quorum: genesis.quorum,
  };
}

import type { TempelError } from "@tempel/proto";
import { arrayAt, countAt, flagAt, objectAt, textAt } from "./json-fields.ts";

/** A cluster has at most this many members (as its genesis allows). */
const MAX_MEMBERS = 64;

export interface MemberStatus {
  readonly id: string;
  readonly apiUrl: string;
  /** Whether the answering node is connected to it (always true for itself). */
  readonly connected: boolean;
  /**
   * Whether the answering node counts it towards a quorum: connected and heard from lately (always
   * true for itself). Absent from nodes that do not report it.
   */
  readonly reachable?: boolean;
}

/** Why a node does not sign now, e.g. NO_QUORUM with "no quorum: 1 of 3 members reachable, 2 needed; …". */
export interface NotReadyReason {
  readonly code: string;
  readonly message: string;
}

/** One node's account of itself and the cluster (GET /v1/status). */
export interface NodeStatus {
  readonly node: {
    readonly id: string;
    readonly uptimeSeconds: number;
    readonly ready: boolean;
    /** Present while not ready, from nodes that say why. */
    readonly notReady?: NotReadyReason;
  };
  readonly cluster: {
    readonly id: string;
    readonly genesisTime: number;
    readonly quorum: number;
    /** Members that must be reachable to sign, when the node reports it. */
    readonly needed?: number;
    readonly members: readonly MemberStatus[];
  };
  readonly agreement: {
    readonly role: string;
    readonly term: number;
    /** Absent while no leader is known. */
    readonly leaderId?: string;
    readonly committed: number;
    readonly applied: number;
    readonly ready: boolean;
  };
  readonly calendar: { readonly head: number; readonly genesisTime: number };
}

/** What `TempelClient.status()` found at one endpoint: its status, or why it has none. */
export type NodeStatusReport =
  | { readonly endpoint: string; readonly status: NodeStatus; readonly error?: undefined }
  | { readonly endpoint: string; readonly status?: undefined; readonly error: TempelError };

function readMember(value: unknown, where: string): MemberStatus {
  const json = objectAt(value, where);
  return {
    id: textAt(json.id, `${where}.id`),
    apiUrl: textAt(json.apiUrl, `${where}.apiUrl`, 2048),
    connected: flagAt(json.connected, `${where}.connected`),
    ...(json.reachable !== undefined && { reachable: flagAt(json.reachable, `${where}.reachable`) }),
  };
}

function readNotReady(value: unknown): NotReadyReason {
  const json = objectAt(value, "node.notReady");
  return {
    code: textAt(json.code, "node.notReady.code", 64),
    message: textAt(json.message, "node.notReady.message", 1024),
  };
}

export function readNodeStatus(value: unknown): NodeStatus {
  const json = objectAt(value, "status");
  const node = objectAt(json.node, "node");
  const cluster = objectAt(json.cluster, "cluster");
  const agreement = objectAt(json.agreement, "agreement");
  const calendar = objectAt(json.calendar, "calendar");
  const leaderId = agreement.leaderId ?? undefined;
  return {
    node: {
      id: textAt(node.id, "node.id"),
      uptimeSeconds: countAt(node.uptimeSeconds, "node.uptimeSeconds"),
      ready: flagAt(node.ready, "node.ready"),
      ...(node.notReady !== undefined && { notReady: readNotReady(node.notReady) }),
    },
    cluster: {
      id: textAt(cluster.id, "cluster.id"),
      genesisTime: countAt(cluster.genesisTime, "cluster.genesisTime"),
      quorum: countAt(cluster.quorum, "cluster.quorum"),
      ...(cluster.needed !== undefined && { needed: countAt(cluster.needed, "cluster.needed") }),
      members: arrayAt(cluster.members, "cluster.members", MAX_MEMBERS).map((m, i) =>
        readMember(m, `cluster.members[${i}]`),
      ),
    },
    agreement: {
      role: textAt(agreement.role, "agreement.role", 32),
      term: countAt(agreement.term, "agreement.term"),
      ...(leaderId !== undefined && { leaderId: textAt(leaderId, "agreement.leaderId") }),
      committed: countAt(agreement.committed, "agreement.committed"),
      applied: countAt(agreement.applied, "agreement.applied"),
      ready: flagAt(agreement.ready, "agreement.ready"),
    },
    calendar: {
      head: countAt(calendar.head, "calendar.head"),
      genesisTime: countAt(calendar.genesisTime, "calendar.genesisTime"),
    },
  };
}

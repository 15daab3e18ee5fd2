import { createHash, X509Certificate } from "node:crypto";
import { type Component, multiaddr } from "@multiformats/multiaddr";
import {
  bytesEqual,
  type PublicationSchedule,
  type PublicationsAuthority,
  publicationScheduleToJson,
} from "@tempel/proto";
import { IdentityError } from "../identity/index.ts";
import { type Genesis, type GenesisMember, genesisToJson, parseGenesis } from "./genesis.ts";
import type { MemberProposal } from "./member-source.ts";

export interface MergeSettings {
  /** Unix seconds: the first second of the cluster's calendar with real entries. */
  readonly genesisTime: number;
  /** Default: derived from the members and the genesis time. */
  readonly clusterId?: string;
  /** Default: the smallest majority of the members. */
  readonly quorum?: number;
  /** Default: what every member's own genesis names, when they all name the same. */
  readonly schedule?: PublicationSchedule;
  /** Default: the one the members' own genesis files name, if any does (they must not differ). */
  readonly authority?: PublicationsAuthority;
}

/** The smallest quorum a genesis accepts: a majority, which is safe while members only crash. */
export function majorityOf(memberCount: number): number {
  return Math.floor(memberCount / 2) + 1;
}

/**
 * Members that may sign a false root (Byzantine) without a second certificate for the same second
 * becoming possible: two quorums share at least 2q - N members, and an honest one among them never
 * signs two roots for a second.
 */
export function byzantineTolerance(memberCount: number, quorum: number): number {
  return Math.max(0, 2 * quorum - memberCount - 1);
}

/**
 * One cluster genesis from the members' own `init` outputs. Members are sorted by peer id, so the
 * same members give the same file whatever order they were named in. Throws IdentityError naming the
 * member (and where it came from) that cannot be part of the cluster.
 */
export function mergeGenesis(proposals: readonly MemberProposal[], settings: MergeSettings): Genesis {
  if (proposals.length === 0)
    throw new IdentityError("GENESIS_MEMBER", "a cluster needs at least one member");
  for (const proposal of proposals) checkCertificate(proposal, settings.genesisTime);
  requireDistinct(proposals, (p) => [p.member.id], "peer id");
  requireDistinct(proposals, (p) => p.member.multiaddrs.map((address) => dialKey(address, p)), "p2p address");
  requireDistinct(proposals, (p) => [new URL(p.member.apiUrl).href], "API URL");
  const members = proposals.map((p) => p.member).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const genesis: Genesis = {
    clusterId: settings.clusterId ?? derivedClusterId(members, settings.genesisTime),
    genesisTime: settings.genesisTime,
    members,
    quorum: settings.quorum ?? majorityOf(members.length),
    roundSeconds: 1,
    publications: publicationsOf(proposals, settings),
  };
  // Every node checks its genesis with these rules at start: what is written here loads there.
  return parseGenesis(genesisToJson(genesis), `of ${members.length} members`);
}

const HOST_PROTOCOLS = new Set(["ip4", "ip6", "dns", "dns4", "dns6"]);

/** `host/port` of a member address, after checking that its peers can dial it (libp2p over TCP). */
function dialKey(address: string, proposal: MemberProposal): string {
  const components = multiaddr(address).getComponents();
  const problem = dialProblem(components, proposal.member.id);
  if (problem !== undefined) {
    throw new IdentityError("GENESIS_MEMBER_ADDRESS", `member ${proposal.source}: ${address} ${problem}`);
  }
  return `${components[0]!.value}/${components[1]!.value}`;
}

function dialProblem(components: readonly Component[], memberId: string): string | undefined {
  const [host, tcp, peer, ...rest] = components;
  if (host === undefined || !HOST_PROTOCOLS.has(host.name)) {
    return "does not start with an IP address or DNS name";
  }
  if (host.value === "0.0.0.0" || host.value === "::")
    return "is a wildcard address, which peers cannot dial";
  if (tcp?.name !== "tcp" || tcp.value === "0") {
    return "has no TCP port that peers can dial (members talk libp2p over TCP)";
  }
  if (peer !== undefined && (peer.name !== "p2p" || peer.value !== memberId)) {
    return "ends in something other than the member's own /p2p/ id";
  }
  return rest.length > 0 ? "has components after the peer id" : undefined;
}

/** Calendar authentication records from the first second on must verify (KSI rule KEY-03). */
function checkCertificate(proposal: MemberProposal, genesisTime: number): void {
  const certificate = new X509Certificate(proposal.member.certificatePem);
  const at = genesisTime * 1000;
  if (at < certificate.validFromDate.getTime() || at > certificate.validToDate.getTime()) {
    throw new IdentityError(
      "GENESIS_MEMBER_CERTIFICATE",
      `member ${proposal.source}: its certificate is valid from ${certificate.validFromDate.toISOString()} ` +
        `to ${certificate.validToDate.toISOString()}, not at the genesis time ${new Date(at).toISOString()}`,
    );
  }
}

function requireDistinct(
  proposals: readonly MemberProposal[],
  keysOf: (proposal: MemberProposal) => readonly string[],
  what: string,
): void {
  const owners = new Map<string, MemberProposal>();
  for (const proposal of proposals) {
    for (const key of new Set(keysOf(proposal))) {
      const owner = owners.get(key);
      if (owner !== undefined) {
        throw new IdentityError(
          "GENESIS_MEMBER_DUPLICATE",
          `members ${owner.source} and ${proposal.source} have the same ${what} ${key}`,
        );
      }
      owners.set(key, proposal);
    }
  }
}

function publicationsOf(
  proposals: readonly MemberProposal[],
  settings: MergeSettings,
): Genesis["publications"] {
  const schedule = settings.schedule ?? commonSchedule(proposals);
  const authority = settings.authority ?? commonAuthority(proposals);
  return authority === undefined ? { schedule } : { schedule, authority };
}

function commonSchedule(proposals: readonly MemberProposal[]): PublicationSchedule {
  const [first, ...others] = proposals.map((p) =>
    JSON.stringify(publicationScheduleToJson(p.publications.schedule)),
  );
  if (others.some((other) => other !== first)) {
    throw new IdentityError(
      "GENESIS_PUBLICATIONS",
      "the members' genesis files name different publication schedules; choose one with --publication-schedule",
    );
  }
  return proposals[0]!.publications.schedule;
}

/**
 * The publications authority a member's genesis names (as `publications-ca init` told its operator
 * to write it), kept: members that name none leave the choice to those that do, and two that name
 * different ones would leave the cluster's publications file without one trusted signer.
 */
function commonAuthority(proposals: readonly MemberProposal[]): PublicationsAuthority | undefined {
  let chosen: MemberProposal | undefined;
  for (const proposal of proposals) {
    const authority = proposal.publications.authority;
    if (authority === undefined) continue;
    const earlier = chosen?.publications.authority;
    if (earlier === undefined) {
      chosen = proposal;
    } else if (!sameAuthority(earlier, authority)) {
      throw new IdentityError(
        "GENESIS_PUBLICATIONS_AUTHORITY",
        `members ${chosen!.source} and ${proposal.source} name different publications authorities; ` +
          "choose one with --publications-authority DIR",
      );
    }
  }
  return chosen?.publications.authority;
}

function sameAuthority(a: PublicationsAuthority, b: PublicationsAuthority): boolean {
  return a.email === b.email && bytesEqual(a.caCertificate, b.caCertificate);
}

/** Names the cluster in its libp2p protocol ids: clusters with other members or times never mix. */
function derivedClusterId(members: readonly GenesisMember[], genesisTime: number): string {
  const digest = createHash("sha256")
    .update(JSON.stringify([genesisTime, members.map((m) => m.id)]))
    .digest("hex");
  return `tempel-${digest.slice(0, 12)}`;
}

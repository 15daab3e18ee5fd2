import {
  type DetachedCmsOptions,
  FormatError,
  fromHex,
  memberListProblem,
  parseGenesisPublications,
  publicationsFileTrust,
  type QuorumMember,
  type QuorumTrust,
} from "@tempel/proto";

/** A genesis names at most this many members; ids are libp2p peer ids, well under 128 characters. */
const MAX_MEMBERS = 64;
const MAX_MEMBER_ID_LENGTH = 128;
const GENESIS_VERSION = 1;

function invalid(problem: string): FormatError {
  return new FormatError("GENESIS_INVALID", `genesis: ${problem}`);
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalid(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function member(value: unknown, index: number): QuorumMember {
  const json = record(value, `members[${index}]`);
  const { id, publicKey } = json;
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_MEMBER_ID_LENGTH) {
    throw invalid(`members[${index}].id must be a peer id`);
  }
  const key = typeof publicKey === "string" ? fromHex(publicKey) : undefined;
  if (key?.length !== 32) throw invalid(`members[${index}].publicKey must be 64 hex digits (Ed25519)`);
  return { id, publicKey: key };
}

/** The genesis object, given parsed or as its text. */
function genesisObject(genesis: unknown): Record<string, unknown> {
  if (typeof genesis !== "string") return record(genesis, "the genesis");
  try {
    return record(JSON.parse(genesis), "the genesis");
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw invalid("not JSON");
  }
}

/**
 * The members and quorum a cluster's genesis file names (parsed JSON or its text): what the quorum
 * certificates of its calendar roots are checked against. Only those fields are read, strictly, and
 * checked as the node checks them.
 */
export function quorumTrustFromGenesis(genesis: unknown): QuorumTrust {
  const root = genesisObject(genesis);
  if (root.version !== GENESIS_VERSION) throw invalid(`version must be ${GENESIS_VERSION}`);
  const list = root.members;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_MEMBERS) {
    throw invalid(`members must list 1..${MAX_MEMBERS} members`);
  }
  const members = list.map(member);
  const quorum = root.quorum;
  if (typeof quorum !== "number") throw invalid("quorum must be a number");
  // The node's own rule: ids are their keys' peer ids, no member or key twice, a majority quorum.
  const problem = memberListProblem({ members, quorum }, { peerIds: true });
  if (problem !== undefined) throw invalid(`${problem.field} ${problem.problem}`);
  return { members, quorum };
}

/**
 * What the cluster's publications file must be signed by, when the genesis names a publications
 * authority: a certificate its CA issued, with the authority's e-mail address.
 */
export function publicationsTrustFromGenesis(genesis: unknown): DetachedCmsOptions | undefined {
  const publications = genesisObject(genesis).publications;
  const authority = publications === undefined ? undefined : parseGenesisPublications(publications).authority;
  return authority === undefined ? undefined : publicationsFileTrust(authority);
}

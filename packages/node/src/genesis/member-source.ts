import { X509Certificate } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { dataPaths, IdentityError, loadCalendarSigner, loadNodeIdentity } from "../identity/index.ts";
import { type Genesis, type GenesisMember, loadGenesis } from "./genesis.ts";

/** A member proposed for a cluster, with what its own genesis asked for the cluster's publications. */
export interface MemberProposal {
  /** The folder or file it was read from, for messages. */
  readonly source: string;
  readonly member: GenesisMember;
  readonly publications: Genesis["publications"];
}

/**
 * Reads the member that `path` proposes: a data folder made by `tempel-node init` (the member is the
 * one its node key names, checked against its certificate), or a genesis file alone, as a member on
 * another machine sends it (it must then list exactly one member: the one proposed).
 */
export function readMemberProposal(path: string): MemberProposal {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch (error) {
    throw new IdentityError("GENESIS_MEMBER", `cannot read member ${path}: ${(error as Error).message}`);
  }
  return isFolder ? fromDataFolder(path) : fromGenesisFile(path);
}

function fromDataFolder(dir: string): MemberProposal {
  const paths = dataPaths(dir);
  // The store remembers the genesis it first ran with and refuses any other: such a member could
  // never start with the cluster's genesis.
  if (existsSync(paths.db)) {
    throw new IdentityError(
      "GENESIS_MEMBER_HAS_RUN",
      `member ${dir} has already run: its store ${paths.db} is bound to the genesis it ran with ` +
        "(delete that folder if its calendar is not needed)",
    );
  }
  const genesis = loadGenesis(paths.genesis);
  const identity = loadNodeIdentity(paths.nodeKey);
  const member = genesis.members.find((m) => m.id === identity.id);
  if (member === undefined) {
    throw new IdentityError(
      "GENESIS_MEMBER",
      `member ${dir}: its node key (${identity.id}) is not a member in ${paths.genesis}`,
    );
  }
  const signer = loadCalendarSigner(paths.calendarKey, paths.calendarCertificate);
  if (!new X509Certificate(member.certificatePem).raw.equals(signer.certificateDer)) {
    throw new IdentityError(
      "GENESIS_MEMBER",
      `member ${dir}: ${paths.calendarCertificate} is not the certificate ${paths.genesis} lists for it`,
    );
  }
  return { source: dir, member, publications: genesis.publications };
}

function fromGenesisFile(file: string): MemberProposal {
  const genesis = loadGenesis(file);
  const [member, ...others] = genesis.members;
  if (member === undefined || others.length > 0) {
    throw new IdentityError(
      "GENESIS_MEMBER",
      `member ${file} lists ${genesis.members.length} members; give each member's own genesis file (from tempel-node init) or data folder`,
    );
  }
  return { source: file, member, publications: genesis.publications };
}

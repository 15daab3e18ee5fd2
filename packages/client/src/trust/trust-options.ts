import {
  type DetachedCmsOptions,
  memberListProblem,
  type QuorumMember,
  type QuorumTrust,
  type SignerConstraints,
} from "@tempel/proto";
import { OptionsError } from "../errors.ts";
import { publicationsTrustFromGenesis, quorumTrustFromGenesis } from "./genesis.ts";

/**
 * What the client trusts, from the cluster's genesis and/or its publications file:
 * - `members` + `quorum`, or `genesis` (the genesis file, parsed or as text) to read them from: quorum
 *   certificates of calendar roots are checked against these keys;
 * - the publications file, to extend to and verify against: signed under `trustAnchors` (DER
 *   certificates the file's CMS signer must chain to) with optional `constraints` on the signer's
 *   subject, or else under the publications authority the genesis names; fetched from
 *   `publicationsFileUrl`, or else from the nodes themselves (GET /v1/publications, with failover).
 */
export interface TrustOptions {
  readonly members?: readonly QuorumMember[];
  readonly quorum?: number;
  readonly genesis?: unknown;
  readonly publicationsFileUrl?: string;
  readonly trustAnchors?: readonly Uint8Array[];
  readonly constraints?: SignerConstraints;
}

export interface PublicationsTrust {
  /** Undefined: the nodes serve the file. */
  readonly url?: string;
  readonly signer: DetachedCmsOptions;
}

export interface ResolvedTrust {
  readonly quorumTrust?: QuorumTrust;
  readonly publications?: PublicationsTrust;
}

function quorumTrust(trust: TrustOptions): QuorumTrust | undefined {
  if (trust.genesis !== undefined) {
    if (trust.members !== undefined || trust.quorum !== undefined) {
      throw new OptionsError("trust: give either genesis or members and quorum, not both");
    }
    return quorumTrustFromGenesis(trust.genesis);
  }
  if ((trust.members === undefined) !== (trust.quorum === undefined)) {
    throw new OptionsError("trust: members and quorum go together");
  }
  if (trust.members === undefined) return undefined;
  const given = { members: trust.members, quorum: trust.quorum! };
  // Ids need not be peer ids here (a caller may name members its own way), but keys count once.
  const problem = memberListProblem(given, { peerIds: false });
  if (problem !== undefined) throw new OptionsError(`trust: ${problem.field} ${problem.problem}`);
  return given;
}

function publicationsTrust(trust: TrustOptions): PublicationsTrust | undefined {
  const { publicationsFileUrl: url, trustAnchors, constraints } = trust;
  if (url !== undefined && !URL.canParse(url)) {
    throw new OptionsError(`trust: publicationsFileUrl ${url} is not a URL`);
  }
  if (trustAnchors === undefined && constraints !== undefined) {
    throw new OptionsError("trust: constraints apply to the signer of given trustAnchors");
  }
  const signer =
    trustAnchors !== undefined
      ? { trustAnchors, ...(constraints !== undefined && { constraints }) }
      : trust.genesis === undefined
        ? undefined
        : publicationsTrustFromGenesis(trust.genesis);
  if (signer === undefined || signer.trustAnchors.length === 0) {
    if (url === undefined && trustAnchors === undefined) return undefined;
    throw new OptionsError(
      "trust: a publications file is only used with the trust anchors its signature must chain to " +
        "(trustAnchors, or a genesis that names a publications authority)",
    );
  }
  return { ...(url !== undefined && { url }), signer };
}

export function resolveTrust(trust: TrustOptions = {}): ResolvedTrust {
  const quorum = quorumTrust(trust);
  const publications = publicationsTrust(trust);
  return {
    ...(quorum !== undefined && { quorumTrust: quorum }),
    ...(publications !== undefined && { publications }),
  };
}

import type { QuorumMember, QuorumTrust, SignerConstraints } from "@tempel/proto";
import { OptionsError } from "../errors.ts";
import { quorumTrustFromGenesis } from "./genesis.ts";

/**
 * What the client trusts, from the cluster's genesis and/or its publications file:
 * - `members` + `quorum`, or `genesis` (the genesis file, parsed or as text) to read them from: quorum
 *   certificates of calendar roots are checked against these keys;
 * - `publicationsFileUrl` + `trustAnchors` (DER certificates the file's CMS signer must chain to) and
 *   optional `constraints` on the signer's subject: publications to extend to and verify against.
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
  readonly url: string;
  readonly trustAnchors: readonly Uint8Array[];
  readonly constraints?: SignerConstraints;
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
  return trust.members === undefined ? undefined : { members: trust.members, quorum: trust.quorum! };
}

function publicationsTrust(trust: TrustOptions): PublicationsTrust | undefined {
  const { publicationsFileUrl: url, trustAnchors, constraints } = trust;
  if (url === undefined) {
    if (trustAnchors !== undefined || constraints !== undefined) {
      throw new OptionsError("trust: trustAnchors and constraints apply to a publicationsFileUrl");
    }
    return undefined;
  }
  if (!URL.canParse(url)) throw new OptionsError(`trust: publicationsFileUrl ${url} is not a URL`);
  if (trustAnchors === undefined || trustAnchors.length === 0) {
    throw new OptionsError(
      "trust: a publications file is only used with the trustAnchors its signature must chain to",
    );
  }
  return { url, trustAnchors, ...(constraints !== undefined && { constraints }) };
}

export function resolveTrust(trust: TrustOptions = {}): ResolvedTrust {
  const quorum = quorumTrust(trust);
  const publications = publicationsTrust(trust);
  return {
    ...(quorum !== undefined && { quorumTrust: quorum }),
    ...(publications !== undefined && { publications }),
  };
}

import {
  encodePublicationString,
  type KsiSignature,
  type PublicationData,
  type QuorumTrust,
} from "@tempel/proto";
import { type TimeJson, timeJson, timeText } from "./time-text.ts";

/**
 * What a signature's proof of time rests on, as `tempel verify` reports it: the publication given or
 * carried, else the quorum certificate, else one key's calendar auth record, else the calendar root
 * alone (which only the calendar can confirm), else nothing past the aggregation.
 */
export type Anchor =
  | { readonly kind: "publication"; readonly time: TimeJson; readonly code: string }
  | {
      readonly kind: "quorum-certificate";
      readonly time: TimeJson;
      /** Distinct members whose shares the certificate holds. */
      readonly signers: number;
      /** The genesis' member count and quorum, when a genesis is known. */
      readonly members?: number;
      readonly quorum?: number;
    }
  | { readonly kind: "calendar-auth-record"; readonly time: TimeJson }
  | { readonly kind: "calendar-root"; readonly time: TimeJson }
  | { readonly kind: "none" };

function publication(data: PublicationData): Anchor {
  return { kind: "publication", time: timeJson(data.publicationTime), code: encodePublicationString(data) };
}

export function signatureAnchor(
  signature: KsiSignature,
  userPublication: PublicationData | undefined,
  trust: QuorumTrust | undefined,
): Anchor {
  if (userPublication !== undefined) return publication(userPublication);
  if (signature.publicationRecord !== undefined)
    return publication(signature.publicationRecord.publishedData);
  const certificate = signature.quorumCertificate;
  if (certificate !== undefined) {
    return {
      kind: "quorum-certificate",
      time: timeJson(certificate.publishedData.publicationTime),
      signers: new Set(certificate.shares.map((share) => share.memberId)).size,
      ...(trust !== undefined && { members: trust.members.length, quorum: trust.quorum }),
    };
  }
  if (signature.calendarAuthRecord !== undefined) {
    return {
      kind: "calendar-auth-record",
      time: timeJson(signature.calendarAuthRecord.publishedData.publicationTime),
    };
  }
  const chain = signature.calendarChain;
  return chain === undefined
    ? { kind: "none" }
    : { kind: "calendar-root", time: timeJson(chain.publicationTime) };
}

export function anchorText(anchor: Anchor): string {
  switch (anchor.kind) {
    case "publication":
      return `publication of ${timeText(anchor.time.unix)}, code ${anchor.code}`;
    case "quorum-certificate": {
      const of =
        anchor.members === undefined
          ? `${anchor.signers} member${anchor.signers === 1 ? "" : "s"} (no genesis to check them against)`
          : `${anchor.signers} of ${anchor.members} members (quorum ${anchor.quorum})`;
      return `quorum certificate of the calendar root at ${timeText(anchor.time.unix)}: ${of}`;
    }
    case "calendar-auth-record":
      return `one key's calendar auth record for the root at ${timeText(anchor.time.unix)}`;
    case "calendar-root":
      return `the calendar root at ${timeText(anchor.time.unix)}, certified by nothing in the signature (--policy calendar asks the cluster)`;
    case "none":
      return "nothing past the aggregation: the signature reaches no calendar root";
  }
}

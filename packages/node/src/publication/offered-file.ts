import {
  bytesEqual,
  checkQuorumCertificate,
  comparePublications,
  encodePublicationsFile,
  type Imprint,
  PkiError,
  type PublicationRecord,
  type PublicationsAuthority,
  publicationsFileTrust,
  type QuorumTrust,
  TempelError,
  toHex,
  verifyPublicationsFile,
} from "@tempel/proto";
import { publicationsFileContent } from "./served-file.ts";

/** What this node knows to judge a peer's publications file with. */
export interface OfferedFileContext {
  readonly authority: PublicationsAuthority;
  readonly trust: QuorumTrust;
  readonly memberCertificates: readonly Uint8Array[];
  /** The publications held here, in file order. */
  readonly held: readonly PublicationRecord[];
  readonly calendar: { readonly head: number; rootAt(time: number): Promise<Imprint> };
}

export type OfferedFileVerdict =
  /** Nothing to take: the same file, an older state of it, or records past this node's calendar head. */
  | { readonly kind: "ignore" }
  | { readonly kind: "adopt"; readonly added: readonly PublicationRecord[]; readonly signature: Uint8Array }
  /** The file must not be served here; `reason` is a PublicationMetrics peerFileRejections label. */
  | { readonly kind: "reject"; readonly reason: string; readonly message: string };

/**
 * Judge a peer's publications file. It is taken only if all of this holds: its CMS signature verifies
 * against the genesis authority; it is the file held here plus records at its end; it is exactly the
 * file this node would build from those records (so every node serves the same bytes); every new
 * record's root is the root this node's calendar has at that second; and every new record carries a
 * quorum certificate of that root signed by a quorum of the members.
 */
export async function judgeOfferedFile(
  bytes: Uint8Array,
  context: OfferedFileContext,
): Promise<OfferedFileVerdict> {
  const reject = (reason: string, message: string): OfferedFileVerdict => ({
    kind: "reject",
    reason,
    message,
  });
  let file: Awaited<ReturnType<typeof verifyPublicationsFile>>;
  try {
    file = await verifyPublicationsFile(bytes, publicationsFileTrust(context.authority));
  } catch (error) {
    if (!(error instanceof TempelError)) throw error;
    return reject(error instanceof PkiError ? "untrusted" : "malformed", error.message);
  }
  const growth = comparePublications(context.held, file.publications);
  if (growth.kind === "same" || growth.kind === "behind") return { kind: "ignore" };
  if (growth.kind === "conflict") {
    const at = growth.offered.publishedData;
    return reject(
      growth.reason,
      `the file rewrites the publications (${growth.reason}) at second ${at.publicationTime}: offered root ${toHex(at.publishedHash)}` +
        (growth.held === undefined ? "" : `, held root ${toHex(growth.held.publishedData.publishedHash)}`),
    );
  }
  const rebuilt = await encodePublicationsFile(
    publicationsFileContent(context.memberCertificates, file.publications),
  );
  if (!bytesEqual(rebuilt, file.signedBytes)) {
    return reject(
      "noncanonical",
      "the file is not the one the genesis and its records make (header or certificates differ)",
    );
  }
  for (const record of growth.added) {
    const { publicationTime: time, publishedHash: root } = record.publishedData;
    if (time > context.calendar.head) return { kind: "ignore" };
    const ours = await context.calendar.rootAt(time);
    if (!bytesEqual(ours, root)) {
      return reject(
        "calendar",
        `publication ${time} has root ${toHex(root)}, this node's calendar ${toHex(ours)}`,
      );
    }
    const certificate = record.quorumCertificate;
    if (
      certificate === undefined ||
      certificate.publishedData.publicationTime !== time ||
      !bytesEqual(certificate.publishedData.publishedHash, root) ||
      checkQuorumCertificate(certificate, context.trust).status !== "certified"
    ) {
      return reject(
        "certificate",
        `publication ${time} has no quorum certificate of its root from the members`,
      );
    }
  }
  return { kind: "adopt", added: growth.added, signature: file.signature };
}

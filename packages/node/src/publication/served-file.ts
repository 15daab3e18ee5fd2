import { createHash } from "node:crypto";
import {
  encodePublicationsFile,
  PUBLICATIONS_FILE_VERSION,
  type PublicationRecord,
  type PublicationsFileContent,
} from "@tempel/proto";
import { certificateIdOf } from "../identity/index.ts";
import type { StoredPublications } from "./publication-store.ts";

/** The publications file as this node serves it. */
export interface ServedFile {
  readonly records: readonly PublicationRecord[];
  readonly signature: Uint8Array;
  readonly bytes: Uint8Array;
  /** Strong HTTP entity tag: lets monitors and peers ask "changed?" without downloading the file. */
  readonly etag: string;
}

/**
 * The signed part of the file: a header whose creation time is the last publication's time (so it
 * is the same on every node), one certificate record per member in genesis order (the certificates
 * that verify the members' calendar authentication records, id = the first 4 bytes of SHA-256 of the
 * DER, as the calendar signer names them), and the publication records.
 */
export function publicationsFileContent(
  memberCertificates: readonly Uint8Array[],
  records: readonly PublicationRecord[],
): PublicationsFileContent {
  return {
    header: {
      version: PUBLICATIONS_FILE_VERSION,
      creationTime: records.at(-1)!.publishedData.publicationTime,
    },
    certificates: memberCertificates.map((der) => ({ id: certificateIdOf(der), der })),
    publications: records,
  };
}

/** The file for stored publications, or undefined before the first one. */
export async function servedFile(
  memberCertificates: readonly Uint8Array[],
  stored: StoredPublications,
): Promise<ServedFile | undefined> {
  const { records, signature } = stored;
  if (records.length === 0 || signature === undefined) return undefined;
  const bytes = await encodePublicationsFile(
    publicationsFileContent(memberCertificates, records),
    () => signature,
  );
  const etag = `"${createHash("sha256").update(bytes).digest("base64url")}"`;
  return { records, signature, bytes, etag };
}

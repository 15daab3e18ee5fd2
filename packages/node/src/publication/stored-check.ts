import {
  bytesEqual,
  checkQuorumCertificate,
  type Imprint,
  type PublicationsAuthority,
  publicationsFileTrust,
  type QuorumTrust,
  TempelError,
  toHex,
  verifyPublicationsFile,
} from "@tempel/proto";
import type { ServedFile } from "./served-file.ts";

export interface StoredCheckContext {
  readonly authority: PublicationsAuthority;
  readonly trust: QuorumTrust;
  readonly calendar: { readonly head: number; rootAt(time: number): Promise<Imprint> };
  /** Check only the newest this many records (the start-up check); all of them when absent. */
  readonly recent?: number;
}

/**
 * Why the stored publications must not be served, each problem naming the record (its second, in
 * bucket `publication`); empty when they are sound. The file rebuilt from the store must carry a CMS
 * signature of the genesis authority (checked at the file's own creation time: this is about the
 * bytes, not about whether the key is still current), and each record checked must hold the
 * calendar's root at its second with a quorum certificate of it.
 */
export async function storedPublicationProblems(
  file: ServedFile | undefined,
  context: StoredCheckContext,
): Promise<string[]> {
  if (file === undefined) return [];
  const problems: string[] = [];
  const name = (time: number) => `publication ${time} (bucket publication)`;
  const last = file.records.at(-1)!.publishedData.publicationTime;
  try {
    await verifyPublicationsFile(file.bytes, publicationsFileTrust(context.authority, new Date(last * 1000)));
  } catch (error) {
    if (!(error instanceof TempelError)) throw error;
    problems.push(`${name(last)}: the file it ends does not verify against the authority: ${error.message}`);
  }
  for (const record of file.records.slice(-(context.recent ?? file.records.length))) {
    const { publicationTime: time, publishedHash: root } = record.publishedData;
    if (time > context.calendar.head) {
      problems.push(`${name(time)} lies beyond the calendar head ${context.calendar.head}`);
      continue;
    }
    const calendarRoot = await context.calendar.rootAt(time);
    if (!bytesEqual(calendarRoot, root)) {
      problems.push(`${name(time)} publishes ${toHex(root)}, the calendar gives ${toHex(calendarRoot)}`);
    }
    const certificate = record.quorumCertificate;
    if (
      certificate === undefined ||
      !bytesEqual(certificate.publishedData.publishedHash, root) ||
      certificate.publishedData.publicationTime !== time ||
      checkQuorumCertificate(certificate, context.trust).status !== "certified"
    ) {
      problems.push(`${name(time)} has no valid quorum certificate of its root`);
    }
  }
  return problems;
}

import { expect } from "vitest";
import { aggregationChainOutput, locationPointer } from "../../src/aggregation/index.ts";
import { Calendar, MemoryCalendarStore } from "../../src/calendar/index.ts";
import { HashAlgorithm, type HashAlgorithmId } from "../../src/hash/algorithms.ts";
import { hashImprint, type Imprint } from "../../src/hash/imprint.ts";
import {
  decodePublicationsFile,
  encodePublicationsFile,
  type PublicationsFile,
} from "../../src/publication/index.ts";
import type {
  AggregationHashChain,
  AggregationLink,
  CalendarHashChain,
  KsiSignature,
  PublicationData,
} from "../../src/signature/types.ts";
import type { Extender, VerificationResult } from "../../src/verification/index.ts";

/**
 * A small calendar with a signature made in it, as a Tempel node would: one aggregation chain from a
 * document hash, the calendar chain to the signing second, and an extender over the same calendar.
 */

export const GENESIS = 1_700_000_000;
export const SIGNED_AT = GENESIS + 5;
/** A later second the calendar reaches, where a publication can be made. */
export const PUBLISHED_AT = GENESIS + 37;

const encoder = new TextEncoder();

export function imprintOf(text: string, algorithm: HashAlgorithmId = HashAlgorithm.SHA2_256): Imprint {
  return hashImprint(algorithm, encoder.encode(text));
}

export interface SignedCalendar {
  readonly calendar: Calendar;
  readonly documentHash: Imprint;
  /** Fresh signature: calendar chain to the signing second, no records. */
  readonly signature: KsiSignature;
  /** The calendar root at PUBLISHED_AT, as printed in a publication. */
  readonly publication: PublicationData;
  /** The signature extended to PUBLISHED_AT, with a publication record. */
  readonly extended: KsiSignature;
  readonly extender: Extender;
}

export interface CalendarVariant {
  /** What the signed document says; another text gives a fork of the same calendar's shape. */
  readonly document?: string;
  /**
   * Hash function of the rounds after the signing second. The calendar's step hash is that of the
   * newer child, so it is also the algorithm of the extended chain's left links and of the root.
   */
  readonly laterRounds?: HashAlgorithmId;
  /** The calendar starts here (e.g. a second in 2001, to show backdating); signed 5 s later. */
  readonly genesisTime?: number;
}

export async function signedCalendar(variant: CalendarVariant = {}): Promise<SignedCalendar> {
  const genesisTime = variant.genesisTime ?? GENESIS;
  const signedAt = genesisTime + (SIGNED_AT - GENESIS);
  const publishedAt = genesisTime + (PUBLISHED_AT - GENESIS);
  const documentHash = imprintOf(variant.document ?? "the document");
  const links: AggregationLink[] = [
    { direction: "left", levelCorrection: 0, sibling: { kind: "imprint", imprint: imprintOf("neighbour") } },
    {
      direction: "right",
      levelCorrection: 2,
      sibling: { kind: "imprint", imprint: imprintOf("other node") },
    },
  ];
  const chain: AggregationHashChain = {
    aggregationTime: signedAt,
    chainIndex: [locationPointer(links)],
    inputHash: documentHash,
    aggregationAlgorithm: HashAlgorithm.SHA2_256,
    links,
  };
  const root = aggregationChainOutput(chain, 0).hash;
  const calendar = await Calendar.open(new MemoryCalendarStore(), { genesisTime });
  for (let second = genesisTime; second <= publishedAt; second++) {
    const algorithm = second > signedAt ? variant.laterRounds : undefined;
    await calendar.append(second, second === signedAt ? root : imprintOf(`round ${second}`, algorithm));
  }
  const publication = { publicationTime: publishedAt, publishedHash: await calendar.rootAt(publishedAt) };
  const signature: KsiSignature = {
    aggregationChains: [chain],
    calendarChain: await calendar.chain(signedAt, signedAt),
  };
  const extended: KsiSignature = {
    aggregationChains: [chain],
    calendarChain: await calendar.chain(signedAt, publishedAt),
    publicationRecord: { publishedData: publication, references: [], repositoryUris: [] },
  };
  const extender: Extender = (aggregationTime, publicationTime) =>
    calendar.chain(aggregationTime, publicationTime ?? calendar.head);
  return { calendar, documentHash, signature, publication, extended, extender };
}

/** An extender that answers with `change` applied to the honest chain. */
export function alteredExtender(
  honest: Extender,
  change: (chain: CalendarHashChain) => CalendarHashChain,
): Extender {
  return async (aggregationTime, publicationTime) => change(await honest(aggregationTime, publicationTime));
}

export function expectResult(
  result: VerificationResult,
  status: VerificationResult["result"],
  code: string | null,
): void {
  expect({ result: result.result, code: result.code }, result.message).toEqual({ result: status, code });
}

/** A publications file with these publications and certificates. */
export async function publicationsFileOf(
  publications: readonly PublicationData[],
  certificates: { id: Uint8Array; der: Uint8Array }[] = [],
): Promise<PublicationsFile> {
  const bytes = await encodePublicationsFile(
    {
      header: { version: 1, creationTime: PUBLISHED_AT + 100 },
      certificates,
      publications: publications.map((publishedData) => ({
        publishedData,
        references: [],
        repositoryUris: [],
      })),
    },
    // The policies take a file whose CMS signature the caller checked; its bytes do not matter here.
    () => new Uint8Array([0x30, 0x00]),
  );
  return decodePublicationsFile(bytes);
}

import {
  bytesEqual,
  type CalendarNodeId,
  calendarStepHash,
  checkQuorumCertificate,
  decodePublicationData,
  decodeQuorumCertificate,
  decodeTlv,
  emptySubtreeRoot,
  type Hasher,
  type Imprint,
  isImprintShaped,
  type QuorumTrust,
  toHex,
} from "@tempel/proto";
import { Bucket } from "./buckets.ts";
import type { LevelCalendarStore } from "./calendar-store.ts";
import type { NodeDb } from "./db.ts";
import { keyNumber, numberKey, numberKeyWithByte } from "./keys.ts";
import type { NodeCalendar } from "./node-calendar.ts";
import { decodeRoundRecord } from "./round-record.ts";

export interface CalendarCheckOptions {
  readonly genesisTime: number;
  /** First second checked; the genesis for a full check. */
  readonly from: number;
  readonly hasher: Hasher;
  /** The latest certificates (and roots this node signed) compared with the calendar. */
  readonly certificates: number;
  /** The genesis members and quorum: each checked certificate must carry a quorum of valid shares. */
  readonly trust: QuorumTrust;
}

export interface CalendarCheckReport {
  readonly head: number | undefined;
  readonly from: number;
  readonly leaves: number;
  readonly nodes: number;
  readonly roundRecords: number;
  readonly certificates: number;
  /** Every inconsistency found, each naming the record; empty when the store is sound. */
  readonly problems: string[];
}

/** Stop collecting after this many problems: one is enough to refuse, a few help to diagnose. */
const MAX_PROBLEMS = 20;
/** Nodes checked per batch of reads. */
const CHUNK = 1024;

/**
 * Recompute the stored calendar from `from` to the head: every stored subtree root must be the step
 * hash of its children, every complete parent of a stored node must be stored (only subtrees of empty
 * seconds are left out), nothing may lie beyond the head, and the latest quorum certificates must
 * cover the roots the calendar gives. Reads only.
 */
export async function checkCalendar(
  db: NodeDb,
  calendar: NodeCalendar,
  store: LevelCalendarStore,
  options: CalendarCheckOptions,
): Promise<CalendarCheckReport> {
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(text);
  };
  const head = await store.readHead();
  const last = head ?? options.genesisTime - 1;
  const from = Math.max(options.from, options.genesisTime);
  let leaves = 0;
  let nodes = 0;

  const checkChunk = async (chunk: { node: CalendarNodeId; value: Uint8Array }[]) => {
    const wanted: CalendarNodeId[] = [];
    for (const { node } of chunk) {
      if (node.height > 0) {
        wanted.push(
          { height: node.height - 1, index: 2 * node.index },
          { height: node.height - 1, index: 2 * node.index + 1 },
        );
      }
      const parent = { height: node.height + 1, index: Math.floor(node.index / 2) };
      if (lastSecond(parent) <= last) wanted.push(parent);
    }
    const values = await readOrEmpty(store, wanted, options.genesisTime);
    let next = 0;
    for (const { node, value } of chunk) {
      const name = `calendar node (height ${node.height}, index ${node.index}, seconds ${firstSecond(node)}..${lastSecond(node)})`;
      if (lastSecond(node) > last) problem(`${name} lies beyond the head ${last}`);
      if (!isImprintShaped(value)) problem(`${name} holds ${toHex(value.subarray(0, 8))}…, not an imprint`);
      if (node.height > 0) {
        const left = values[next++]!;
        const right = values[next++]!;
        if (isImprintShaped(left.value) && isImprintShaped(right.value)) {
          const expected = calendarStepHash(left.value, right.value, options.hasher);
          if (!bytesEqual(expected, value))
            problem(`${name} is ${toHex(value)}, its children hash to ${toHex(expected)}`);
        }
      }
      const parent = { height: node.height + 1, index: Math.floor(node.index / 2) };
      if (lastSecond(parent) <= last && !values[next++]!.stored) {
        problem(
          `${name} is stored but its complete parent (height ${parent.height}, index ${parent.index}) is missing`,
        );
      }
    }
  };

  let chunk: { node: CalendarNodeId; value: Uint8Array }[] = [];
  const flush = async () => {
    await checkChunk(chunk);
    chunk = [];
  };
  for await (const [key, value] of db.iterator({
    gte: numberKey(Bucket.calendarLeaf, from),
    lt: Uint8Array.of(Bucket.calendarLeaf + 1),
  })) {
    leaves++;
    chunk.push({ node: { height: 0, index: keyNumber(key) }, value });
    if (chunk.length >= CHUNK) await flush();
  }
  for await (const [key, value] of db.iterator({
    gte: numberKeyWithByte(Bucket.calendarNode, from, 0),
    lt: Uint8Array.of(Bucket.calendarNode + 1),
  })) {
    nodes++;
    const height = key[9]!;
    const lastCovered = keyNumber(key);
    if (key.length !== 10 || height === 0 || height > 53 || (lastCovered + 1) % 2 ** height !== 0) {
      problem(`calendar node key ${toHex(key)} is malformed`);
      continue;
    }
    chunk.push({ node: { height, index: (lastCovered + 1) / 2 ** height - 1 }, value });
    if (chunk.length >= CHUNK) await flush();
  }
  await flush();

  let roundRecords = 0;
  for await (const [key, value] of db.iterator({
    gte: numberKey(Bucket.round, from),
    lt: Uint8Array.of(Bucket.round + 1),
  })) {
    roundRecords++;
    const time = keyNumber(key);
    try {
      const record = decodeRoundRecord(value);
      if (record.time !== time) problem(`round record ${time} names second ${record.time}`);
      if (time > last) problem(`round record ${time} lies beyond the calendar head ${last}`);
    } catch (error) {
      problem(`round record ${time} does not decode: ${(error as Error).message}`);
    }
  }

  let certificates = 0;
  const certificateRange = {
    gte: numberKey(Bucket.certificate, from),
    lt: Uint8Array.of(Bucket.certificate + 1),
  };
  for await (const [key, value] of db.iterator({
    ...certificateRange,
    reverse: true,
    limit: options.certificates,
  })) {
    certificates++;
    const time = keyNumber(key);
    try {
      const certificate = decodeQuorumCertificate(decodeTlv(value));
      const published = certificate.publishedData;
      const shares = checkQuorumCertificate(certificate, options.trust);
      if (shares.status !== "certified") {
        problem(
          `certificate ${time} is not signed by a quorum of members: ${shares.status}` +
            ("memberId" in shares ? ` (${shares.memberId})` : ""),
        );
      }
      if (published.publicationTime !== time)
        problem(`certificate ${time} covers second ${published.publicationTime}`);
      else if (time > last) problem(`certificate ${time} lies beyond the calendar head ${last}`);
      else {
        const root = await calendar.rootAt(time);
        if (!bytesEqual(root, published.publishedHash)) {
          problem(
            `certificate ${time} certifies root ${toHex(published.publishedHash)}, the calendar gives ${toHex(root)}`,
          );
        }
      }
    } catch (error) {
      problem(`certificate ${time} cannot be checked: ${(error as Error).message}`);
    }
  }

  // What this node signed is evidence too: a root it signed that the calendar no longer gives means
  // the calendar was rewritten under it.
  const signedRange = { gte: numberKey(Bucket.signedRoot, from), lt: Uint8Array.of(Bucket.signedRoot + 1) };
  for await (const [key, value] of db.iterator({
    ...signedRange,
    reverse: true,
    limit: options.certificates,
  })) {
    const time = keyNumber(key);
    try {
      const signed = decodePublicationData(decodeTlv(value));
      if (signed.publicationTime !== time)
        problem(`signed root ${time} covers second ${signed.publicationTime}`);
      else if (time > last) problem(`signed root ${time} lies beyond the calendar head ${last}`);
      else {
        const root = await calendar.rootAt(time);
        if (!bytesEqual(root, signed.publishedHash)) {
          problem(
            `this node signed root ${toHex(signed.publishedHash)} for ${time}, the calendar gives ${toHex(root)}`,
          );
        }
      }
    } catch (error) {
      problem(`signed root ${time} cannot be checked: ${(error as Error).message}`);
    }
  }
  return { head, from, leaves, nodes, roundRecords, certificates, problems };
}

async function readOrEmpty(
  store: LevelCalendarStore,
  nodes: readonly CalendarNodeId[],
  genesisTime: number,
): Promise<{ value: Imprint; stored: boolean }[]> {
  const raw = await store.readRaw(nodes);
  return nodes.map((node, i) => {
    const value = raw[i];
    if (value !== undefined) return { value, stored: true };
    // Before genesis every subtree is empty and never stored; that is not a missing record.
    return { value: emptySubtreeRoot(node.height), stored: lastSecond(node) < genesisTime };
  });
}

function firstSecond(node: CalendarNodeId): number {
  return node.index * 2 ** node.height;
}

function lastSecond(node: CalendarNodeId): number {
  return (node.index + 1) * 2 ** node.height - 1;
}

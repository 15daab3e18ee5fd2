import { encodeCalendarChain, encodeTlv, toHex } from "@tempel/proto";
import { type CalendarReader, calendarChainBetween } from "../store/index.ts";
import { base64, parseSecondsRange } from "./json-input.ts";

export interface ConsistencyCalendar extends CalendarReader {
  rootAt(time: number): Promise<Uint8Array>;
}

/**
 * GET /v1/calendar/consistency?from=T1[&to=T2]: the proof that the calendar root at T1 and the one at
 * T2 (default: the head) belong to one append-only calendar — the calendar hash chain from leaf T1 to
 * the root at T2 (TLV 0x0802, base64), checked with proto's checkCalendarConsistency against roots the
 * caller already holds. Both roots are included for reference only: a proof proves nothing about roots
 * taken from the same answer.
 */
export async function calendarConsistency(
  calendar: ConsistencyCalendar,
  url: URL,
  nowSeconds: number,
): Promise<unknown> {
  const { from, to } = parseSecondsRange(url);
  const proof = await calendarChainBetween(calendar, from, to, nowSeconds);
  const [fromRoot, toRoot] = await Promise.all([
    calendar.rootAt(proof.aggregationTime),
    calendar.rootAt(proof.publicationTime),
  ]);
  return {
    from: proof.aggregationTime,
    to: proof.publicationTime,
    fromRoot: toHex(fromRoot),
    toRoot: toHex(toRoot),
    proof: base64(encodeTlv(encodeCalendarChain(proof))),
  };
}

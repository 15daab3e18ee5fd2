import { FormatError } from "../errors.ts";
import { encodeTlvSequence } from "../tlv/codec.ts";
import { type TlvElement, tlv } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { uintTlv } from "../tlv/values.ts";
import { expectType, readImprint, readTime } from "./readers.ts";
import { CalendarChainTag, SignatureTag } from "./tags.ts";
import type { CalendarHashChain, CalendarLink } from "./types.ts";

const SPECS = [
  { type: CalendarChainTag.PUBLICATION_TIME, name: "publication time", min: 1 },
  { type: CalendarChainTag.AGGREGATION_TIME, name: "aggregation time" },
  { type: CalendarChainTag.INPUT_HASH, name: "input hash", min: 1 },
  { type: CalendarChainTag.LEFT_LINK, name: "left link", max: Number.POSITIVE_INFINITY },
  { type: CalendarChainTag.RIGHT_LINK, name: "right link", max: Number.POSITIVE_INFINITY },
] as const;

export function decodeCalendarChain(element: TlvElement): CalendarHashChain {
  expectType(element, SignatureTag.CALENDAR_CHAIN, "calendar hash chain");
  const fields = new Fields(element, SPECS, "calendar hash chain");
  // A calendar link's value is the sibling imprint itself; wire order is leaf → root.
  const links: CalendarLink[] = [];
  for (const child of fields.children) {
    if (child.type === CalendarChainTag.LEFT_LINK || child.type === CalendarChainTag.RIGHT_LINK) {
      links.push({
        direction: child.type === CalendarChainTag.LEFT_LINK ? "left" : "right",
        sibling: readImprint(child, "calendar link sibling"),
      });
    }
  }
  if (links.length === 0) {
    throw new FormatError("CALENDAR_CHAIN_NO_LINKS", "calendar hash chain: has no links");
  }
  const publicationTime = readTime(fields.required(CalendarChainTag.PUBLICATION_TIME));
  const aggregationTime = fields.optional(CalendarChainTag.AGGREGATION_TIME);
  return {
    publicationTime,
    aggregationTime: aggregationTime === undefined ? publicationTime : readTime(aggregationTime),
    aggregationTimePresent: aggregationTime !== undefined,
    inputHash: readImprint(fields.required(CalendarChainTag.INPUT_HASH), "input hash"),
    links,
    source: element,
  };
}

export function encodeCalendarChain(chain: CalendarHashChain): TlvElement {
  if (chain.source !== undefined) return chain.source;
  const children = [uintTlv(CalendarChainTag.PUBLICATION_TIME, chain.publicationTime)];
  // Written when it was on the wire, and whenever leaving it out would change its meaning.
  if (chain.aggregationTimePresent || chain.aggregationTime !== chain.publicationTime) {
    children.push(uintTlv(CalendarChainTag.AGGREGATION_TIME, chain.aggregationTime));
  }
  children.push(tlv(CalendarChainTag.INPUT_HASH, chain.inputHash));
  for (const link of chain.links) {
    const type = link.direction === "left" ? CalendarChainTag.LEFT_LINK : CalendarChainTag.RIGHT_LINK;
    children.push(tlv(type, link.sibling));
  }
  return tlv(SignatureTag.CALENDAR_CHAIN, encodeTlvSequence(children));
}

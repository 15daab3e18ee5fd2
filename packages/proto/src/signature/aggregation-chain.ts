import { FormatError } from "../errors.ts";
import { composite, type TlvComposite, toElement } from "../tlv/composite.ts";
import type { TlvElement } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { decodeSafeUint, decodeUint } from "../tlv/values.ts";
import { chainFieldsRun, type LinkMemo, linksRun } from "./link-writer.ts";
import { decodeMetadata } from "./metadata.ts";
import { expectType, readAlgorithmId, readImprint, readTime } from "./readers.ts";
import { AggregationChainTag, LinkTag, SignatureTag } from "./tags.ts";
import type { AggregationHashChain, AggregationLink, LinkSibling } from "./types.ts";

const LEGACY_ID_LENGTH = 29;
const LEGACY_ID_MAX_NAME = 25;

/**
 * A legacy client id is exactly 29 octets: 03 00, the name length (at most 25), the UTF-8 name, then
 * zero padding. The leading 03 is a retired algorithm id, so it can never be taken for an imprint.
 */
function checkLegacyId(bytes: Uint8Array): Uint8Array {
  const nameLength = bytes[2] ?? 0;
  const valid =
    bytes.length === LEGACY_ID_LENGTH &&
    bytes[0] === 0x03 &&
    bytes[1] === 0x00 &&
    nameLength <= LEGACY_ID_MAX_NAME &&
    bytes.subarray(3 + nameLength).every((byte) => byte === 0);
  if (!valid) throw new FormatError("LEGACY_ID_INVALID", "aggregation link: malformed legacy client id");
  return bytes;
}

const LINK_SPECS = [
  { type: LinkTag.LEVEL_CORRECTION, name: "level correction" },
  { type: LinkTag.SIBLING_HASH, name: "sibling hash" },
  { type: LinkTag.LEGACY_ID, name: "legacy id" },
  { type: LinkTag.METADATA, name: "metadata" },
] as const;

function decodeSibling(fields: Fields): LinkSibling {
  const hash = fields.optional(LinkTag.SIBLING_HASH);
  const legacyId = fields.optional(LinkTag.LEGACY_ID);
  const metadata = fields.optional(LinkTag.METADATA);
  const present =
    Number(hash !== undefined) + Number(legacyId !== undefined) + Number(metadata !== undefined);
  if (present !== 1) {
    throw new FormatError(
      "LINK_SIBLING_COUNT",
      `aggregation link: needs exactly one of sibling hash, legacy id, metadata; found ${present}`,
    );
  }
  if (hash !== undefined) return { kind: "imprint", imprint: readImprint(hash, "sibling hash") };
  if (legacyId !== undefined) return { kind: "legacyId", bytes: checkLegacyId(legacyId.value) };
  const bytes = metadata!.value;
  return { kind: "metadata", bytes, metadata: decodeMetadata(bytes) };
}

function decodeLink(element: TlvElement): AggregationLink {
  const fields = new Fields(element, LINK_SPECS, "aggregation link");
  const correction = fields.optional(LinkTag.LEVEL_CORRECTION);
  return {
    direction: element.type === AggregationChainTag.LEFT_LINK ? "left" : "right",
    levelCorrection: correction === undefined ? 0 : decodeSafeUint(correction),
    sibling: decodeSibling(fields),
    source: element,
  };
}

const CHAIN_SPECS = [
  { type: AggregationChainTag.AGGREGATION_TIME, name: "aggregation time", min: 1 },
  { type: AggregationChainTag.CHAIN_INDEX, name: "chain index", min: 1, max: Number.POSITIVE_INFINITY },
  { type: AggregationChainTag.INPUT_DATA, name: "input data" },
  { type: AggregationChainTag.INPUT_HASH, name: "input hash", min: 1 },
  { type: AggregationChainTag.AGGREGATION_ALGORITHM, name: "aggregation algorithm", min: 1 },
  { type: AggregationChainTag.LEFT_LINK, name: "left link", max: Number.POSITIVE_INFINITY },
  { type: AggregationChainTag.RIGHT_LINK, name: "right link", max: Number.POSITIVE_INFINITY },
] as const;

export function decodeAggregationChain(element: TlvElement): AggregationHashChain {
  expectType(element, SignatureTag.AGGREGATION_CHAIN, "aggregation hash chain");
  const fields = new Fields(element, CHAIN_SPECS, "aggregation hash chain");
  // Left and right links interleave; their wire order is the chain order (leaf → root).
  const links: AggregationLink[] = [];
  for (const child of fields.children) {
    if (child.type === AggregationChainTag.LEFT_LINK || child.type === AggregationChainTag.RIGHT_LINK) {
      links.push(decodeLink(child));
    }
  }
  if (links.length === 0) {
    throw new FormatError("AGGREGATION_CHAIN_NO_LINKS", "aggregation hash chain: has no links");
  }
  const inputData = fields.optional(AggregationChainTag.INPUT_DATA);
  return {
    aggregationTime: readTime(fields.required(AggregationChainTag.AGGREGATION_TIME)),
    chainIndex: fields.all(AggregationChainTag.CHAIN_INDEX).map(decodeUint),
    ...(inputData !== undefined && { inputData: inputData.value }),
    inputHash: readImprint(fields.required(AggregationChainTag.INPUT_HASH), "input hash"),
    aggregationAlgorithm: readAlgorithmId(
      fields.required(AggregationChainTag.AGGREGATION_ALGORITHM),
      "aggregation algorithm",
    ),
    links,
    source: element,
  };
}

/**
 * The chain as written into a signature: its source, or its fields in canonical order. `memo` lets the
 * chains of a batch share the bytes of their common links (see LinkMemo).
 */
export function aggregationChainPart(
  chain: AggregationHashChain,
  memo?: LinkMemo,
): TlvElement | TlvComposite {
  if (chain.source !== undefined) return chain.source;
  return composite(SignatureTag.AGGREGATION_CHAIN, [chainFieldsRun(chain), linksRun(chain.links, memo)]);
}

export function encodeAggregationChain(chain: AggregationHashChain): TlvElement {
  return toElement(aggregationChainPart(chain));
}

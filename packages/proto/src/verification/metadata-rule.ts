import { FormatError } from "../errors.ts";
import { isImprintShaped } from "../hash/imprint.ts";
import { decodeTlvSequence } from "../tlv/codec.ts";
import { fail, ok } from "./result.ts";
import { rule } from "./rule.ts";

const PADDING = 0x1e;

/**
 * Why the value of a metadata link could be mistaken for a sibling imprint, or undefined when it
 * cannot be. Imprints have odd length, so a metadata record is safe when it has even length and
 * starts with the padding element (header 0x7E, not an algorithm id), or when it is simply not
 * shaped like an imprint.
 */
function metadataAmbiguity(value: Uint8Array): string | undefined {
  let children: ReturnType<typeof decodeTlvSequence>;
  try {
    children = decodeTlvSequence(value);
  } catch (error) {
    if (error instanceof FormatError) return `it is not a TLV sequence (${error.message})`;
    throw error;
  }
  const paddings = children.filter((child) => child.type === PADDING).length;
  if (paddings === 0) return isImprintShaped(value) ? "it has the shape of an imprint" : undefined;
  if (paddings > 1) return "it has more than one padding element";
  const padding = children[0]!;
  if (padding.type !== PADDING) return "the padding is not its first element";
  if (padding.tlv16) return "the padding is not a TLV8 element";
  if (!padding.nonCritical || !padding.forward) return "the padding does not have the N and F flags";
  const v = padding.value;
  if (!(v.length === 1 || v.length === 2) || !v.every((byte) => byte === 0x01)) {
    return "the padding value is neither 01 nor 01 01";
  }
  if (value.length % 2 !== 0) return "it has odd length despite the padding";
  return undefined;
}

/** INT-11: no metadata record in the aggregation chains can be read as a hash. */
export const metadataRule = rule("AggregationChainMetadata", (context) => {
  const chains = context.signature.aggregationChains;
  for (let i = 0; i < chains.length; i++) {
    for (const link of chains[i]!.links) {
      if (link.sibling.kind !== "metadata") continue;
      const ambiguity = metadataAmbiguity(link.sibling.bytes);
      if (ambiguity !== undefined) {
        return fail(
          "AggregationChainMetadata",
          "INT-11",
          `a metadata record in chain ${i + 1}: ${ambiguity}`,
        );
      }
    }
  }
  return ok("AggregationChainMetadata");
});

import { FormatError } from "../errors.ts";
import { childrenOf } from "./codec.ts";
import { type TlvElement, typeHex } from "./element.ts";

export interface FieldSpec {
  readonly type: number;
  readonly name: string;
  /** Minimum occurrences (default 0). */
  readonly min?: number;
  /** Maximum occurrences (default 1). */
  readonly max?: number;
}

/**
 * The children of a composite element, checked strictly against `specs`: cardinalities hold,
 * unknown critical children are an error, unknown non-critical children are skipped (they stay in
 * the element's bytes, so re-encoding from the source keeps them). Spec lists are a handful of
 * entries, so a child finds its spec by a scan and each spec's first child sits in an array: a
 * signature decodes one of these per link, where a map per element cost more than the decoding.
 */
export class Fields {
  readonly element: TlvElement;
  readonly children: readonly TlvElement[];
  readonly #specs: readonly FieldSpec[];
  /** Per spec: its first child. */
  readonly #first: (TlvElement | undefined)[];

  constructor(element: TlvElement, specs: readonly FieldSpec[], what: string) {
    this.element = element;
    this.children = childrenOf(element);
    this.#specs = specs;
    this.#first = new Array(specs.length).fill(undefined);
    const counts: number[] = new Array(specs.length).fill(0);
    for (const child of this.children) {
      const at = specPosition(specs, child.type);
      if (at < 0) {
        if (child.nonCritical) continue;
        throw new FormatError(
          "TLV_UNKNOWN_CRITICAL",
          `${what}: unknown critical element ${typeHex(child.type)}`,
          { type: child.type },
        );
      }
      if (counts[at]!++ === 0) this.#first[at] = child;
    }
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      const count = counts[i]!;
      if (count < (spec.min ?? 0)) {
        throw new FormatError("TLV_MISSING", `${what}: ${spec.name} (${typeHex(spec.type)}) is missing`, {
          type: spec.type,
        });
      }
      const max = spec.max ?? 1;
      if (count > max) {
        throw new FormatError(
          "TLV_DUPLICATE",
          `${what}: ${spec.name} (${typeHex(spec.type)}) occurs ${count} times, at most ${max} allowed`,
          { type: spec.type },
        );
      }
    }
  }

  /** Every child of a type named in the specs, in wire order. */
  all(type: number): TlvElement[] {
    if (specPosition(this.#specs, type) < 0) return [];
    return this.children.filter((child) => child.type === type);
  }

  optional(type: number): TlvElement | undefined {
    const at = specPosition(this.#specs, type);
    return at < 0 ? undefined : this.#first[at];
  }

  required(type: number): TlvElement {
    const element = this.optional(type);
    if (element === undefined) {
      throw new FormatError("TLV_MISSING", `element ${typeHex(type)} is missing`, { type });
    }
    return element;
  }
}

function specPosition(specs: readonly FieldSpec[], type: number): number {
  for (let i = 0; i < specs.length; i++) if (specs[i]!.type === type) return i;
  return -1;
}

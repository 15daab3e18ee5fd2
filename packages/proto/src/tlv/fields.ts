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
 * A spec list in flat arrays, made once per list (lists are module constants): spec objects come in
 * several shapes (with and without min and max), and reading them on every decode would make each
 * property access polymorphic.
 */
interface CompiledSpecs {
  readonly types: Int32Array;
  readonly mins: Int32Array;
  readonly maxes: Float64Array;
}

const compiledSpecs = new WeakMap<readonly FieldSpec[], CompiledSpecs>();

function compile(specs: readonly FieldSpec[]): CompiledSpecs {
  let compiled = compiledSpecs.get(specs);
  if (compiled === undefined) {
    compiled = {
      types: Int32Array.from(specs, (spec) => spec.type),
      mins: Int32Array.from(specs, (spec) => spec.min ?? 0),
      maxes: Float64Array.from(specs, (spec) => spec.max ?? 1),
    };
    compiledSpecs.set(specs, compiled);
  }
  return compiled;
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
  readonly #types: Int32Array;
  /** Per spec: its first child. */
  readonly #first: (TlvElement | undefined)[];

  constructor(element: TlvElement, specs: readonly FieldSpec[], what: string) {
    this.element = element;
    this.children = childrenOf(element);
    const { types, mins, maxes } = compile(specs);
    this.#types = types;
    const first: (TlvElement | undefined)[] = [];
    const counts: number[] = [];
    for (let i = 0; i < types.length; i++) {
      first.push(undefined);
      counts.push(0);
    }
    this.#first = first;
    for (const child of this.children) {
      const at = position(types, child.type);
      if (at < 0) {
        if (child.nonCritical) continue;
        throw new FormatError(
          "TLV_UNKNOWN_CRITICAL",
          `${what}: unknown critical element ${typeHex(child.type)}`,
          { type: child.type },
        );
      }
      if (counts[at]!++ === 0) first[at] = child;
    }
    for (let i = 0; i < types.length; i++) {
      const count = counts[i]!;
      if (count < mins[i]!) {
        const spec = specs[i]!;
        throw new FormatError("TLV_MISSING", `${what}: ${spec.name} (${typeHex(spec.type)}) is missing`, {
          type: spec.type,
        });
      }
      if (count > maxes[i]!) {
        const spec = specs[i]!;
        throw new FormatError(
          "TLV_DUPLICATE",
          `${what}: ${spec.name} (${typeHex(spec.type)}) occurs ${count} times, at most ${maxes[i]} allowed`,
          { type: spec.type },
        );
      }
    }
  }

  /** Every child of a type named in the specs, in wire order. */
  all(type: number): TlvElement[] {
    if (position(this.#types, type) < 0) return [];
    return this.children.filter((child) => child.type === type);
  }

  optional(type: number): TlvElement | undefined {
    const at = position(this.#types, type);
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

function position(types: Int32Array, type: number): number {
  for (let i = 0; i < types.length; i++) if (types[i] === type) return i;
  return -1;
}

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

/** Spec lists are module constants: index each once, not on every decode (PDUs are decoded per request). */
const indexedSpecs = new WeakMap<readonly FieldSpec[], ReadonlyMap<number, FieldSpec>>();

function specIndex(specs: readonly FieldSpec[]): ReadonlyMap<number, FieldSpec> {
  let index = indexedSpecs.get(specs);
  if (index === undefined) {
    index = new Map(specs.map((spec) => [spec.type, spec]));
    indexedSpecs.set(specs, index);
  }
  return index;
}

/**
 * The children of a composite element, grouped by type after a strict check against `specs`:
 * cardinalities hold, unknown critical children are an error, unknown non-critical children are
 * skipped (they stay in the element's bytes, so re-encoding from the source keeps them).
 */
export class Fields {
  readonly element: TlvElement;
  readonly children: readonly TlvElement[];
  private readonly byType = new Map<number, TlvElement[]>();

  constructor(element: TlvElement, specs: readonly FieldSpec[], what: string) {
    this.element = element;
    this.children = childrenOf(element);
    const known = specIndex(specs);
    for (const child of this.children) {
      const spec = known.get(child.type);
      if (spec === undefined) {
        if (child.nonCritical) continue;
        throw new FormatError(
          "TLV_UNKNOWN_CRITICAL",
          `${what}: unknown critical element ${typeHex(child.type)}`,
          { type: child.type },
        );
      }
      let list = this.byType.get(child.type);
      if (list === undefined) {
        list = [];
        this.byType.set(child.type, list);
      }
      list.push(child);
    }
    for (const spec of specs) {
      const count = this.byType.get(spec.type)?.length ?? 0;
      const min = spec.min ?? 0;
      const max = spec.max ?? 1;
      if (count < min) {
        throw new FormatError("TLV_MISSING", `${what}: ${spec.name} (${typeHex(spec.type)}) is missing`, {
          type: spec.type,
        });
      }
      if (count > max) {
        throw new FormatError(
          "TLV_DUPLICATE",
          `${what}: ${spec.name} (${typeHex(spec.type)}) occurs ${count} times, at most ${max} allowed`,
          { type: spec.type },
        );
      }
    }
  }

  all(type: number): TlvElement[] {
    return this.byType.get(type) ?? [];
  }

  optional(type: number): TlvElement | undefined {
    return this.byType.get(type)?.[0];
  }

  required(type: number): TlvElement {
    const element = this.byType.get(type)?.[0];
    if (element === undefined) {
      throw new FormatError("TLV_MISSING", `element ${typeHex(type)} is missing`, { type });
    }
    return element;
  }
}

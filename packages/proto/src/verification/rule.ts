import { TempelError } from "../errors.ts";
import type { VerificationContext } from "./context.ts";
import { inconclusive, inconclusiveAll, ok, type VerificationResult } from "./result.ts";

/** One verification step; a policy is a rule composed of rules. */
export interface Rule {
  readonly name: string;
  verify(context: VerificationContext): Promise<VerificationResult>;
  /**
   * The same verdict, synchronously when no step has to wait (no step of the internal policy does):
   * a policy of twenty rules then costs no promise per rule, which is a large part of verifying a
   * signature whose hashes are memoized. Rules made by rule, allOf and anyOf have it.
   */
  readonly evaluate?: (context: VerificationContext) => Verdict;
}

export type Verdict = VerificationResult | Promise<VerificationResult>;

/** A rule's verdict, synchronously when it can give one so. */
export function evaluate(rule: Rule, context: VerificationContext): Verdict {
  return rule.evaluate === undefined ? rule.verify(context) : rule.evaluate(context);
}

function fromEvaluate(name: string, evaluate: (context: VerificationContext) => Verdict): Rule {
  return { name, evaluate, verify: async (context) => evaluate(context) };
}

/**
 * A rule from a check function. A TempelError thrown by the check (an algorithm this build cannot
 * compute, a value out of range) makes the result inconclusive: the signature could not be checked,
 * which is not the same as being wrong.
 */
export function rule(name: string, check: (context: VerificationContext) => Verdict): Rule {
  const inconclusiveOn = (error: unknown): VerificationResult => {
    if (error instanceof TempelError) return inconclusive(name, error.message);
    throw error;
  };
  return fromEvaluate(name, (context) => {
    try {
      const result = check(context);
      return result instanceof Promise ? result.catch(inconclusiveOn) : result;
    } catch (error) {
      return inconclusiveOn(error);
    }
  });
}

/** Every rule in order; the first result that is not OK decides. */
export function allOf(name: string, rules: readonly Rule[]): Rule {
  const from = (start: number, context: VerificationContext): Verdict => {
    for (let i = start; i < rules.length; i++) {
      const result = evaluate(rules[i]!, context);
      if (result instanceof Promise) {
        return result.then((settled) => (settled.result === "OK" ? from(i + 1, context) : settled));
      }
      if (result.result !== "OK") return result;
    }
    return ok(name);
  };
  return fromEvaluate(name, (context) => from(0, context));
}

/**
 * Alternatives in order: the first OK or FAIL decides (a FAIL is never overruled by a later
 * alternative); when every alternative is inconclusive, so is the group, giving each one's reason.
 */
export function anyOf(name: string, rules: readonly Rule[]): Rule {
  const from = (start: number, context: VerificationContext, undecided: VerificationResult[]): Verdict => {
    for (let i = start; i < rules.length; i++) {
      const result = evaluate(rules[i]!, context);
      if (result instanceof Promise) {
        return result.then((settled) => {
          if (settled.result !== "NA") return settled;
          undecided.push(settled);
          return from(i + 1, context, undecided);
        });
      }
      if (result.result !== "NA") return result;
      undecided.push(result);
    }
    return inconclusiveAll(name, undecided);
  };
  return fromEvaluate(name, (context) => from(0, context, []));
}

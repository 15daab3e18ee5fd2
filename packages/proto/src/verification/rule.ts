import { TempelError } from "../errors.ts";
import type { VerificationContext } from "./context.ts";
import { inconclusive, inconclusiveAll, ok, type VerificationResult } from "./result.ts";

/** One verification step; a policy is a rule composed of rules. */
export interface Rule {
  readonly name: string;
  verify(context: VerificationContext): Promise<VerificationResult>;
}

/**
 * A rule from a check function. A TempelError thrown by the check (an algorithm this build cannot
 * compute, a value out of range) makes the result inconclusive: the signature could not be checked,
 * which is not the same as being wrong.
 */
export function rule(
  name: string,
  check: (context: VerificationContext) => VerificationResult | Promise<VerificationResult>,
): Rule {
  return {
    name,
    async verify(context) {
      try {
        return await check(context);
      } catch (error) {
        if (error instanceof TempelError) return inconclusive(name, error.message);
        throw error;
      }
    },
  };
}

/** Every rule in order; the first result that is not OK decides. */
export function allOf(name: string, rules: readonly Rule[]): Rule {
  return {
    name,
    async verify(context) {
      for (const step of rules) {
        const result = await step.verify(context);
        if (result.result !== "OK") return result;
      }
      return ok(name);
    },
  };
}

/**
 * Alternatives in order: the first OK or FAIL decides (a FAIL is never overruled by a later
 * alternative); when every alternative is inconclusive, so is the group, giving each one's reason.
 */
export function anyOf(name: string, rules: readonly Rule[]): Rule {
  return {
    name,
    async verify(context) {
      const undecided: VerificationResult[] = [];
      for (const alternative of rules) {
        const result = await alternative.verify(context);
        if (result.result !== "NA") return result;
        undecided.push(result);
      }
      return inconclusiveAll(name, undecided);
    },
  };
}

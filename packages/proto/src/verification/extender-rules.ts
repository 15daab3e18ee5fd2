import { calendarChainOutput, rightLinksMatch } from "../calendar/index.ts";
import { bytesEqual } from "../util/bytes.ts";
import { extend } from "./extension.ts";
import { fail, ok } from "./result.ts";
import { rule } from "./rule.ts";

/**
 * KSI's calendar-based check: the extender recomputes the signature's calendar chain from its own
 * calendar. A chain that reaches a publication must reach the same root (CAL-01); an unextended one
 * must agree on every right link, the part of the calendar older than the signature (CAL-04). A
 * signature without a calendar chain is extended to the calendar head. Either way the extender's
 * chain must start from the aggregation root (CAL-02) at the signing second (CAL-03).
 */
export const calendarDatabaseRule = rule("CalendarDatabase", async (context) => {
  const own = context.signature.calendarChain;
  const extension = await extend(context, "CalendarDatabase", own?.publicationTime);
  if (extension.result !== undefined) return extension.result;
  const chain = extension.chain;
  if (own !== undefined) {
    if (context.signature.publicationRecord !== undefined) {
      if (!bytesEqual(context.calendarRoot(), calendarChainOutput(chain, context.hasher))) {
        return fail("CalendarDatabase", "CAL-01");
      }
    } else if (!rightLinksMatch(own, chain)) {
      return fail("CalendarDatabase", "CAL-04");
    }
  }
  if (!bytesEqual(chain.inputHash, context.aggregationRoot())) return fail("CalendarDatabase", "CAL-02");
  if (chain.aggregationTime !== context.aggregationTime) return fail("CalendarDatabase", "CAL-03");
  return ok("CalendarDatabase");
});

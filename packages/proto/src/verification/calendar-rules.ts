import { calendarChainAggregationTime } from "../calendar/index.ts";
import { bytesEqual } from "../util/bytes.ts";
import { algorithmName, calendarChainAlgorithmWhere, obsoleteAt } from "./algorithm-status.ts";
import { fail, inconclusive, ok } from "./result.ts";
import { allOf, evaluate, rule } from "./rule.ts";

/** INT-03: the calendar recorded the root of the aggregation chains. */
const calendarInputHashRule = rule("CalendarChainInputHash", (context) => {
  if (!bytesEqual(context.signature.calendarChain!.inputHash, context.aggregationRoot())) {
    return fail("CalendarChainInputHash", "INT-03", "it is not the root of the aggregation chains");
  }
  return ok("CalendarChainInputHash");
});

/** INT-04: the calendar chain names the aggregation chains' second. */
const calendarAggregationTimeRule = rule("CalendarChainAggregationTime", (context) => {
  const chain = context.signature.calendarChain!;
  if (chain.aggregationTime !== context.aggregationTime) {
    return fail(
      "CalendarChainAggregationTime",
      "INT-04",
      `the calendar chain says ${chain.aggregationTime}, the aggregation chains ${context.aggregationTime}`,
    );
  }
  return ok("CalendarChainAggregationTime");
});

/**
 * INT-05: the chain's shape leads to the leaf of the second it claims. Links that lead to no single
 * leaf leave the time unknown rather than wrong: libksi gives NA with INT-05 there, FAIL only for a
 * leaf of another second.
 */
const calendarShapeRule = rule("CalendarChainShape", (context) => {
  const chain = context.signature.calendarChain!;
  const time = calendarChainAggregationTime(chain.links, chain.publicationTime);
  if (time === undefined) {
    return inconclusive(
      "CalendarChainShape",
      `the links lead to no single leaf of the calendar at ${chain.publicationTime}`,
      "INT-05",
    );
  }
  if (time !== chain.aggregationTime) {
    return fail(
      "CalendarChainShape",
      "INT-05",
      `the links lead to second ${time}, not ${chain.aggregationTime}`,
    );
  }
  return ok("CalendarChainShape");
});

/** INT-16: no step hash of the chain used an algorithm obsolete at publication time. */
const calendarAlgorithmObsoleteRule = rule("CalendarChainAlgorithmObsolete", (context) => {
  const obsolete = calendarChainAlgorithmWhere(context.signature.calendarChain!, obsoleteAt);
  return obsolete === undefined
    ? ok("CalendarChainAlgorithmObsolete")
    : fail("CalendarChainAlgorithmObsolete", "INT-16", `${algorithmName(obsolete)} was obsolete`);
});

/** INT-08, INT-06: the calendar auth record signs this chain's root and second (libksi's order). */
const authRecordRule = rule("CalendarAuthRecordData", (context) => {
  const record = context.signature.calendarAuthRecord;
  if (record === undefined) return ok("CalendarAuthRecordData");
  if (!bytesEqual(record.publishedData.publishedHash, context.calendarRoot())) {
    return fail("CalendarAuthRecordData", "INT-08");
  }
  if (record.publishedData.publicationTime !== context.signature.calendarChain!.publicationTime) {
    return fail("CalendarAuthRecordData", "INT-06");
  }
  return ok("CalendarAuthRecordData");
});

/** INT-09, INT-07: the publication record publishes this chain's root and second. */
const publicationRecordRule = rule("PublicationRecordData", (context) => {
  const record = context.signature.publicationRecord;
  if (record === undefined) return ok("PublicationRecordData");
  const chain = context.signature.calendarChain!;
  if (!bytesEqual(record.publishedData.publishedHash, context.calendarRoot())) {
    return fail("PublicationRecordData", "INT-09");
  }
  if (record.publishedData.publicationTime !== chain.publicationTime) {
    return fail("PublicationRecordData", "INT-07");
  }
  return ok("PublicationRecordData");
});

const calendarChecks = allOf("CalendarChain", [
  calendarInputHashRule,
  calendarAggregationTimeRule,
  calendarShapeRule,
  calendarAlgorithmObsoleteRule,
  authRecordRule,
  publicationRecordRule,
]);

/** Step 12 of the internal policy; a signature without a calendar chain has nothing to check here. */
export const calendarChainRule = rule("CalendarChain", (context) =>
  context.signature.calendarChain === undefined ? ok("CalendarChain") : evaluate(calendarChecks, context),
);

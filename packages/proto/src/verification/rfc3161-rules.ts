import { imprintAlgorithm } from "../hash/imprint.ts";
import { bytesEqual } from "../util/bytes.ts";
import { algorithmName, deprecatedAt } from "./algorithm-status.ts";
import { fail, ok } from "./result.ts";
import { rfc3161OutputHash } from "./rfc3161-output-hash.ts";
import { rule } from "./rule.ts";

/** INT-14: the TSTInfo and signed-attributes hashes were acceptable when the record was made. */
export const rfc3161AlgorithmsRule = rule("Rfc3161RecordHashAlgorithms", (context) => {
  const record = context.signature.rfc3161Record;
  if (record === undefined) return ok("Rfc3161RecordHashAlgorithms");
  for (const algorithm of [record.signedAttributesAlgorithm, record.tstInfoAlgorithm]) {
    if (deprecatedAt(algorithm, record.aggregationTime)) {
      return fail("Rfc3161RecordHashAlgorithms", "INT-14", `${algorithmName(algorithm)} was deprecated`);
    }
  }
  return ok("Rfc3161RecordHashAlgorithms");
});

/** INT-17: the algorithm that turns the record into the first chain's input was acceptable then. */
export const rfc3161OutputAlgorithmRule = rule("Rfc3161RecordOutputHashAlgorithm", (context) => {
  const record = context.signature.rfc3161Record;
  if (record === undefined) return ok("Rfc3161RecordOutputHashAlgorithm");
  const algorithm = imprintAlgorithm(context.signature.aggregationChains[0]!.inputHash);
  if (deprecatedAt(algorithm, record.aggregationTime)) {
    return fail("Rfc3161RecordOutputHashAlgorithm", "INT-17", `${algorithmName(algorithm)} was deprecated`);
  }
  return ok("Rfc3161RecordOutputHashAlgorithm");
});

/** INT-01: the RFC 3161 record hashes to the first aggregation chain's input. */
export const rfc3161OutputHashRule = rule("Rfc3161RecordOutputHash", (context) => {
  const record = context.signature.rfc3161Record;
  if (record === undefined) return ok("Rfc3161RecordOutputHash");
  const firstInput = context.signature.aggregationChains[0]!.inputHash;
  const output = rfc3161OutputHash(record, imprintAlgorithm(firstInput), context.hasher);
  if (!bytesEqual(output, firstInput)) {
    return fail(
      "Rfc3161RecordOutputHash",
      "INT-01",
      "the RFC 3161 record does not hash to the first chain's input",
    );
  }
  return ok("Rfc3161RecordOutputHash");
});

import { imprintAlgorithm } from "../hash/imprint.ts";
import { bytesEqual, toHex } from "../util/bytes.ts";
import { algorithmName } from "./algorithm-status.ts";
import { fail, inconclusive, ok } from "./result.ts";
import { rule } from "./rule.ts";
import { signedHash } from "./signed-hash.ts";

/** GEN-04: a document hashed with another algorithm than the signed one cannot match. */
export const documentHashAlgorithmRule = rule("DocumentHashAlgorithm", (context) => {
  const documentHash = context.options.documentHash;
  if (documentHash === undefined) return ok("DocumentHashAlgorithm");
  const expected = imprintAlgorithm(signedHash(context.signature));
  const given = imprintAlgorithm(documentHash);
  if (given !== expected) {
    return fail(
      "DocumentHashAlgorithm",
      "GEN-04",
      `the document hash is ${algorithmName(given)}, the signature covers a ${algorithmName(expected)} hash`,
    );
  }
  return ok("DocumentHashAlgorithm");
});

/** GEN-01: the signature covers exactly the given document hash. */
export const documentHashRule = rule("DocumentHash", (context) => {
  const documentHash = context.options.documentHash;
  const signed = signedHash(context.signature);
  if (documentHash === undefined || bytesEqual(documentHash, signed)) return ok("DocumentHash");
  return fail("DocumentHash", "GEN-01", `the signature covers ${toHex(signed)}`);
});

/**
 * GEN-03: the document hash can have been at the given level of the client's tree. An RFC 3161
 * record is always at level 0, and the first link's level correction includes the client's level,
 * so it is at least that. A level outside one byte is a wrong input, not a wrong signature: libksi
 * refuses to verify (an error, no verdict), which is NA here.
 */
export const inputLevelRule = rule("InputLevel", (context) => {
  const level = context.inputLevel;
  if (!Number.isInteger(level) || level < 0 || level > 0xff) {
    return inconclusive("InputLevel", `input level ${level} is not in 0..255`);
  }
  if (level > 0 && context.signature.rfc3161Record !== undefined) {
    return fail("InputLevel", "GEN-03", "a signature with an RFC 3161 record has input level 0");
  }
  const firstCorrection = context.signature.aggregationChains[0]!.links[0]?.levelCorrection ?? 0;
  if (level > firstCorrection) {
    return fail("InputLevel", "GEN-03", `the first link allows input levels up to ${firstCorrection}`);
  }
  return ok("InputLevel");
});

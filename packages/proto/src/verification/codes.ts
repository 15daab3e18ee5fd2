/**
 * KSI verification error codes and their messages (libksi `policy.h`; the same strings are used by the
 * Java and Go SDKs), so that a Tempel result can be compared with any other KSI verifier's.
 * KEY-01 is omitted: KSI retired it, a missing certificate is now inconclusive (GEN-02).
 * TEM-* codes are Tempel's own: they arise only when the verifier knows the cluster (its genesis), which
 * no other KSI verifier does.
 */
export const VERIFICATION_CODES = {
  "GEN-01": "Wrong document",
  "GEN-02": "Verification inconclusive",
  "GEN-03": "Input hash level too large",
  "GEN-04": "Wrong input hash algorithm",
  "INT-01": "Inconsistent aggregation hash chains",
  "INT-02": "Inconsistent aggregation hash chain aggregation times",
  "INT-03": "Calendar hash chain input hash mismatch",
  "INT-04": "Calendar hash chain aggregation time mismatch",
  "INT-05": "Calendar hash chain shape inconsistent with aggregation time",
  "INT-06": "Calendar hash chain time inconsistent with calendar authentication record time",
  "INT-07": "Calendar hash chain time inconsistent with publication time",
  "INT-08": "Calendar hash chain root hash inconsistent with calendar authentication record input hash",
  "INT-09": "Calendar hash chain root hash inconsistent with published hash value",
  "INT-10": "Aggregation hash chain chain index mismatch",
  "INT-11": "Metadata record in the aggregation hash chain may not be trusted",
  "INT-12": "Inconsistent chain indexes",
  "INT-13": "Document hash algorithm deprecated at the time of signing",
  "INT-14": "RFC3161 record built with hash algorithms deprecated at signing time",
  "INT-15": "Aggregation hash chain uses an algorithm deprecated at signing time",
  "INT-16": "Calendar hash chain algorithm obsolete at publication time",
  "INT-17": "RFC3161 record output hash algorithm deprecated at signing time",
  "PUB-01": "Extender response calendar root hash mismatch",
  "PUB-02": "Extender response inconsistent",
  "PUB-03": "Extender response input hash mismatch",
  "PUB-04": "Publication record hash and user-provided publication hash mismatch",
  "PUB-05": "Publication record hash and publications-file publication hash mismatch",
  "KEY-02": "PKI signature not verified with certificate",
  "KEY-03": "Signing certificate not valid at aggregation time",
  "CAL-01": "Calendar root hash mismatch between signature and calendar database chain",
  "CAL-02": "Aggregation root hash and calendar database chain input hash mismatch",
  "CAL-03": "Aggregation time mismatch",
  "CAL-04": "Calendar hash chain right links are inconsistent",
  "TEM-01": "Calendar root not certified by a quorum of the cluster's members",
} as const;

export type VerificationCode = keyof typeof VERIFICATION_CODES;

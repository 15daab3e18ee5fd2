import { parseCertificate } from "../pki/certificate.ts";
import { PkiError } from "../pki/pki-error.ts";
import { verifyRawSignature } from "../pki/verify-raw-signature.ts";
import { encodePublicationData } from "../signature/publication-data.ts";
import { encodeTlv } from "../tlv/codec.ts";
import { bytesEqual, toHex } from "../util/bytes.ts";
import { algorithmName, calendarChainAlgorithmWhere, deprecatedAt } from "./algorithm-status.ts";
import { checkQuorumCertificate } from "./quorum-certificate.ts";
import { fail, inconclusive, ok } from "./result.ts";
import { allOf, anyOf, evaluate, rule } from "./rule.ts";

/** Keys certify calendar roots, so there must be a calendar chain leading to one. */
const calendarChainPresentRule = rule("CalendarChainPresent", (context) =>
  context.signature.calendarChain === undefined
    ? inconclusive("CalendarChainPresent", "the signature has no calendar hash chain")
    : ok("CalendarChainPresent"),
);

/** A key's word is worth nothing for a root computed with an algorithm deprecated at the time. */
const calendarAlgorithmsCurrentRule = rule("CalendarChainAlgorithmsCurrent", (context) => {
  const deprecated = calendarChainAlgorithmWhere(context.signature.calendarChain!, deprecatedAt);
  return deprecated === undefined
    ? ok("CalendarChainAlgorithmsCurrent")
    : inconclusive(
        "CalendarChainAlgorithmsCurrent",
        `the calendar chain uses deprecated ${algorithmName(deprecated)}`,
      );
});

/**
 * KSI's key-based check: the calendar auth record's PKI signature over the published-data TLV
 * verifies with the certificate the publications file lists under its id (KEY-02), and that
 * certificate was valid at the signing second (KEY-03).
 */
export const calendarAuthRecordSignatureRule = rule("CalendarAuthRecordSignature", async (context) => {
  const name = "CalendarAuthRecordSignature";
  const record = context.signature.calendarAuthRecord;
  if (record === undefined) return inconclusive(name, "the signature has no calendar authentication record");
  const file = context.options.publicationsFile;
  if (file === undefined) {
    return inconclusive(name, "no publications file with the signing certificates given");
  }
  const { certificateId, signatureType, signatureValue } = record.signatureData;
  const entry = file.certificates.find((certificate) => bytesEqual(certificate.id, certificateId));
  if (entry === undefined) {
    return inconclusive(name, `certificate ${toHex(certificateId)} is not in the publications file`);
  }
  const certificate = parseCertificate(entry.der);
  const time = context.signature.calendarChain!.aggregationTime;
  if (time < certificate.notBefore || time > certificate.notAfter) {
    return fail(name, "KEY-03", `certificate ${toHex(certificateId)} was not valid at ${time}`);
  }
  const data = encodeTlv(encodePublicationData(record.publishedData));
  // A signature type no auth record may use (unknown, MD5, or not for the certificate's key) cannot
  // make a valid record: libksi fails it with KEY-02 rather than leaving it undecided.
  let verified: boolean;
  try {
    verified = await verifyRawSignature(certificate, signatureType, signatureValue, data);
  } catch (error) {
    if (!(error instanceof PkiError)) throw error;
    return fail(name, "KEY-02", error.message);
  }
  return verified ? ok(name) : fail(name, "KEY-02", `certificate ${toHex(certificateId)}`);
});

/**
 * Tempel's quorum check: at least q distinct cluster members signed this signature's calendar root.
 * A share that does not verify, or a certificate for another root, fails (KEY-02). Too few member
 * signatures, or only a calendar auth record (one member's key), is inconclusive with TEM-01 when the
 * members are known; without a member list nothing can be checked (GEN-02).
 */
export const quorumCertificateRule = rule("QuorumCertificate", (context) => {
  const name = "QuorumCertificate";
  const certificate = context.signature.quorumCertificate;
  const trust = context.options.quorumTrust;
  if (certificate === undefined) {
    return trust !== undefined && context.signature.calendarAuthRecord !== undefined
      ? inconclusive(
          name,
          "the calendar root is authenticated only by a calendar authentication record, one member's key; a quorum certificate is needed",
          "TEM-01",
        )
      : inconclusive(name, "the signature has no quorum certificate");
  }
  if (trust === undefined) {
    return inconclusive(name, "no cluster members given to check the quorum certificate");
  }
  const certified = certificate.publishedData;
  if (
    certified.publicationTime !== context.signature.calendarChain!.publicationTime ||
    !bytesEqual(certified.publishedHash, context.calendarRoot())
  ) {
    return fail(name, "KEY-02", "the quorum certificate is for another calendar root");
  }
  const check = checkQuorumCertificate(certificate, trust);
  switch (check.status) {
    case "certified":
      return ok(name);
    case "bad-share":
      return fail(name, "KEY-02", `member ${check.memberId}'s signature does not verify`);
    case "below-quorum":
      return inconclusive(
        name,
        `${check.signers.length} of the ${trust.quorum} distinct member signatures needed`,
        "TEM-01",
      );
  }
});

/** KSI's reading, for a verifier that does not know the cluster: any one listed key holder will do. */
const anyKeyHolderRule = anyOf("KeyBasedTrust", [calendarAuthRecordSignatureRule, quorumCertificateRule]);

/**
 * Key-based verification: a calendar chain certified by a key holder. A verifier that knows the
 * cluster's members (`quorumTrust`) takes only a quorum of them: one member's calendar auth record,
 * whose certificate the publications file lists like every member's, would let that one member alone
 * certify any root. Without the members, KSI's semantics stay: the auth record or the quorum
 * certificate, whichever gives an answer first.
 */
export const keyRule = allOf("KeyBased", [
  calendarChainPresentRule,
  calendarAlgorithmsCurrentRule,
  rule("KeyBasedTrust", (context) =>
    evaluate(context.options.quorumTrust === undefined ? anyKeyHolderRule : quorumCertificateRule, context),
  ),
]);

import { parseCertificate } from "../pki/certificate.ts";
import { verifyRawSignature } from "../pki/verify-raw-signature.ts";
import { encodePublicationData } from "../signature/publication-data.ts";
import { encodeTlv } from "../tlv/codec.ts";
import { bytesEqual, toHex } from "../util/bytes.ts";
import { algorithmName, calendarChainAlgorithmWhere, deprecatedAt } from "./algorithm-status.ts";
import { checkQuorumCertificate } from "./quorum-certificate.ts";
import { fail, inconclusive, ok } from "./result.ts";
import { allOf, anyOf, rule } from "./rule.ts";

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
  // An unsupported algorithm throws PkiError, which makes the rule inconclusive: no evidence either way.
  const verified = await verifyRawSignature(certificate, signatureType, signatureValue, data);
  return verified ? ok(name) : fail(name, "KEY-02", `certificate ${toHex(certificateId)}`);
});

/**
 * Tempel's quorum check: at least q cluster members signed this signature's calendar root. A share
 * that does not verify, or a certificate for another root, fails (KEY-02); too few signatures, or no
 * member list to check against, is inconclusive.
 */
export const quorumCertificateRule = rule("QuorumCertificate", (context) => {
  const name = "QuorumCertificate";
  const certificate = context.signature.quorumCertificate;
  if (certificate === undefined) return inconclusive(name, "the signature has no quorum certificate");
  const trust = context.options.quorumTrust;
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
      return inconclusive(name, `${check.signers.length} of the ${trust.quorum} member signatures needed`);
  }
});

/**
 * Key-based verification: a calendar chain certified by a key holder, through KSI's calendar auth
 * record or Tempel's quorum certificate, whichever gives an answer first.
 */
export const keyRule = allOf("KeyBased", [
  calendarChainPresentRule,
  calendarAlgorithmsCurrentRule,
  anyOf("KeyBasedTrust", [calendarAuthRecordSignatureRule, quorumCertificateRule]),
]);

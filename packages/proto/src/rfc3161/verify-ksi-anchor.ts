import { FormatError, TempelError } from "../errors.ts";
import { decodeSignature } from "../signature/codec.ts";
import type { KsiSignature } from "../signature/types.ts";
import { bytesEqual, toHex } from "../util/bytes.ts";
import type { VerificationResult } from "../verification/result.ts";
import { signedHash } from "../verification/signed-hash.ts";
import { TEMPEL_KSI_SIGNATURE_ATTRIBUTE } from "./oids.ts";
import { type TimeStampToken, tempelKsiSignatureOf } from "./token-reader.ts";
import type { AnchorVerdict } from "./verify-anchor-verdict.ts";

/**
 * The KSI signature a Tempel token carries in its unsigned attribute id-aa-tempelKsiSignature, once
 * it is known to sign this token's imprint at this token's genTime; else why not. The attribute is not
 * covered by the TSA's signature (anyone may strip or swap it), so only these checks and the KSI
 * signature's own verification make it evidence.
 */
export function tokenKsiSignature(
  token: TimeStampToken,
): { readonly signature: KsiSignature } | AnchorVerdict {
  if (!token.signerInfo.unsignedAttributes.has(TEMPEL_KSI_SIGNATURE_ATTRIBUTE)) {
    return {
      state: "not-held",
      code: "KSI-ABSENT",
      message:
        "the token carries no KSI signature (it was stripped, or the TSA adds none), so nothing keyless " +
        "backs its time: it rests on the TSA's key alone",
    };
  }
  const bytes = tempelKsiSignatureOf(token);
  if (bytes === undefined) {
    return {
      state: "failed",
      code: "KSI-MALFORMED",
      message: "the KSI signature attribute is not one OCTET STRING",
    };
  }
  let signature: KsiSignature;
  try {
    signature = decodeSignature(bytes);
  } catch (error) {
    if (!(error instanceof FormatError || error instanceof TempelError)) throw error;
    return {
      state: "failed",
      code: "KSI-MALFORMED",
      message: `the token's KSI signature does not parse: ${error.message}`,
    };
  }
  const signed = signedHash(signature);
  if (!bytesEqual(signed, token.tstInfo.imprint)) {
    return {
      state: "failed",
      code: "KSI-IMPRINT",
      message:
        `the token's KSI signature signs another hash (${toHex(signed)}) than the token's imprint ` +
        `(${toHex(token.tstInfo.imprint)}): it belongs to another document`,
    };
  }
  const aggregationTime = signature.aggregationChains[0]!.aggregationTime;
  if (aggregationTime !== token.tstInfo.genTime) {
    return {
      state: "failed",
      code: "KSI-TIME",
      message:
        `the token's KSI signature was made at ${iso(aggregationTime)}, not at the token's time ` +
        `${iso(token.tstInfo.genTime)}: it does not prove this token's time`,
    };
  }
  return { signature };
}

function iso(unix: number): string {
  return new Date(unix * 1000).toISOString().replace(".000Z", "Z");
}

/** The KSI anchor's verdict from the verification of the token's KSI signature under a policy. */
export function ksiAnchorVerdict(result: VerificationResult): AnchorVerdict {
  const code = result.code === null ? "KSI-OK" : `KSI-${result.code}`;
  if (result.result === "OK") return { state: "held", code, message: result.message };
  return { state: result.result === "FAIL" ? "failed" : "not-held", code, message: result.message };
}

import {
  type AnchorVerdict,
  bytesEqual,
  type Imprint,
  integerContents,
  type KsiSignature,
  ksiAnchorVerdict,
  MAX_TIMESTAMP_TOKEN_BYTES,
  readTimeStampToken,
  type TimeStampToken,
  TimestampTokenError,
  TSA_HASHES,
  type TsaKeyVerdict,
  toHex,
  tokenKsiSignature,
  tokenVerdict,
  type VerificationResult,
  verifyTsaKey,
} from "@tempel/proto";
import { Signature } from "../signature.ts";
import { hashDocument } from "./document-hash.ts";
import { readBounded } from "./files.ts";
import { type Anchor, anchorText } from "./signature-anchor.ts";
import { type TimeJson, timeJson, timeText } from "./time-text.ts";
import type { VerifyTarget } from "./verify-target.ts";

/** What checking a token draws on, from the `tempel verify` run around it. */
export interface TokenChecks {
  /** DER CA certificates of --tsa-ca or the cluster description's tsaCaFile. */
  readonly tsaCa: readonly Uint8Array[];
  /** --document-hash, parsed: the imprint the token must carry, instead of a document's. */
  readonly documentHash?: Imprint;
  /** The KSI signature's verification, exactly as for a .ksig file, or why the cluster could not answer. */
  readonly verifyKsi: (
    signature: KsiSignature,
    imprint: Imprint,
  ) => Promise<VerificationResult | { readonly unavailable: string }>;
  /** What a verified KSI signature's time rests on. */
  readonly anchorOf: (signature: KsiSignature) => Anchor;
}

/** One token's report, as `--json` prints it. */
export interface TokenReport {
  readonly format: "rfc3161";
  readonly result: "OK" | "FAIL" | "NA";
  /** null when OK; PARSE for bytes that are no token; else the code of the check that decided. */
  readonly code: string | null;
  readonly message: string;
  readonly token: string;
  readonly document?: string;
  /** The token's time (TSTInfo genTime). */
  readonly signedAt?: TimeJson;
  readonly imprint?: { readonly algorithm: string; readonly hash: string };
  readonly tsaPolicy?: string;
  readonly serialNumber?: string;
  /** The anchors that prove the time: "tsa" (the TSA's key and CA), "ksi" (the keyless KSI signature). */
  readonly heldBy?: readonly ("tsa" | "ksi")[];
  readonly anchors?: {
    readonly tsa: TsaKeyVerdict;
    readonly ksi: KsiAnchorReport;
  };
}

/** The KSI anchor's verdict, with what its time rests on and the agency it names once it holds. */
type KsiAnchorReport = AnchorVerdict & { readonly anchor?: Anchor; readonly agency?: string | null };

async function documentMatches(
  token: TimeStampToken,
  target: VerifyTarget,
  given: Imprint | undefined,
): Promise<boolean | undefined> {
  const imprint =
    given ??
    (target.document === undefined
      ? undefined
      : await hashDocument(target.document, token.tstInfo.imprint[0]!));
  return imprint === undefined ? undefined : bytesEqual(imprint, token.tstInfo.imprint);
}

/** The KSI anchor, through the same verification a .ksig file gets; or why the cluster could not answer. */
async function ksiAnchor(
  token: TimeStampToken,
  checks: TokenChecks,
): Promise<KsiAnchorReport | { unavailable: string }> {
  const found = tokenKsiSignature(token);
  if (!("signature" in found)) return found;
  const result = await checks.verifyKsi(found.signature, token.tstInfo.imprint);
  if ("unavailable" in result) return result;
  const verdict = ksiAnchorVerdict(result);
  return verdict.state === "held"
    ? {
        ...verdict,
        anchor: checks.anchorOf(found.signature),
        agency: new Signature(found.signature).agency ?? null,
      }
    : verdict;
}

/** Check an RFC 3161 token (`.tsr` reply or bare token) and the document it must cover. */
export async function verifyToken(
  target: VerifyTarget,
  checks: TokenChecks,
): Promise<{ report: TokenReport } | { unavailable: string }> {
  const base = {
    format: "rfc3161" as const,
    token: target.signature,
    ...(target.document !== undefined && { document: target.document }),
  };
  const { bytes, truncated } = await readBounded(target.signature, MAX_TIMESTAMP_TOKEN_BYTES, "token file");
  let token: TimeStampToken;
  try {
    if (truncated) {
      throw new TimestampTokenError(
        "TOKEN_TOO_LARGE",
        `larger than the ${MAX_TIMESTAMP_TOKEN_BYTES} bytes a token may have`,
      );
    }
    token = readTimeStampToken(bytes);
  } catch (error) {
    if (!(error instanceof TimestampTokenError)) throw error;
    return {
      report: {
        ...base,
        result: "FAIL",
        code: "PARSE",
        message: `not an RFC 3161 time-stamp token: ${error.message}`,
      },
    };
  }
  const matches = await documentMatches(token, target, checks.documentHash);
  const tsa = await verifyTsaKey(token, { trustAnchors: checks.tsaCa, now: Math.floor(Date.now() / 1000) });
  const ksi = await ksiAnchor(token, checks);
  if ("unavailable" in ksi) return ksi;
  const verdict = tokenVerdict(matches, tsa, ksi);
  const decisive = matches === false ? "IMPRINT" : [tsa, ksi].find((a) => a.state === "failed")?.code;
  return {
    report: {
      ...base,
      result: verdict.result,
      code: verdict.result === "OK" ? null : (decisive ?? "NO-ANCHOR"),
      message: verdict.message,
      signedAt: timeJson(token.tstInfo.genTime),
      imprint: {
        algorithm: TSA_HASHES.get(token.tstInfo.hashAlgorithm)!.name,
        hash: toHex(token.tstInfo.hashedMessage),
      },
      tsaPolicy: token.tstInfo.policy,
      // Hex of the INTEGER's DER octets: a DER integer's minimal two's complement gives them back exactly.
      serialNumber: toHex(integerContents(token.tstInfo.serialNumber)),
      heldBy: verdict.heldBy,
      anchors: { tsa, ksi },
    },
  };
}

const STATE_TEXT = { held: "HOLDS", "not-held": "does not hold", failed: "FAILED" } as const;

/** What to do next when an anchor does not hold for a reason the user can change. */
function nextStep(report: TokenReport): string | undefined {
  const tsa = report.anchors?.tsa.code;
  const ksi = report.anchors?.ksi;
  const steps = [
    ...(tsa === "TSA-NO-CA" || tsa === "TSA-NO-CERTIFICATE"
      ? [
          "pass --tsa-ca FILE, the PEM file of the CA certificates the TSA's certificate chains to (a local cluster names it as tsaCaFile in .tempel/cluster.json)",
        ]
      : []),
    ...(ksi?.state === "not-held" && ksi.code !== "KSI-ABSENT"
      ? [
          "the KSI signature needs the cluster's genesis (--genesis, or run where .tempel/cluster.json or trust.json is) or a publication (--pub-str CODE, --publications-file FILE)",
        ]
      : []),
  ];
  return steps.length === 0 ? undefined : steps.join("; ");
}

export function printTokenReport(report: TokenReport): string {
  const head = report.code === null ? report.result : `${report.result} ${report.code}`;
  const lines = [`${head}: ${report.message}`, `  token:     ${report.token} (RFC 3161)`];
  if (report.document !== undefined) lines.push(`  document:  ${report.document}`);
  if (report.signedAt !== undefined)
    lines.push(`  time:      ${timeText(report.signedAt.unix)} (the token's genTime)`);
  if (report.imprint !== undefined)
    lines.push(`  imprint:   ${report.imprint.algorithm} ${report.imprint.hash}`);
  const anchors = report.anchors;
  if (anchors !== undefined) {
    const signer =
      anchors.tsa.certificate === undefined
        ? ""
        : ` [signer ${anchors.tsa.certificate.subject}, valid to ${timeText(anchors.tsa.certificate.notAfter)}]`;
    lines.push(
      `  TSA key anchor ${STATE_TEXT[anchors.tsa.state]} (${anchors.tsa.code}): ${anchors.tsa.message}${signer}`,
    );
    const to =
      anchors.ksi.anchor === undefined
        ? ""
        : `; anchored to ${anchorText(anchors.ksi.anchor)}; agency ${anchors.ksi.agency ?? "not named"}`;
    lines.push(
      `  KSI anchor ${STATE_TEXT[anchors.ksi.state]} (${anchors.ksi.code}): ${anchors.ksi.message}${to}`,
    );
  }
  const next = nextStep(report);
  if (next !== undefined) lines.push(`  next: ${next}`);
  return `${lines.join("\n")}\n`;
}

import {
  calendarPolicy,
  checkImprint,
  type DetachedCmsOptions,
  decodePublicationString,
  defaultPolicy,
  fromHex,
  type Imprint,
  imprintAlgorithm,
  internalPolicy,
  type KsiSignature,
  keyPolicy,
  MAX_PUBLICATIONS_FILE_BYTES,
  type PublicationData,
  type PublicationsFile,
  parseCertificate,
  publicationPolicy,
  type QuorumTrust,
  type Rule,
  signedHash,
  TempelError,
  type VerificationCode,
  type VerificationResult,
  verifyPublicationsFile,
  verifySignature,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { Signature } from "../../index.ts";
import { publicationsTrustFromGenesis, quorumTrustFromGenesis } from "../../trust/genesis.ts";
import { parseStrict } from "../args.ts";
import {
  type Cluster,
  clusterFile,
  keptTrust,
  namesCluster,
  openCluster,
  readGenesis,
} from "../connection.ts";
import { hashDocument } from "../document-hash.ts";
import { EXIT_CODES_HELP, ExitCode, type ExitCodeValue, worstExit } from "../exit-codes.ts";
import { describeFailure } from "../failure.ts";
import { readInput } from "../files.ts";
import type { CliIo } from "../io.ts";
import { ProgressBar } from "../progress.ts";
import { type Anchor, anchorText, signatureAnchor } from "../signature-anchor.ts";
import { readSignature } from "../signature-file.ts";
import { type TimeJson, timeJson, timeText } from "../time-text.ts";
import { parseConstraints, readCertificate, readCertificates } from "../trust-inputs.ts";
import { UsageError } from "../usage-error.ts";
import { expandPaths, locate, type VerifyTarget } from "../verify-target.ts";
import { printTokenReport, type TokenChecks, verifyToken } from "../verify-token.ts";

export const VERIFY_HELP = `Usage: tempel verify FILE... [options]
       tempel verify FILE --token FILE.tsr [options]

Verify KSI signatures, made by Tempel or by any KSI service, and RFC 3161 time-stamp tokens. Each
FILE is a signature or token, or a document whose signature FILE.ksig or token FILE.tsr is beside
it (the format is read from the bytes). FILE.ksig with FILE beside it checks both: the signature,
and that it covers FILE (--signature-only checks the signature alone). A document without a
signature is a usage error (exit 2) that says where the signature was looked for.
Globs (*.pdf, "reports/**/*.ksig") are expanded here for shells that do not. Many files are
checked in one go, with a progress bar on a terminal and a summary; the exit code is the worst
result (FAIL, then usage, then unavailable, then NA).

Options:
  --document FILE           check that the signature covers FILE (one signature only)
  --token FILE              the RFC 3161 token (.tsr reply or bare token) of the one document named
  --document-hash IMPRINT   check against a document hash: hex algorithm byte + digest (01… = SHA-256)
  --signature-only          check the signature alone, not the document beside it
  --level N                 the document hash's level in a client-side aggregation tree (default 0)
  --policy NAME             internal | publication | key | calendar | default (default: default)
  --pub-str CODE            a publication string (printed publication code) to verify against
  --publications-file FILE  a publications file (KSIPUBLF): publications and signing certificates
  --trust-anchor FILE       CA certificate (PEM or DER) the publications file must be signed under;
                            repeatable. Without one, the file must be signed by the publications
                            authority of the cluster's genesis; a file whose signature nothing can
                            check is refused (exit 2), never trusted.
  --cnstr NAME=VALUE        subject attribute the file signer's certificate must have, e.g.
                            E=publications@example.org (NAME: E, CN, O, OU, C or an OID); repeatable
  --genesis FILE            the cluster's genesis (TEMPEL_GENESIS): its members and quorum check
                            quorum certificates, its publications authority the publications file
  --endpoint URL            a node of the cluster: its API base URL, repeatable (TEMPEL_ENDPOINTS,
                            comma-separated)
  --config FILE             cluster description (TEMPEL_CONFIG)
  --tsa-ca FILE             PEM file of the CA certificates an RFC 3161 token's TSA certificate must
                            chain to (repeatable); default: the cluster description's tsaCaFile
  --json                    print one JSON object per signature, one a line:
                            {"result","code","message","signature","document","signedAt","agency","anchor",...}
  -h, --help                show this help

Output: the result and, for each signature, when it was signed (ISO 8601 UTC), the agency that
asked, and what the proof of time rests on: a publication (its date and code), a quorum
certificate (k of N members), one key's calendar auth record, or the calendar root alone.

RFC 3161 tokens: a token has two anchors, checked apart. The TSA key anchor: the CMS signature,
the ESSCertIDv2 naming the TSA's certificate, its critical id-kp-timeStamping use, its chain to the
--tsa-ca CA at the token's time, and no certificate of the chain expired since (after that the key
may be retired or stolen, so its signature alone proves nothing). The KSI anchor: the keyless KSI
signature a Tempel TSA puts in the token (of the same imprint, at the same second), verified as a
.ksig file is, under --policy. The report says which anchor holds: both, one (OK, naming it), or
none (NA); anything altered or mismatched is FAIL, whichever anchor still holds. A token stays
provable on its KSI anchor after its TSA key is retired or stolen.

Policies:
  internal     consistent in itself and with the document; needs nothing, proves no time
  publication  against --pub-str, else against the publications file
  key          a key holder certified the calendar root. With the cluster's genesis: a quorum of
               its members (their quorum certificate), nothing less; one member's calendar auth
               record alone gives NA TEM-01. Without it (plain KSI): any one key whose certificate
               the publications file lists
  calendar     against the cluster's calendar (its extender)
  default      internal, then --pub-str alone when given, else the publications file falling
               back to key

Cluster: named by --endpoint or --config, else TEMPEL_ENDPOINTS or TEMPEL_CONFIG, else found as
.tempel/cluster.json here or in the nearest folder above (npm start writes it). Its genesis gives
the members' keys and quorum that check a signature's quorum certificate, and the publications
authority; its nodes extend (calendar policy; needs the agency's credentials: TEMPEL_LOGIN and
TEMPEL_KEY_FILE or TEMPEL_KEY, or the description's agency) and serve the publications file used when no publication
is given. With no cluster running, the genesis comes from --genesis, else from .tempel/trust.json
here or above (npm start keeps it after the cluster stops, with the last publications file, used
when no publication is given): verification needs no running node.
Without any, only what the options give is trusted.

${EXIT_CODES_HELP}
`;

const POLICIES: ReadonlyMap<string, Rule> = new Map([
  ["internal", internalPolicy],
  ["publication", publicationPolicy],
  ["key", keyPolicy],
  ["calendar", calendarPolicy],
  ["default", defaultPolicy],
]);

export const VERIFY_OPTIONS = {
  document: { type: "string" },
  "document-hash": { type: "string" },
  "signature-only": { type: "boolean", default: false },
  level: { type: "string" },
  policy: { type: "string", default: "default" },
  "pub-str": { type: "string" },
  "publications-file": { type: "string" },
  "trust-anchor": { type: "string", multiple: true },
  cnstr: { type: "string", multiple: true },
  endpoint: { type: "string", multiple: true },
  config: { type: "string" },
  genesis: { type: "string" },
  token: { type: "string" },
  "tsa-ca": { type: "string", multiple: true },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

export type Values = ReturnType<typeof parseStrict<{ options: typeof VERIFY_OPTIONS }>>["values"];

/** The verification result, or FAIL with code PARSE for bytes that are no signature, with the inputs named. */
interface Report extends Omit<VerificationResult, "code"> {
  readonly code: VerificationCode | "PARSE" | null;
  readonly policy: string;
  readonly signature: string;
  readonly document?: string;
  readonly publicationsFile?: { readonly path: string; readonly signature: "verified" };
  /** Absent for bytes that are no signature. */
  readonly signedAt?: TimeJson;
  readonly agency?: string | null;
  readonly anchor?: Anchor;
}

const EXIT_BY_RESULT: Record<VerificationResult["result"], ExitCodeValue> = {
  OK: ExitCode.OK,
  FAIL: ExitCode.FAIL,
  NA: ExitCode.INCONCLUSIVE,
};

function parseLevel(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,3}$/.test(text) || Number(text) > 255) throw new UsageError(`--level ${text}: expected 0..255`);
  return Number(text);
}

function parseImprint(text: string): Imprint {
  const bytes = fromHex(text.trim());
  if (bytes === undefined) {
    throw new UsageError("--document-hash: expected hex digits (algorithm byte + digest)");
  }
  try {
    return checkImprint(bytes, "--document-hash");
  } catch (error) {
    if (error instanceof TempelError) throw new UsageError(error.message);
    throw error;
  }
}

function parsePublication(text: string): PublicationData {
  try {
    return decodePublicationString(text);
  } catch (error) {
    if (error instanceof TempelError) throw new UsageError(`--pub-str: ${error.message}`);
    throw error;
  }
}

/** What the cluster's genesis says to trust. */
function genesisTrust(genesis: string | undefined): {
  quorumTrust?: QuorumTrust;
  publicationsSigner?: DetachedCmsOptions;
} {
  if (genesis === undefined) return {};
  try {
    const publicationsSigner = publicationsTrustFromGenesis(genesis);
    return {
      quorumTrust: quorumTrustFromGenesis(genesis),
      ...(publicationsSigner !== undefined && { publicationsSigner }),
    };
  } catch (error) {
    if (error instanceof TempelError) throw new UsageError(error.message);
    throw error;
  }
}

async function loadPublicationsFile(
  path: string,
  values: Values,
  genesisSigner: DetachedCmsOptions | undefined,
): Promise<PublicationsFile> {
  const bytes = await readInput(path, MAX_PUBLICATIONS_FILE_BYTES, "publications file");
  const anchors = values["trust-anchor"] ?? [];
  const constraints = parseConstraints(values.cnstr ?? []);
  if (anchors.length === 0 && Object.keys(constraints).length > 0) {
    throw new UsageError(
      "--cnstr needs --trust-anchor: constraints apply to a signer checked against an anchor",
    );
  }
  const signer =
    anchors.length === 0
      ? genesisSigner
      : { trustAnchors: await Promise.all(anchors.map(readCertificate)), constraints };
  // Anyone can write a publications file: unchecked, it would let its author date anything.
  if (signer === undefined) {
    throw new UsageError(
      `publications file ${path}: nothing to check its signature against; pass --trust-anchor FILE ` +
        "(the CA certificate it must be signed under, with --cnstr E=ADDRESS for its signer's e-mail), " +
        "or name the cluster (--config FILE) whose genesis names a publications authority",
    );
  }
  try {
    return await verifyPublicationsFile(bytes, signer);
  } catch (error) {
    if (error instanceof TempelError) {
      throw new UsageError(`publications file ${path} cannot be used: ${error.message}`);
    }
    throw error;
  }
}

async function documentHash(
  signature: KsiSignature,
  document: string | undefined,
  imprint: string | undefined,
): Promise<Imprint | undefined> {
  if (document !== undefined && imprint !== undefined) {
    throw new UsageError("give either --document or --document-hash, not both");
  }
  if (imprint !== undefined) return parseImprint(imprint);
  return document === undefined ? undefined : hashDocument(document, imprintAlgorithm(signedHash(signature)));
}

/** What to do next, when the answer leaves something open; `publicationGiven` if --pub-str or a file was. */
function nextStep(report: Report, publicationGiven: boolean): string | undefined {
  if (report.result === "OK" && report.policy === "internal") {
    return "internal consistency does not prove the signing time: verify against a publication with --pub-str or --publications-file";
  }
  if (report.result !== "NA") return undefined;
  if (report.code === "TEM-01") {
    return "the cluster's quorum has not certified this calendar root (one member's key proves nothing alone): extend the signature to a certified root (tempel extend) or to a publication (tempel extend --to publication), then verify again";
  }
  switch (report.policy) {
    case "calendar":
      return "calendar-based verification needs the cluster's extender: run where .tempel/cluster.json is, or pass --config FILE or --endpoint URL, with the agency's credentials";
    case "key":
      return report.publicationsFile === undefined
        ? "pass --publications-file FILE with the certificate that signed the calendar root"
        : undefined;
    default:
      return publicationGiven
        ? "the signature is not extended to a publication you gave: extend it, or give the one it has"
        : "pass --pub-str CODE (a printed publication) or --publications-file FILE";
  }
}

function printReport(report: Report, io: CliIo, json: boolean, publicationGiven: boolean): void {
  if (json) {
    io.out(`${JSON.stringify(report)}\n`);
    return;
  }
  const head = report.code === null ? report.result : `${report.result} ${report.code}`;
  const lines = [`${head}: ${report.message}`, `  signature: ${report.signature}`];
  if (report.document !== undefined) lines.push(`  document:  ${report.document}`);
  if (report.signedAt !== undefined) lines.push(`  signed at: ${timeText(report.signedAt.unix)}`);
  if (report.agency !== undefined)
    lines.push(`  agency:    ${report.agency ?? "not named in the signature"}`);
  if (report.anchor !== undefined) lines.push(`  anchored to: ${anchorText(report.anchor)}`);
  if (report.publicationsFile !== undefined) {
    lines.push(
      `  publications file: ${report.publicationsFile.path} (signature ${report.publicationsFile.signature})`,
    );
  }
  lines.push(`  policy: ${report.policy}${report.rule === undefined ? "" : `, decided by ${report.rule}`}`);
  const next = nextStep(report, publicationGiven);
  if (next !== undefined) lines.push(`  next: ${next}`);
  io.out(`${lines.join("\n")}\n`);
}

/**
 * Why the cluster cannot be asked, if that is so: the calendar policy's NA does not tell an extender
 * that was not reached from one that is missing, so the cluster is asked for its head to find out.
 */
async function unreachableCluster(cluster: Cluster): Promise<string | undefined> {
  try {
    await cluster.client.head();
    return undefined;
  } catch (error) {
    const failure = describeFailure(error);
    if (failure?.exitCode !== ExitCode.UNAVAILABLE) throw error;
    return (
      `the cluster's extender is needed for --policy calendar but ${failure.message}; start the ` +
      "cluster (npm start) or name a running one (--config, --endpoint), or verify without it: " +
      "--policy default with --pub-str CODE or --publications-file FILE"
    );
  }
}

/** Signatures verified at once: enough to overlap their file reads, few enough to bound memory. */
const VERIFY_WINDOW = 32;

/** What every signature of one `tempel verify` run is checked with. */
export interface Checks {
  readonly values: Values;
  readonly policy: Rule;
  readonly cluster: Cluster | undefined;
  readonly trust: ReturnType<typeof genesisTrust>;
  readonly publications: PublicationsFile | undefined;
  readonly publicationsPath: string | undefined;
  readonly userPublication: PublicationData | undefined;
  readonly inputLevel: number | undefined;
}

/**
 * `signature` checked under the run's policy, against `hash` at `inputLevel` when given. The SDK
 * verifies with all the cluster has, but takes no publications file from the caller: with one given,
 * the signature is checked here against it and the genesis' quorum. The calendar policy reads no
 * publications file, so it always goes to the cluster.
 */
export function verifyWithChecks(
  signature: KsiSignature,
  hash: Imprint | undefined,
  inputLevel: number | undefined,
  checks: Checks,
): Promise<VerificationResult> {
  const { policy, cluster, trust, publications, userPublication } = checks;
  return cluster !== undefined && (publications === undefined || policy === calendarPolicy)
    ? cluster.client.verify(new Signature(signature), hash === undefined ? undefined : { imprint: hash }, {
        policy,
        ...(userPublication !== undefined && { publication: userPublication }),
        ...(inputLevel !== undefined && { level: inputLevel }),
      })
    : verifySignature(
        signature,
        {
          ...(hash !== undefined && { documentHash: hash }),
          ...(inputLevel !== undefined && { inputLevel }),
          ...(userPublication !== undefined && { userPublication }),
          ...(publications !== undefined && { publicationsFile: publications }),
          ...(trust.quorumTrust !== undefined && { quorumTrust: trust.quorumTrust }),
          hasher: nodeHasher,
        },
        policy,
      );
}

/**
 * The policy's result for a KSI signature, the same for a .ksig file and a token's KSI anchor, or why
 * the cluster needed for it could not be asked.
 */
async function verifyKsi(
  signature: KsiSignature,
  hash: Imprint | undefined,
  checks: Checks,
): Promise<VerificationResult | { unavailable: string }> {
  const { policy, cluster, inputLevel } = checks;
  const result = await verifyWithChecks(signature, hash, inputLevel, checks);
  if (result.result === "NA" && policy === calendarPolicy && cluster !== undefined) {
    const unreachable = await unreachableCluster(cluster);
    if (unreachable !== undefined) return { unavailable: unreachable };
  }
  return result;
}

/** One KSI signature's report, or why the cluster needed for it could not be asked. */
async function verifyOne(
  target: VerifyTarget,
  checks: Checks,
): Promise<{ report: Report } | { unavailable: string }> {
  const { values, trust, publications, userPublication } = checks;
  const base = {
    policy: values.policy,
    signature: target.signature,
    ...(target.document !== undefined && { document: target.document }),
    ...(publications !== undefined && {
      publicationsFile: { path: checks.publicationsPath!, signature: "verified" as const },
    }),
  };
  const signature = await readSignature(target.signature);
  if (typeof signature === "string") {
    return {
      report: { result: "FAIL", code: "PARSE", message: `not a KSI signature: ${signature}`, ...base },
    };
  }
  const hash = await documentHash(signature, target.document, values["document-hash"]);
  const result = await verifyKsi(signature, hash, checks);
  if ("unavailable" in result) return result;
  const signed = new Signature(signature);
  return {
    report: {
      ...result,
      ...base,
      signedAt: timeJson(signed.aggregationTime),
      agency: signed.agency ?? null,
      anchor: signatureAnchor(signature, userPublication, trust.quorumTrust),
    },
  };
}

/** A token's checks, drawn from the run's: the TSA CA, and the KSI anchor verified as a .ksig is. */
function tokenChecks(checks: Checks, tsaCa: readonly Uint8Array[]): TokenChecks {
  const given = checks.values["document-hash"];
  return {
    tsaCa,
    ...(given !== undefined && { documentHash: parseImprint(given) }),
    // The token's imprint is the KSI signature's document hash: the anchor must sign exactly it.
    verifyKsi: (signature, imprint) => verifyKsi(signature, imprint, checks),
    anchorOf: (signature) => signatureAnchor(signature, checks.userPublication, checks.trust.quorumTrust),
  };
}

/**
 * The CA certificates RFC 3161 tokens are checked against: --tsa-ca, else the cluster description's
 * tsaCaFile; none when neither names any (the TSA key anchor then does not hold, and says so).
 */
async function tsaCa(values: Values): Promise<Uint8Array[]> {
  const files = values["tsa-ca"] ?? [];
  if (files.length === 0) {
    const described = (await clusterFile(values, process.env, process.cwd()))?.tsaCaFile;
    if (described !== undefined) files.push(described);
  }
  const certificates: Uint8Array[] = [];
  for (const file of files) {
    const listed = await readCertificates(file);
    if (listed.length === 0) throw new UsageError(`TSA CA file ${file} holds no certificate`);
    for (const der of listed) {
      try {
        parseCertificate(der);
      } catch (error) {
        if (!(error instanceof TempelError)) throw error;
        throw new UsageError(`TSA CA file ${file}: ${error.message}`);
      }
    }
    certificates.push(...listed);
  }
  return certificates;
}

/** The signatures the command line names, each once (a glob may name a document and its .ksig). */
async function targets(paths: readonly string[], values: Values): Promise<(VerifyTarget | UsageError)[]> {
  if (values.token !== undefined) {
    if (values["signature-only"]) {
      throw new UsageError(
        "--token checks the token against FILE; to check a token alone, name it: tempel verify FILE.tsr --signature-only",
      );
    }
    if (paths.length !== 1 || values.document !== undefined) {
      throw new UsageError(
        "--token goes with the one document it time-stamps: tempel verify FILE --token FILE.tsr",
      );
    }
    return [{ signature: values.token, format: "rfc3161", document: paths[0]! }];
  }
  const options = {
    ...(values.document !== undefined && { document: values.document }),
    documentHash: values["document-hash"] !== undefined,
    signatureOnly: values["signature-only"],
  };
  const seen = new Set<string>();
  const found: (VerifyTarget | UsageError)[] = [];
  for (const path of paths) {
    try {
      const target = await locate(path, options);
      if (seen.has(target.signature)) continue;
      seen.add(target.signature);
      found.push(target);
    } catch (error) {
      if (!(error instanceof UsageError) || paths.length === 1) throw error;
      found.push(error);
    }
  }
  return found;
}

function summary(counts: ReadonlyMap<string, number>, total: number): string {
  const parts = [...counts].filter(([, n]) => n > 0).map(([what, n]) => `${n} ${what}`);
  return `${total} checked: ${parts.join(", ")}\n`;
}

/** What every signature of a run is checked with, from the command line's trust options. */
export async function gatherChecks(values: Values): Promise<Checks> {
  const policy = POLICIES.get(values.policy);
  if (policy === undefined) {
    throw new UsageError(`--policy ${values.policy}: expected one of ${[...POLICIES.keys()].join(", ")}`);
  }
  const inputLevel = parseLevel(values.level);
  const userPublication = values["pub-str"] === undefined ? undefined : parsePublication(values["pub-str"]);
  const cluster = namesCluster(values) ? await openCluster(values, {}) : undefined;
  const trust = genesisTrust(cluster === undefined ? await readGenesis(values, undefined) : cluster.genesis);
  // Offline, the publications file the trust file kept stands in for the cluster's, unless a
  // publication is given by hand.
  const kept =
    cluster === undefined && userPublication === undefined ? await keptTrust(values, undefined) : undefined;
  const publicationsPath = values["publications-file"] ?? kept?.publicationsFile;
  const publications =
    publicationsPath === undefined
      ? undefined
      : await loadPublicationsFile(publicationsPath, values, trust.publicationsSigner);
  return {
    values,
    policy,
    cluster,
    trust,
    publications,
    publicationsPath,
    userPublication,
    inputLevel,
  };
}

/** `tempel verify`: gather what to trust once, then decode, run the policy and report per signature. */
export async function verifyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseStrict({
    args: [...args],
    options: VERIFY_OPTIONS,
    allowPositionals: true,
  });
  if (values.help) {
    io.out(VERIFY_HELP);
    return ExitCode.OK;
  }
  if (positionals.length === 0) {
    throw new UsageError("name the signatures (or signed documents) to verify (see tempel verify --help)");
  }
  if (values["signature-only"] && (values.document !== undefined || values["document-hash"] !== undefined)) {
    throw new UsageError("--signature-only checks no document: drop --document and --document-hash");
  }
  const paths = await expandPaths(positionals);
  if (paths.length > 1 && (values.document !== undefined || values["document-hash"] !== undefined)) {
    throw new UsageError("--document and --document-hash go with a single signature");
  }
  const checks = await gatherChecks(values);
  const { userPublication, publications } = checks;
  const publicationGiven = userPublication !== undefined || publications !== undefined;

  const found = await targets(paths, values);
  const forTokens = found.some((target) => !(target instanceof UsageError) && target.format === "rfc3161")
    ? tokenChecks(checks, await tsaCa(values))
    : undefined;
  const counts = new Map<string, number>([
    ["OK", 0],
    ["FAIL", 0],
    ["NA", 0],
    ["without a signature", 0],
    ["unreadable", 0],
    ["unavailable", 0],
  ]);
  const count = (what: string) => counts.set(what, counts.get(what)! + 1);
  const progress = new ProgressBar(found.length, "signatures verified");
  let worst: ExitCodeValue = ExitCode.OK;
  // A window of signatures at a time: their files are read and hashed while others verify, and the
  // reports still come in the order given.
  for (let start = 0; start < found.length; start += VERIFY_WINDOW) {
    const window = found.slice(start, start + VERIFY_WINDOW);
    const outcomes = await Promise.all(
      window.map((target) =>
        target instanceof UsageError
          ? target
          : (target.format === "rfc3161" ? verifyToken(target, forTokens!) : verifyOne(target, checks)).catch(
              (error: unknown) => {
                // One unreadable file among many is reported with the rest, not the end of the run.
                if (!(error instanceof UsageError) || found.length === 1) throw error;
                return { unreadable: error.message };
              },
            ),
      ),
    );
    progress.clear();
    for (const outcome of outcomes) {
      if (outcome instanceof UsageError) {
        io.err(`tempel verify: ${outcome.message}\n`);
        count("without a signature");
        worst = worstExit(worst, ExitCode.USAGE);
      } else if ("unreadable" in outcome) {
        io.err(`tempel verify: ${outcome.unreadable}\n`);
        count("unreadable");
        worst = worstExit(worst, ExitCode.USAGE);
      } else if ("unavailable" in outcome) {
        io.err(`tempel verify: ${outcome.unavailable}\n`);
        count("unavailable");
        worst = worstExit(worst, ExitCode.UNAVAILABLE);
      } else {
        if ("format" in outcome.report) {
          io.out(values.json ? `${JSON.stringify(outcome.report)}\n` : printTokenReport(outcome.report));
        } else {
          printReport(outcome.report, io, values.json, publicationGiven);
        }
        count(outcome.report.result);
        worst = worstExit(worst, EXIT_BY_RESULT[outcome.report.result]);
      }
    }
    progress.update(start + window.length);
  }
  progress.clear();
  if (found.length > 1 && !values.json) io.out(summary(counts, found.length));
  return worst;
}

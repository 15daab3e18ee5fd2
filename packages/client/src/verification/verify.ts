import {
  type CalendarHashChain,
  calendarPolicy,
  decodePublicationString,
  defaultPolicy,
  type Hasher,
  imprintAlgorithm,
  internalPolicy,
  type KsiSignature,
  keyPolicy,
  type PublicationData,
  type PublicationsFile,
  publicationPolicy,
  type QuorumTrust,
  type Rule,
  signedHash,
  TempelError,
  type VerificationResult,
  verifySignature,
} from "@tempel/proto";
import { AbortedError, OptionsError } from "../errors.ts";
import { imprintOf, type SignInput } from "../signing/sign-input.ts";

/** KSI's verification policies by name (see @tempel/proto's policies). */
export const POLICIES = {
  internal: internalPolicy,
  calendar: calendarPolicy,
  key: keyPolicy,
  publication: publicationPolicy,
  default: defaultPolicy,
} as const satisfies Record<string, Rule>;

export type PolicyName = keyof typeof POLICIES;

export interface VerifyOptions {
  /** A policy by name, or any rule composed with @tempel/proto. Default: "default". */
  readonly policy?: PolicyName | Rule;
  /** A publication to verify against: a publication code as printed, or decoded. */
  readonly publication?: PublicationData | string;
  /** The document hash's level in the caller's own aggregation tree; default 0. */
  readonly level?: number;
  readonly signal?: AbortSignal;
}

/** What verification may draw on beyond the signature: a client's cluster, when there is one. */
export interface VerificationSources {
  readonly quorumTrust?: QuorumTrust;
  readonly extender?: (
    aggregationTime: number,
    publicationTime: number | undefined,
    signal: AbortSignal | undefined,
  ) => Promise<CalendarHashChain>;
  readonly publicationsFile?: (signal: AbortSignal | undefined) => Promise<PublicationsFile>;
  /** What the signature and the document are hashed with; nobleHasher if absent. */
  readonly hasher?: Hasher;
}

function policyRule(policy: VerifyOptions["policy"]): Rule {
  if (policy === undefined) return defaultPolicy;
  if (typeof policy !== "string") return policy;
  if (!Object.hasOwn(POLICIES, policy)) {
    throw new OptionsError(`policy ${policy}: expected one of ${Object.keys(POLICIES).join(", ")}`);
  }
  return POLICIES[policy];
}

/** The publications file a verification uses, or why there is none although one was configured. */
interface FileForPolicy {
  readonly file?: PublicationsFile;
  readonly unavailable?: string;
}

/**
 * The publications file for a policy that can use it, when no publication was given. The key policy
 * needs none once the members are known: only their quorum certifies a root then, not the file's
 * certificates. A file that cannot be had fails the publication policy, which is about nothing else;
 * the others go on without it (the quorum certificate may still decide), and an inconclusive result
 * then says why the file was missing.
 */
async function publicationsFileFor(
  rule: Rule,
  sources: VerificationSources,
  signal: AbortSignal | undefined,
): Promise<FileForPolicy> {
  if (
    rule === internalPolicy ||
    rule === calendarPolicy ||
    (rule === keyPolicy && sources.quorumTrust !== undefined) ||
    sources.publicationsFile === undefined
  )
    return {};
  try {
    return { file: await sources.publicationsFile(signal) };
  } catch (error) {
    if (rule === publicationPolicy || !(error instanceof TempelError) || error instanceof AbortedError) {
      throw error;
    }
    return { unavailable: `the publications file could not be used: ${error.message}` };
  }
}

/**
 * Verify `signature` under a KSI policy, against `document` when given (hashed with the algorithm the
 * signature used). A wrong signature is a FAIL or NA result; bad options throw, and so does a
 * publications file that cannot be had under the publication policy. With the cluster's members
 * known, a calendar root counts as certified only through a quorum of them (NA TEM-01 otherwise).
 */
export async function verifyKsiSignature(
  signature: KsiSignature,
  document: SignInput | undefined,
  options: VerifyOptions,
  sources: VerificationSources,
): Promise<VerificationResult> {
  const { signal } = options;
  const rule = policyRule(options.policy);
  const publication =
    typeof options.publication === "string"
      ? decodePublicationString(options.publication)
      : options.publication;
  const documentHash =
    document === undefined
      ? undefined
      : await imprintOf(document, imprintAlgorithm(signedHash(signature)), signal, sources.hasher);
  const { file: publicationsFile, unavailable } =
    publication === undefined ? await publicationsFileFor(rule, sources, signal) : {};
  const { extender, quorumTrust, hasher } = sources;
  const result = await verifySignature(
    signature,
    {
      ...(documentHash !== undefined && { documentHash }),
      ...(options.level !== undefined && { inputLevel: options.level }),
      ...(publication !== undefined && { userPublication: publication }),
      ...(publicationsFile !== undefined && { publicationsFile }),
      ...(quorumTrust !== undefined && { quorumTrust }),
      ...(hasher !== undefined && { hasher }),
      ...(extender !== undefined && {
        extender: (time: number, publicationTime?: number) => extender(time, publicationTime, signal),
        extendingAllowed: true,
      }),
    },
    rule,
  );
  return result.result === "NA" && unavailable !== undefined
    ? { ...result, message: `${result.message}; ${unavailable}` }
    : result;
}

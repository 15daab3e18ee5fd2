/**
 * What the monitor raises when the cluster's history does not add up. Each kind is evidence that
 * someone rewrote or forked the calendar, or signed what the members did not certify:
 * - `rewritten-history`: a node's new head is not an extension of the head it showed before;
 * - `fork`: two nodes' heads do not belong to one calendar (or differ for the same second);
 * - `bad-certificate`: a head's quorum certificate lacks q valid member signatures;
 * - `publication-mismatch`: a publication record's root is not the calendar's root at its second,
 *   or its quorum certificate does not certify it;
 * - `publications-rewritten`: a publications file drops, changes or reorders a publication;
 * - `publications-untrusted`: a node serves a publications file the genesis authority did not sign.
 */
export type AlertKind =
  | "rewritten-history"
  | "fork"
  | "bad-certificate"
  | "publication-mismatch"
  | "publications-rewritten"
  | "publications-untrusted";

export const ALERT_KINDS: readonly AlertKind[] = [
  "rewritten-history",
  "fork",
  "bad-certificate",
  "publication-mismatch",
  "publications-rewritten",
  "publications-untrusted",
];

/** A calendar root a node showed, with its quorum certificate: what anyone can re-check. */
export interface RootEvidence {
  /** The node's base URL. */
  readonly node: string;
  readonly time: number;
  /** Imprint, hex. */
  readonly root: string;
  /** The quorum certificate TLV (0x0810), base64. */
  readonly certificate?: string;
}

/** A consistency proof as a node answered it: the calendar chain from `from` to the root at `to`. */
export interface ProofEvidence {
  readonly node: string;
  readonly from: number;
  readonly to: number;
  /** Calendar hash chain TLV (0x0802), base64. */
  readonly chain: string;
  /** What checkCalendarConsistency said of it. */
  readonly verdict: string;
}

export interface Alert {
  readonly kind: AlertKind;
  readonly message: string;
  /** Monitor clock, milliseconds. */
  readonly raisedAt: number;
  readonly evidence: {
    /** The root the other is checked against (seen first, or the older one). */
    readonly expected?: RootEvidence;
    /** The root that does not fit. */
    readonly found?: RootEvidence;
    readonly proof?: ProofEvidence;
    /** Further facts: a publication record, a certificate check, a file's problem. */
    readonly detail?: Readonly<Record<string, unknown>>;
  };
}

import { type Hasher, nobleHasher } from "../hash/hasher.ts";
import type { Imprint } from "../hash/imprint.ts";
import type { PublicationsFile } from "../publication/index.ts";
import type { CalendarHashChain, KsiSignature, PublicationData } from "../signature/types.ts";
import { memoizedAggregationOutput, memoizedCalendarOutput } from "./chain-memo.ts";
import { memoizedHasher } from "./step-memo.ts";

/**
 * Asks a KSI extender for the calendar chain from `aggregationTime` to `publicationTime` (to the
 * calendar head when absent). Rejecting means the service could not answer.
 */
export type Extender = (aggregationTime: number, publicationTime?: number) => Promise<CalendarHashChain>;

/** A cluster member whose Ed25519 key may sign calendar roots (from the genesis file). */
export interface QuorumMember {
  readonly id: string;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

export interface QuorumTrust {
  readonly members: readonly QuorumMember[];
  /** Distinct valid member signatures needed. */
  readonly quorum: number;
}

export interface VerificationOptions {
  /** Imprint of the document the signature is claimed to cover. */
  readonly documentHash?: Imprint;
  /** Level of the document hash in a client-side aggregation tree (0 for a plain document). */
  readonly inputLevel?: number;
  /** A publication the user trusts, e.g. decoded from a printed publication string. */
  readonly userPublication?: PublicationData;
  /** A publications file whose CMS signature the caller has already checked (`verifyPublicationsFile`). */
  readonly publicationsFile?: PublicationsFile;
  /** Whether publication-based policies may extend the signature through `extender` (KSI's flag). */
  readonly extendingAllowed?: boolean;
  readonly extender?: Extender;
  readonly quorumTrust?: QuorumTrust;
  readonly hasher?: Hasher;
}

export interface ChainOutput {
  readonly hash: Imprint;
  readonly level: number;
}

/**
 * What the rules of one verification read: the signature, the caller's inputs, and values derived
 * from them that several rules need (computed once, on first use).
 */
export class VerificationContext {
  readonly signature: KsiSignature;
  readonly options: VerificationOptions;
  readonly hasher: Hasher;
  private chainOutputs?: readonly ChainOutput[];
  private calendarOutput?: Imprint;
  private readonly extended = new Map<number | undefined, Promise<CalendarHashChain>>();

  constructor(signature: KsiSignature, options: VerificationOptions = {}) {
    this.signature = signature;
    this.options = options;
    this.hasher = memoizedHasher(options.hasher ?? nobleHasher);
  }

  get inputLevel(): number {
    return this.options.inputLevel ?? 0;
  }

  /** The signing second as the aggregation chains state it. */
  get aggregationTime(): number {
    return this.signature.aggregationChains[0]!.aggregationTime;
  }

  /**
   * Each aggregation chain recomputed from its own input hash, the level carried from chain to chain.
   * The first chain starts at level 0 whatever the input level: a client's level is already folded
   * into the first link's level correction (the KSI test pack's level-4 and level-5 signatures reach
   * their calendar input only this way), so the input level is only checked against it (GEN-03).
   */
  aggregationOutputs(): readonly ChainOutput[] {
    if (this.chainOutputs === undefined) {
      const outputs: ChainOutput[] = [];
      let level = 0;
      for (const chain of this.signature.aggregationChains) {
        const output = memoizedAggregationOutput(chain, level, this.hasher);
        outputs.push(output);
        level = output.level;
      }
      this.chainOutputs = outputs;
    }
    return this.chainOutputs;
  }

  /** The root of the aggregation chains: what the calendar must have recorded. */
  aggregationRoot(): Imprint {
    const outputs = this.aggregationOutputs();
    return outputs[outputs.length - 1]!.hash;
  }

  /** Root of the signature's calendar chain; callers check that the chain exists. */
  calendarRoot(): Imprint {
    this.calendarOutput ??= memoizedCalendarOutput(this.signature.calendarChain!, this.hasher);
    return this.calendarOutput;
  }

  /** The extender's chain for this signature's second, asked once per publication time. */
  extendedChain(extender: Extender, publicationTime: number | undefined): Promise<CalendarHashChain> {
    let chain = this.extended.get(publicationTime);
    if (chain === undefined) {
      chain = extender(this.aggregationTime, publicationTime);
      this.extended.set(publicationTime, chain);
    }
    return chain;
  }
}

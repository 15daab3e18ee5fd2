import {
  bytesEqual,
  decodePublicationData,
  decodeQuorumCertificate,
  decodeTlv,
  type Imprint,
  toHex,
} from "@tempel/proto";
import { decodeMessage } from "../../src/consensus/messages.ts";
import type { CalendarEntry } from "../../src/consensus/types.ts";

/**
 * The safety properties, checked against everything the nodes do as it happens:
 * - a committed entry never changes: every node applies the same entry for a second, once;
 * - all nodes agree on every certified second: no two certificates for a second name different roots;
 * - no node signs two roots for one second (what it persists and what it broadcasts);
 * - every signature handed to a client verifies.
 * It also folds what happened into a digest, so that a replay of the same seed can be compared.
 */
export class Invariants {
  readonly violations: string[] = [];
  readonly #leaves = new Map<number, Imprint>();
  readonly #certifiedRoots = new Map<number, Imprint>();
  readonly #signed = new Map<string, Imprint>();
  /** Per node: the seconds it holds a certificate for, with when (ms since the start) it got each. */
  readonly certified = new Map<string, Map<number, number>>();
  #digest = 0x811c9dc5;
  #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  get digest(): string {
    return (this.#digest >>> 0).toString(16).padStart(8, "0");
  }

  violation(text: string): void {
    this.violations.push(`t=${this.#now()}ms: ${text}`);
  }

  applied(node: string, entry: CalendarEntry): void {
    this.#fold(`apply ${node} ${entry.time} ${toHex(entry.leaf)}`);
    const known = this.#leaves.get(entry.time);
    if (known === undefined) this.#leaves.set(entry.time, entry.leaf);
    else if (!bytesEqual(known, entry.leaf))
      this.violation(`${node} applied a different entry for second ${entry.time}`);
  }

  certificateSaved(node: string, time: number, bytes: Uint8Array): void {
    const root = decodeQuorumCertificate(decodeTlv(bytes)).publishedData.publishedHash;
    this.#fold(`certified ${node} ${time} ${toHex(root)}`);
    let seconds = this.certified.get(node);
    if (seconds === undefined) {
      seconds = new Map();
      this.certified.set(node, seconds);
    }
    if (!seconds.has(time)) seconds.set(time, this.#now());
    const known = this.#certifiedRoots.get(time);
    if (known === undefined) this.#certifiedRoots.set(time, root);
    else if (!bytesEqual(known, root)) this.violation(`two certified roots for second ${time} (${node})`);
  }

  signedSaved(node: string, time: number, publishedData: Uint8Array): void {
    this.#signedRoot(node, time, decodePublicationData(decodeTlv(publishedData)).publishedHash);
  }

  /** Every message on the wire: shares must agree with what their sender ever signed. */
  sent(node: string, bytes: Uint8Array): void {
    const message = decodeMessage(bytes, {
      maxMessageBytes: Number.MAX_SAFE_INTEGER,
      maxBatchEntries: 1 << 20,
    });
    if (message.kind === "share") this.#signedRoot(node, message.time, message.root);
  }

  certifiedRoot(time: number): Imprint | undefined {
    return this.#certifiedRoots.get(time);
  }

  #signedRoot(node: string, time: number, root: Imprint): void {
    const key = `${node}/${time}`;
    const known = this.#signed.get(key);
    if (known === undefined) this.#signed.set(key, root);
    else if (!bytesEqual(known, root)) this.violation(`${node} signed two roots for second ${time}`);
  }

  #fold(text: string): void {
    let h = this.#digest;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    this.#digest = h >>> 0;
  }
}

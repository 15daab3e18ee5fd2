import { createPublicKey, type KeyObject, verify } from "node:crypto";
import {
  type AggregationResponsePayload,
  AggregatorStatus,
  decodeAggregationResponsePdu,
  decodeSignature,
  describeStatus,
  type Imprint,
  type KsiSignature,
  signatureFromAggregationResponse,
} from "@tempel/proto";
import { BASELINE_TOKEN_BYTES, signedPart } from "./baseline-protocol.ts";
import type { Service } from "./protocols.ts";
import type { SignatureVerifier } from "./signature-verifier.ts";

export interface CheckedResponse {
  /** "ok", or the response's first problem (`bad_response`, `bad_hmac`, `ksi_OVER_QUOTA`, …). */
  readonly outcome: string;
  /** Verification verdicts ("OK", "FAIL:INT-04", `wrong_input`, …) with their counts. */
  readonly verdicts: Readonly<Record<string, number>>;
  /** The aggregation seconds of the signatures received. */
  readonly seconds: readonly number[];
}

/**
 * The baseline's tokens cost one ECDSA verification each, twice its signing: checking every one would
 * take the baseline server's CPU away on a small machine, so one in this many is checked.
 */
export const BASELINE_VERIFY_EVERY = 16;
const MAX_JSON_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Decodes and checks a 200 answer to one load request, and verifies what it carries. */
export class ResponseChecker {
  readonly #service: Service;
  readonly #verifier: SignatureVerifier;
  #baselineTokens = 0;
  #baselineKey: KeyObject | undefined;

  constructor(service: Service, verifier: SignatureVerifier) {
    this.#service = service;
    this.#verifier = verifier;
  }

  async check(body: Uint8Array, imprints: readonly Imprint[], firstId: bigint): Promise<CheckedResponse> {
    const service = this.#service;
    switch (service.protocol) {
      case "ksi":
        return this.#checkKsi(body, imprints, firstId, new TextEncoder().encode(service.agency.key));
      case "json":
        return this.#checkJson(body, imprints);
      case "baseline":
        this.#baselineKey ??= createPublicKey(service.publicKey);
        return this.#checkBaseline(body, imprints, this.#baselineKey);
    }
  }

  async #checkKsi(
    body: Uint8Array,
    imprints: readonly Imprint[],
    firstId: bigint,
    key: Uint8Array,
  ): Promise<CheckedResponse> {
    let decoded: ReturnType<typeof decodeAggregationResponsePdu>;
    try {
      decoded = decodeAggregationResponsePdu(body, { maxPayloads: imprints.length });
    } catch {
      return failed("bad_response");
    }
    const { pdu, hmac } = decoded;
    if (pdu.error !== undefined) return failed(`ksi_${statusName(pdu.error.status)}`);
    if (hmac === undefined || !hmac.check(key)) return failed("bad_hmac");
    const byId = new Map<bigint, AggregationResponsePayload>(pdu.responses.map((r) => [r.requestId, r]));
    const signatures: (KsiSignature | string)[] = imprints.map((_, i) => {
      const payload = byId.get(firstId + BigInt(i));
      if (payload === undefined) return "missing_answer";
      if (payload.status !== AggregatorStatus.OK) return `ksi_${statusName(payload.status)}`;
      try {
        return signatureFromAggregationResponse(payload);
      } catch {
        return "bad_signature";
      }
    });
    return this.#verifyAll(signatures, imprints);
  }

  async #checkJson(body: Uint8Array, imprints: readonly Imprint[]): Promise<CheckedResponse> {
    let encoded: unknown;
    try {
      if (body.length > MAX_JSON_RESPONSE_BYTES) throw new RangeError("too large");
      encoded = (JSON.parse(new TextDecoder().decode(body)) as { signatures?: unknown }).signatures;
    } catch {
      return failed("bad_response");
    }
    if (!Array.isArray(encoded) || encoded.length !== imprints.length) return failed("bad_response");
    const signatures = encoded.map((text: unknown) => {
      try {
        if (typeof text !== "string") throw new TypeError("not base64 text");
        return decodeSignature(new Uint8Array(Buffer.from(text, "base64")));
      } catch {
        return "bad_signature";
      }
    });
    return this.#verifyAll(signatures, imprints);
  }

  async #verifyAll(
    signatures: readonly (KsiSignature | string)[],
    imprints: readonly Imprint[],
  ): Promise<CheckedResponse> {
    const verdicts: Record<string, number> = {};
    const seconds = new Set<number>();
    let outcome = "ok";
    for (let i = 0; i < signatures.length; i++) {
      const signature = signatures[i]!;
      if (typeof signature === "string") {
        if (outcome === "ok") outcome = signature;
        continue;
      }
      seconds.add(signature.aggregationChains[0]!.aggregationTime);
      const verdict = await this.#verifier.verify(signature, imprints[i]!);
      verdicts[verdict] = (verdicts[verdict] ?? 0) + 1;
    }
    return { outcome, verdicts, seconds: [...seconds] };
  }

  #checkBaseline(body: Uint8Array, imprints: readonly Imprint[], key: KeyObject): CheckedResponse {
    if (body.length !== imprints.length * BASELINE_TOKEN_BYTES) return failed("bad_response");
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const verdicts: Record<string, number> = {};
    for (let i = 0; i < imprints.length; i++) {
      if (this.#baselineTokens++ % BASELINE_VERIFY_EVERY !== 0) continue;
      const at = i * BASELINE_TOKEN_BYTES;
      const data = signedPart(view.getBigUint64(at), view.getBigUint64(at + 8), imprints[i]!);
      const signature = body.subarray(at + 16, at + BASELINE_TOKEN_BYTES);
      const good = verify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, signature);
      const verdict = good ? "OK" : "FAIL:token_signature";
      verdicts[verdict] = (verdicts[verdict] ?? 0) + 1;
    }
    return { outcome: "ok", verdicts, seconds: [] };
  }
}

function failed(outcome: string): CheckedResponse {
  return { outcome, verdicts: {}, seconds: [] };
}

function statusName(status: number): string {
  return describeStatus("aggregator", status)?.name ?? `0x${status.toString(16).padStart(4, "0")}`;
}

import { createHash, createPublicKey, type KeyObject, verify, X509Certificate } from "node:crypto";
import {
  type AggregationResponsePayload,
  AggregatorStatus,
  bytesEqual,
  decodeAggregationResponsePdu,
  decodeSignature,
  describeStatus,
  type Imprint,
  type KsiSignature,
  OID,
  readCertificate,
  readTimeStampResponse,
  readTimeStampToken,
  signatureFromAggregationResponse,
  TempelError,
  type TimeStampToken,
  toHex,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { BASELINE_TOKEN_BYTES, signedPart } from "./baseline-protocol.ts";
import { EvenSampler } from "./even-sampler.ts";
import type { Service } from "./protocols.ts";
import { checkSignatureFrame } from "./signature-frame.ts";
import type { SignatureVerifier } from "./signature-verifier.ts";

export interface CheckedResponse {
  /** "ok", or the response's first problem (`bad_response`, `bad_hmac`, `ksi_OVER_QUOTA`, `bad_signature`, …). */
  readonly outcome: string;
  /**
   * Verdicts with their counts: of the signatures (or baseline tokens) verified in full ("OK",
   * "FAIL:INT-04", `wrong_input`, …) and of those the cheap checks refused (`wrong_input`).
   */
  readonly verdicts: Readonly<Record<string, number>>;
  /** Signatures (or baseline tokens) not picked for full verification that passed the cheap checks. */
  readonly cheaplyChecked: number;
  /** The aggregation seconds of the signatures received. */
  readonly seconds: readonly number[];
}

const MAX_JSON_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * Decodes and checks a 200 answer to one load request. Every answer is checked cheaply — the
 * envelope parses (and its HMAC holds), it has a signature for each hash sent, each signature is
 * well-formed and starts at the hash sent — and an evenly spread `verifyFraction` of the signatures
 * is verified in full (for the baseline: its tokens' ECDSA signatures).
 */
export class ResponseChecker {
  readonly #service: Service;
  readonly #verifier: SignatureVerifier;
  readonly #sampler: EvenSampler;
  #baselineKey: KeyObject | undefined;
  #tsaKeys: ReadonlyMap<string, KeyObject> | undefined;
  /**
   * Where a signature that gets only the cheap checks is decoded: nothing of it is kept, and a
   * buffer per signature (outside V8's heap at this size) cost twenty times the decoding.
   */
  #scratch = Buffer.allocUnsafe(4096);

  constructor(service: Service, verifier: SignatureVerifier, verifyFraction: number) {
    this.#service = service;
    this.#verifier = verifier;
    this.#sampler = new EvenSampler(verifyFraction);
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
      case "rfc3161":
        this.#tsaKeys ??= tsaKeysBySerial(service.certificatePem);
        return checkTimeStamp(body, imprints[0]!, this.#tsaKeys, this.#sampler.pick());
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
      decoded = decodeAggregationResponsePdu(body, { maxPayloads: imprints.length, hasher: nodeHasher });
    } catch {
      return failed("bad_response");
    }
    const { pdu, hmac } = decoded;
    if (pdu.error !== undefined) return failed(`ksi_${statusName(pdu.error.status)}`);
    if (hmac === undefined || !hmac.check(key)) return failed("bad_hmac");
    const byId = new Map<bigint, AggregationResponsePayload>(pdu.responses.map((r) => [r.requestId, r]));
    const tally = new Tally();
    for (const [i, imprint] of imprints.entries()) {
      const payload = byId.get(firstId + BigInt(i));
      if (payload === undefined) tally.fail("missing_answer");
      else if (payload.status !== AggregatorStatus.OK) tally.fail(`ksi_${statusName(payload.status)}`);
      else {
        let signature: KsiSignature;
        try {
          signature = signatureFromAggregationResponse(payload);
        } catch {
          tally.fail("bad_signature");
          continue;
        }
        const lowest = signature.aggregationChains[0]!;
        tally.seconds.add(lowest.aggregationTime);
        if (this.#sampler.pick()) tally.count(await this.#verifier.verify(signature, imprint));
        else if (bytesEqual(lowest.inputHash, imprint)) tally.cheaplyChecked++;
        else tally.count("wrong_input");
      }
    }
    return tally.result();
  }

  async #checkJson(body: Uint8Array, imprints: readonly Imprint[]): Promise<CheckedResponse> {
    let encoded: unknown;
    try {
      if (body.length > MAX_JSON_RESPONSE_BYTES) throw new RangeError("too large");
      // The answer is ASCII (numbers and base64): latin1 reads it as UTF-8 would, at twice the speed.
      const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("latin1");
      encoded = (JSON.parse(text) as { signatures?: unknown }).signatures;
    } catch {
      return failed("bad_response");
    }
    if (!Array.isArray(encoded) || encoded.length !== imprints.length) return failed("bad_response");
    const tally = new Tally();
    for (const [i, imprint] of imprints.entries()) {
      const text: unknown = encoded[i];
      if (typeof text !== "string") {
        tally.fail("bad_signature");
        continue;
      }
      try {
        if (this.#sampler.pick()) {
          const signature = decodeSignature(new Uint8Array(Buffer.from(text, "base64")));
          tally.seconds.add(signature.aggregationChains[0]!.aggregationTime);
          tally.count(await this.#verifier.verify(signature, imprint));
        } else {
          const second = checkSignatureFrame(this.#decodedBase64(text), imprint);
          if (second === "wrong_input") tally.count(second);
          else {
            tally.seconds.add(second);
            tally.cheaplyChecked++;
          }
        }
      } catch (error) {
        if (!(error instanceof TempelError)) throw error;
        tally.fail("bad_signature");
      }
    }
    return tally.result();
  }

  #decodedBase64(text: string): Uint8Array {
    const most = Math.ceil((text.length * 3) / 4);
    if (this.#scratch.length < most) this.#scratch = Buffer.allocUnsafe(most);
    return this.#scratch.subarray(0, this.#scratch.write(text, "base64"));
  }

  #checkBaseline(body: Uint8Array, imprints: readonly Imprint[], key: KeyObject): CheckedResponse {
    if (body.length !== imprints.length * BASELINE_TOKEN_BYTES) return failed("bad_response");
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const tally = new Tally();
    for (const [i, imprint] of imprints.entries()) {
      // A token names no hash: only its signature can say which one it is for.
      if (!this.#sampler.pick()) {
        tally.cheaplyChecked++;
        continue;
      }
      const at = i * BASELINE_TOKEN_BYTES;
      const data = signedPart(view.getBigUint64(at), view.getBigUint64(at + 8), imprint);
      const signature = body.subarray(at + 16, at + BASELINE_TOKEN_BYTES);
      const good = verify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, signature);
      tally.count(good ? "OK" : "FAIL:token_signature");
    }
    return tally.result();
  }
}

/**
 * A TimeStampResp: granted, a token for the hash sent (its second counted); in full, the token's
 * messageDigest and its signature under the TSA certificate's key.
 */
function checkTimeStamp(
  body: Uint8Array,
  imprint: Imprint,
  keys: ReadonlyMap<string, KeyObject>,
  full: boolean,
): CheckedResponse {
  const tally = new Tally();
  let token: TimeStampToken;
  try {
    const reply = readTimeStampResponse(body);
    if (reply.token === undefined) return failed(`tsa_status_${reply.status}_${reply.failInfo.join("_")}`);
    token = readTimeStampToken(reply.token);
  } catch {
    return failed("bad_response");
  }
  tally.seconds.add(token.tstInfo.genTime);
  if (!bytesEqual(token.tstInfo.hashedMessage, imprint.subarray(1))) tally.count("wrong_input");
  else if (!full) tally.cheaplyChecked++;
  else {
    const digest = token.signerInfo.signedAttributes.get(OID.messageDigest)?.[0]?.value;
    const signed = token.signerInfo.signedAttributesDer;
    const key = keys.get(toHex(token.signerInfo.serialNumber));
    const sound =
      digest !== undefined &&
      key !== undefined &&
      bytesEqual(digest, createHash("sha256").update(token.tstInfoDer).digest()) &&
      verify("sha256", signed, key, token.signerInfo.signature);
    tally.count(sound ? "OK" : "FAIL:token_signature");
  }
  return tally.result();
}

/** TSA certificates' public keys by their serial number INTEGER (hex of its DER), as a token's signer names it. */
function tsaKeysBySerial(pem: string): Map<string, KeyObject> {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return new Map(
    blocks.map((block) => {
      const certificate = new X509Certificate(block);
      return [toHex(readCertificate(new Uint8Array(certificate.raw)).serialNumber), certificate.publicKey];
    }),
  );
}

/** What one response's checks found. */
class Tally {
  readonly verdicts: Record<string, number> = {};
  readonly seconds = new Set<number>();
  cheaplyChecked = 0;
  #outcome = "ok";

  count(verdict: string): void {
    this.verdicts[verdict] = (this.verdicts[verdict] ?? 0) + 1;
  }

  /** A signature that is missing, refused or malformed: the request as a whole failed. */
  fail(outcome: string): void {
    if (this.#outcome === "ok") this.#outcome = outcome;
  }

  result(): CheckedResponse {
    return {
      outcome: this.#outcome,
      verdicts: this.verdicts,
      cheaplyChecked: this.cheaplyChecked,
      seconds: [...this.seconds],
    };
  }
}

function failed(outcome: string): CheckedResponse {
  return { outcome, verdicts: {}, cheaplyChecked: 0, seconds: [] };
}

function statusName(status: number): string {
  return describeStatus("aggregator", status)?.name ?? `0x${status.toString(16).padStart(4, "0")}`;
}

import { createHmac, randomFillSync } from "node:crypto";
import { encodeAggregationRequestPdu, HashAlgorithm, type Imprint, toHex } from "@tempel/proto";

/**
 * What the load generator asks for signatures: a Tempel node through a KSI aggregation PDU (what KSI
 * clients send) or its JSON API, as an agency; or the RFC 3161-style baseline server, which needs no
 * credentials and whose tokens are checked with its public key. Responses are checked in
 * response-checker.ts, off the thread that sends.
 */
export type Service =
  | { readonly protocol: "ksi" | "json"; readonly agency: Agency }
  | { readonly protocol: "baseline"; readonly publicKey: string };

export type ProtocolName = Service["protocol"];

export interface Agency {
  readonly loginId: string;
  readonly key: string;
}

/** The load's hashes are SHA-256 imprints: algorithm byte + 32-byte digest. */
export const IMPRINT_BYTES = 33;

export interface EncodedRequest {
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

/** A request for signatures on `imprints`; a KSI PDU numbers them `firstId`, `firstId + 1`, … */
export function encodeRequest(
  service: Service,
  imprints: readonly Imprint[],
  firstId: bigint,
): EncodedRequest {
  switch (service.protocol) {
    case "ksi": {
      const body = encodeAggregationRequestPdu(
        {
          header: { loginId: service.agency.loginId },
          requests: imprints.map((requestHash, i) => ({ requestId: firstId + BigInt(i), requestHash })),
        },
        new TextEncoder().encode(service.agency.key),
      );
      return { body, headers: { "content-type": "application/ksi-request" } };
    }
    case "json": {
      const body = new TextEncoder().encode(JSON.stringify({ hashes: imprints.map(toHex) }));
      const mac = createHmac("sha256", service.agency.key).update(body).digest("hex");
      return {
        body,
        headers: {
          "content-type": "application/json",
          "x-tempel-login-id": service.agency.loginId,
          "x-tempel-hmac": mac,
        },
      };
    }
    case "baseline": {
      const body = new Uint8Array(imprints.length * imprints[0]!.length);
      imprints.forEach((imprint, i) => {
        body.set(imprint, i * imprint.length);
      });
      return { body, headers: { "content-type": "application/octet-stream" } };
    }
  }
}

/** Random SHA-256 imprints, views into one buffer: every request is a fresh hash, as real records would be. */
export function randomImprints(count: number): { bytes: Uint8Array<ArrayBuffer>; imprints: Imprint[] } {
  const bytes = randomFillSync(new Uint8Array(IMPRINT_BYTES * count));
  const imprints = Array.from({ length: count }, (_, i) => {
    const imprint = bytes.subarray(IMPRINT_BYTES * i, IMPRINT_BYTES * (i + 1));
    imprint[0] = HashAlgorithm.SHA2_256;
    return imprint;
  });
  return { bytes, imprints };
}

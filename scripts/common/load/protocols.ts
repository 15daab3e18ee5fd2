import { createHmac, randomFillSync } from "node:crypto";
import {
  DEFAULT_HMAC_ALGORITHM,
  encodeAggregationRequestPdu,
  HashAlgorithm,
  type Imprint,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";

/**
 * What the load generator asks for signatures: a Tempel node through a KSI aggregation PDU (what KSI
 * clients send) or its JSON API, as an agency; or the RFC 3161-style baseline server, which needs no
 * credentials and whose tokens are checked with its public key. Responses are checked in
 * response-checker.ts, off the thread that sends.
 */
export type Service =
  | { readonly protocol: "ksi" | "json"; readonly agency: Agency }
  | { readonly protocol: "baseline"; readonly publicKey: string }
  /**
   * RFC 3161 queries shaped as \`openssl ts -query\` makes them, one hash each; tokens checked with
   * the TSA certificates (PEM, one per node), each token with the one its signer names.
   */
  | { readonly protocol: "rfc3161"; readonly certificatePem: string };

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
        DEFAULT_HMAC_ALGORITHM,
        nodeHasher,
      );
      return { body, headers: { "content-type": "application/ksi-request" } };
    }
    case "json": {
      const body = jsonSignBody(imprints);
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
    case "rfc3161":
      // Whole HTTP requests from a template, sent by run-load's lean client: time-stamp-queries.ts.
      throw new RangeError("RFC 3161 queries are made by TimeStampQueries");
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

const HEX_DIGITS = new TextEncoder().encode("0123456789abcdef");
const SIGN_BODY_HEAD = new TextEncoder().encode('{"hashes":[');
const SIGN_BODY_TAIL = new TextEncoder().encode("]}");
const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * `{"hashes":["<hex>",…]}` as JSON.stringify writes it, written straight as bytes: the generator
 * shares the machine with the cluster it measures, and a thousand hex strings, the JSON text and
 * its UTF-8 copy per request cost it more than the request is worth.
 */
function jsonSignBody(imprints: readonly Imprint[]): Uint8Array {
  let length = SIGN_BODY_HEAD.length + SIGN_BODY_TAIL.length + Math.max(0, imprints.length - 1);
  for (const imprint of imprints) length += 2 * imprint.length + 2;
  const body = new Uint8Array(length);
  body.set(SIGN_BODY_HEAD);
  let at = SIGN_BODY_HEAD.length;
  imprints.forEach((imprint, i) => {
    if (i > 0) body[at++] = COMMA;
    body[at++] = QUOTE;
    for (const byte of imprint) {
      body[at++] = HEX_DIGITS[byte >> 4]!;
      body[at++] = HEX_DIGITS[byte & 15]!;
    }
    body[at++] = QUOTE;
  });
  body.set(SIGN_BODY_TAIL, at);
  return body;
}

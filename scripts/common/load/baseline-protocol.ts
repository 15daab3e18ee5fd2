import { TempelError } from "@tempel/proto";

/**
 * The wire protocol of the RFC 3161-style baseline (scripts/rfc3161-baseline.ts): what a classic
 * timestamping server does per request — put the hash, the time and a serial number together and
 * sign them with its key, one ECDSA P-256 signature per hash. The ASN.1 wrapping of a real
 * TimeStampResp is left out: it is cheap next to the signature.
 *
 * POST /sign: the imprints (33 bytes each: algorithm byte + SHA-256 digest), concatenated →
 *   one token per imprint, in order: time (ms, 8 bytes BE) ‖ serial (8 bytes BE) ‖ signature
 *   (64 bytes, IEEE P1363 r ‖ s) over `signedPart(time, serial, imprint)`.
 * GET /key: the server's public key, SPKI PEM.
 */
export const BASELINE_IMPRINT_BYTES = 33;
export const BASELINE_TOKEN_BYTES = 8 + 8 + 64;
/** Most imprints in one request. */
export const BASELINE_MAX_BATCH = 1024;

const DOMAIN = new TextEncoder().encode("tempel-rfc3161-baseline/1");
const MAX_KEY_BYTES = 4096;

export function signedPart(time: bigint, serial: bigint, imprint: Uint8Array): Uint8Array {
  const out = new Uint8Array(DOMAIN.length + 16 + imprint.length);
  out.set(DOMAIN, 0);
  const view = new DataView(out.buffer);
  view.setBigUint64(DOMAIN.length, time);
  view.setBigUint64(DOMAIN.length + 8, serial);
  out.set(imprint, DOMAIN.length + 16);
  return out;
}

/** The baseline server's public key (SPKI PEM), to check its tokens with. */
export async function fetchBaselineKey(baseUrl: string): Promise<string> {
  try {
    const response = await fetch(`${baseUrl}/key`, { signal: AbortSignal.timeout(5_000) });
    const text = await response.text();
    if (!response.ok || text.length > MAX_KEY_BYTES || !text.startsWith("-----BEGIN PUBLIC KEY-----")) {
      throw new Error(`HTTP ${response.status}, not a public key`);
    }
    return text;
  } catch (error) {
    throw new TempelError(
      "BASELINE_KEY",
      `cannot get the baseline's key from ${baseUrl}/key: ${(error as Error).message}`,
    );
  }
}

import { decodeString, FormatError, type TlvElement } from "@tempel/proto";

/** Bounds that keep what a hostile member sends small: libp2p peer ids are ~52 bytes. */
const MAX_MEMBER_ID_BYTES = 128;
const ED25519_SIGNATURE_BYTES = 64;

/** A member id field (a libp2p peer id string), bounded. */
export function decodeMemberId(element: TlvElement): string {
  if (element.value.length > MAX_MEMBER_ID_BYTES) {
    throw new FormatError("CONSENSUS_NODE_ID_LENGTH", `node id longer than ${MAX_MEMBER_ID_BYTES} bytes`);
  }
  return decodeString(element);
}

/** An Ed25519 signature field: exactly 64 bytes. */
export function decodeSignature(element: TlvElement, what: string): Uint8Array {
  if (element.value.length !== ED25519_SIGNATURE_BYTES) {
    throw new FormatError(
      "CONSENSUS_SIGNATURE_LENGTH",
      `a ${what} signature is ${ED25519_SIGNATURE_BYTES} bytes`,
    );
  }
  return element.value;
}

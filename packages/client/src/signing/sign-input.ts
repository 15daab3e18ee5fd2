import {
  checkImprint,
  FormatError,
  fromHex,
  type Hasher,
  hashImprint,
  type Imprint,
  makeImprint,
  nobleHash,
  nobleHasher,
} from "@tempel/proto";
import { AbortedError } from "../errors.ts";

/**
 * What can be signed or checked against a signature: data (bytes, text as UTF-8, a Blob, a stream of
 * bytes) hashed here, or the imprint of data hashed elsewhere (algorithm byte + digest, bytes or hex).
 */
export type SignInput =
  | Uint8Array
  | string
  | Blob
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | { readonly imprint: Uint8Array | string };

/** Longest imprint in hex: SHA-512 (1 + 64 bytes). */
const MAX_IMPRINT_HEX = 2 * 65;

function givenImprint(imprint: Uint8Array | string): Imprint {
  if (typeof imprint !== "string") return checkImprint(imprint, "the given imprint");
  const bytes = imprint.length <= MAX_IMPRINT_HEX ? fromHex(imprint) : undefined;
  if (bytes === undefined) {
    throw new FormatError("IMPRINT_HEX", "the given imprint must be hex: algorithm id byte, then the digest");
  }
  return checkImprint(bytes, "the given imprint");
}

function chunkOf(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new FormatError("INPUT_NOT_BYTES", "a stream to sign must yield bytes (Uint8Array chunks)");
}

function abortIf(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(signal.reason);
}

/**
 * The imprint of `input` under KSI hash algorithm `algorithm`. Streams and Blobs are hashed as they
 * are read, in constant memory; `signal` stops the reading.
 */
export async function imprintOf(
  input: SignInput,
  algorithm: number,
  signal?: AbortSignal,
  hasher: Hasher = nobleHasher,
): Promise<Imprint> {
  abortIf(signal);
  if (typeof input === "object" && "imprint" in input) return givenImprint(input.imprint);
  // Bytes at hand go through the given hasher, which a platform may have made faster (node:crypto).
  if (input instanceof Uint8Array) return hashImprint(algorithm, input, hasher);
  if (typeof input === "string") return hashImprint(algorithm, new TextEncoder().encode(input), hasher);
  const state = nobleHash(algorithm).create();
  const stream = input instanceof Blob ? input.stream() : input;
  if ("getReader" in stream) {
    const reader = stream.getReader();
    try {
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        abortIf(signal);
        state.update(chunkOf(read.value));
      }
    } finally {
      // Cancelling a finished stream is a no-op; an abandoned one is released.
      await reader.cancel().catch(() => undefined);
    }
  } else {
    for await (const chunk of stream) {
      abortIf(signal);
      state.update(chunkOf(chunk));
    }
  }
  return makeImprint(algorithm, state.digest());
}

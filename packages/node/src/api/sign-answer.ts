import { encodeSignatures, type KsiSignature, signatureToJson } from "@tempel/proto";
import { BufferPool } from "./buffer-pool.ts";
import { SerializedJson } from "./respond.ts";

const COMMA = 0x2c;
const QUOTE = 0x22;
/** Batches whose signatures take more are encoded into a buffer of their own. */
const MAX_SCRATCH_BYTES = 4 * 1024 * 1024;
/** Answers being sent at the same time whose buffers are kept for reuse. */
const POOLED_ANSWERS = 16;

/**
 * Writes answers to sign requests, `{"aggregationTime": t, "signatures": ["<base64>", …]}`, straight
 * into one buffer: a batch's signatures are megabytes of base64 that JSON.stringify would scan and
 * copy again, and the UTF-8 conversion after it once more. Only the decoded view, when asked for,
 * goes through JSON.stringify.
 */
export class SignAnswers {
  /**
   * Where the signatures are encoded before their base64 is written. They are read at once, so one
   * buffer serves every answer: a fresh one of megabytes per answer, zeroed and then faulted in page by
   * page, cost more than encoding into it.
   */
  #scratch = Buffer.alloc(0);
  readonly #answers = new BufferPool(POOLED_ANSWERS);

  answer(signatures: readonly KsiSignature[], view: boolean): SerializedJson {
    // The buffer the signatures were written into: their base64 is read off it by offset, without a
    // Buffer view of each.
    let written: Buffer = this.#scratch;
    const encoded = encodeSignatures(signatures, (length) => {
      written = this.#scratchOf(length);
      return written;
    });
    const head = `{"aggregationTime":${signatures[0]!.aggregationChains[0]!.aggregationTime},"signatures":[`;
    const tail = view ? `],"json":${JSON.stringify(signatures.map(signatureToJson))}}` : "]}";
    // Each signature is its base64 in quotes, with a comma between two.
    let length = head.length + Buffer.byteLength(tail) + encoded.length - 1;
    for (const bytes of encoded) length += 4 * Math.ceil(bytes.length / 3) + 2;
    const { bytes: out, release } = this.#answers.take(length);
    let at = out.write(head, 0, "latin1");
    encoded.forEach((bytes, i) => {
      if (i > 0) out[at++] = COMMA;
      out[at++] = QUOTE;
      // Written as soon as it is made, so that no base64 text outlives its copy.
      const start = bytes.byteOffset - written.byteOffset;
      at += out.write(written.toString("base64", start, start + bytes.length), at, "latin1");
      out[at++] = QUOTE;
    });
    out.write(tail, at);
    return new SerializedJson(out, release);
  }

  #scratchOf(length: number): Buffer {
    if (length > MAX_SCRATCH_BYTES) return Buffer.allocUnsafeSlow(length);
    if (this.#scratch.length < length) this.#scratch = Buffer.allocUnsafeSlow(length);
    return this.#scratch;
  }
}

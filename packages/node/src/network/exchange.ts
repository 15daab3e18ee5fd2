import type { Stream, StreamMessageEvent } from "@libp2p/interface";
import { FrameError, RequestError } from "./errors.ts";
import { FrameDecoder } from "./frame.ts";

/**
 * The sync protocol's exchange: the requester writes one frame, the responder answers with one
 * frame `status ‖ body` and closes. Status 0: body is the answer. Status 1: the handler failed and
 * body is its error code (ASCII, as in TempelError codes), so the requester learns "I don't have
 * that" at once instead of waiting for a timeout.
 */
export type Answer =
  | { readonly ok: true; readonly body: Uint8Array }
  | { readonly ok: false; readonly code: string };

const ANSWERED = 0;
const FAILED = 1;
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
/** Stands in for an error without a well-formed code, so nothing else about it leaves the node. */
export const INTERNAL_ERROR_CODE = "INTERNAL";

export function encodeAnswer(answer: Answer): Uint8Array {
  if (answer.ok) {
    const out = new Uint8Array(answer.body.length + 1);
    out[0] = ANSWERED;
    out.set(answer.body, 1);
    return out;
  }
  const code = ERROR_CODE.test(answer.code) ? answer.code : INTERNAL_ERROR_CODE;
  const out = new Uint8Array(code.length + 1);
  out[0] = FAILED;
  out.set(new TextEncoder().encode(code), 1);
  return out;
}

export function decodeAnswer(frame: Uint8Array): Answer {
  if (frame[0] === ANSWERED) return { ok: true, body: frame.subarray(1) };
  if (frame[0] === FAILED) {
    const code = new TextDecoder().decode(frame.subarray(1));
    if (ERROR_CODE.test(code)) return { ok: false, code };
  }
  throw new RequestError("RESPONSE_INVALID", "malformed answer frame", {
    length: frame.length,
    status: frame[0],
  });
}

/**
 * Resolves with the first frame that arrives on `stream`. Rejects with a FrameError when the bytes
 * break the framing or the stream ends before a whole frame, or with the signal's reason.
 */
export function readFrame(stream: Stream, maxFrameBytes: number, signal: AbortSignal): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder(maxFrameBytes);
    const settle = (finish: () => void): void => {
      stream.removeEventListener("message", onMessage);
      stream.removeEventListener("end", onEnd);
      stream.removeEventListener("close", onEnd);
      signal.removeEventListener("abort", onAbort);
      finish();
    };
    const onMessage = (event: StreamMessageEvent): void => {
      try {
        const [frame] = decoder.push(event.data.subarray());
        if (frame !== undefined) settle(() => resolve(frame));
      } catch (error) {
        settle(() => reject(error));
      }
    };
    const onEnd = (): void =>
      settle(() => reject(new FrameError("FRAME_TRUNCATED", "stream ended before a whole frame")));
    const onAbort = (): void => settle(() => reject(signal.reason));
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    if (stream.readableEnded) {
      onEnd();
      return;
    }
    stream.addEventListener("message", onMessage);
    stream.addEventListener("end", onEnd);
    stream.addEventListener("close", onEnd);
    signal.addEventListener("abort", onAbort);
  });
}

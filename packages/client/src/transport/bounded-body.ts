import { concatBytes } from "@tempel/proto";
import { ProtocolError } from "../errors.ts";

/**
 * The body of `response`, refused with ProtocolError once it passes `maxBytes`: a faulty or hostile
 * endpoint cannot make the client buffer more than the largest answer it can legitimately send.
 */
export async function readBoundedBody(
  response: Response,
  maxBytes: number,
  what: string,
): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(what, maxBytes);
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > maxBytes) {
      await reader.cancel();
      throw tooLarge(what, maxBytes);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : concatBytes(...chunks);
}

function tooLarge(what: string, maxBytes: number): ProtocolError {
  return new ProtocolError("RESPONSE_TOO_LARGE", `${what} is larger than the ${maxBytes} bytes it can be`);
}

/** The media type of `response` without parameters, lower-cased. */
export function mediaType(response: Response): string {
  return (response.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

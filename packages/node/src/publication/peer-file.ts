import { PublicationError } from "./errors.ts";

/** What a peer answered for its publications file. */
export type PeerFile =
  | { readonly kind: "file"; readonly bytes: Uint8Array }
  /** The peer's file is the one asked about by entity tag. */
  | { readonly kind: "unchanged" }
  /** The peer has published nothing yet. */
  | { readonly kind: "none" };

export interface PeerFileRequest {
  /** The peer's API base URL (from the genesis). */
  readonly apiUrl: string;
  /** Entity tag of the file held here, so that an unchanged file is not sent again. */
  readonly etag: string | undefined;
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly fetch: typeof globalThis.fetch;
}

/**
 * GET the peer's /v1/publications. Throws PublicationError when the peer cannot be reached or answers
 * something other than a file, 304 or 404; a body larger than `maxBytes` is cut off, never buffered.
 */
export async function fetchPeerFile(request: PeerFileRequest): Promise<PeerFile> {
  const url = `${request.apiUrl.replace(/\/+$/, "")}/v1/publications`;
  const fail = (problem: string) =>
    new PublicationError("PEER_FILE_UNAVAILABLE", `${url}: ${problem}`, { url });
  let response: Response;
  try {
    response = await request.fetch(url, {
      headers: request.etag === undefined ? {} : { "if-none-match": request.etag },
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (error) {
    throw fail((error as Error).message);
  }
  if (response.status === 304 || response.status === 404) {
    await response.body?.cancel();
    return { kind: response.status === 304 ? "unchanged" : "none" };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw fail(`answered HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > request.maxBytes || response.body === null) {
    await response.body?.cancel();
    throw fail(`the file is larger than ${request.maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for await (const chunk of response.body) {
      length += chunk.length;
      if (length > request.maxBytes) throw fail(`the file is larger than ${request.maxBytes} bytes`);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof PublicationError) throw error;
    throw fail(`the transfer broke off: ${(error as Error).message}`);
  }
  return { kind: "file", bytes: new Uint8Array(Buffer.concat(chunks)) };
}

/**
 * Which requests the lean path (lean-path.ts) answers itself: a whole KSI PDU request, in the form
 * KSI clients send it, already received. Anything else, including anything unusual or wrong, is left
 * to node:http, which parses it in full and gives it the answer it has always had (400, 405, 413, 415,
 * chunked bodies, `Expect`, partial heads and their timeouts). Being strict here costs nothing: a
 * request this refuses is still answered, only more slowly.
 */

export interface LeanRequest<Route> {
  readonly route: Route;
  /** The PDU (a view of the bytes given). */
  readonly body: Uint8Array;
  /** Offset just past the request: what follows belongs to the next one. */
  readonly end: number;
  /** The client asked for the connection to close after the answer. */
  readonly close: boolean;
  /** The Authorization header's value, if it had one (RFC 3161 queries with HTTP Basic). */
  readonly authorization?: string;
}

/** Longest head taken; KSI clients send a few hundred bytes. */
const MAX_HEAD_BYTES = 4096;
const HEAD_END = Buffer.from("\r\n\r\n");
/**
 * An HTTP/1.1 POST whose header lines are all well-formed (RFC 9110 token names, values of visible
 * ASCII, spaces and tabs) and none folded.
 */
const HEAD = /^POST (\/[!-~]*) HTTP\/1\.1\r\n((?:[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t -~]*\r\n)*)$/;
const DIGITS = /^\d{1,9}$/;

/**
 * The request at the start of `bytes`, when it is one for a path of `routes` that the lean path may
 * answer and it is complete; undefined otherwise.
 */
export function parseLeanRequest<Route>(
  bytes: Buffer,
  routes: ReadonlyMap<string, Route>,
  contentTypeOf: (route: Route) => string,
  maxBodyBytes: number,
): LeanRequest<Route> | undefined {
  const headEnd = bytes.indexOf(HEAD_END);
  if (headEnd < 0 || headEnd > MAX_HEAD_BYTES) return undefined;
  const match = HEAD.exec(bytes.toString("latin1", 0, headEnd + 2));
  if (match === null) return undefined;
  const route = routes.get(match[1]!);
  if (route === undefined) return undefined;
  const contentType = contentTypeOf(route);
  let length: number | undefined;
  let typed = false;
  let hosted = false;
  let close = false;
  let authorization: string | undefined;
  // Lines are cut by hand, not with a regular expression: one that trims a value's spaces on both
  // sides backtracks over a run of them in the middle, and a 4 KB run cost 10 ms of the node's thread.
  const lines = match[2]!;
  for (let start = 0; start < lines.length; ) {
    const lineEnd = lines.indexOf("\r\n", start);
    const colon = lines.indexOf(":", start);
    const name = lines.slice(start, colon).toLowerCase();
    const value = () => trimmed(lines, colon + 1, lineEnd);
    start = lineEnd + 2;
    switch (name) {
      case "content-length": {
        const digits = value();
        if (length !== undefined || !DIGITS.test(digits)) return undefined;
        length = Number(digits);
        break;
      }
      case "content-type":
        if (typed || value().split(";")[0]!.trim().toLowerCase() !== contentType) return undefined;
        typed = true;
        break;
      // node:http refuses an HTTP/1.1 request without one (requireHostHeader).
      case "host":
        hosted = true;
        break;
      case "connection": {
        const tokens = value().toLowerCase().split(",");
        for (const token of tokens) {
          const option = token.trim();
          if (option === "close") close = true;
          else if (option !== "keep-alive") return undefined;
        }
        break;
      }
      case "authorization":
        if (authorization !== undefined) return undefined;
        authorization = value();
        break;
      // Each changes how the request is read or answered: node:http's to handle.
      case "transfer-encoding":
      case "expect":
      case "upgrade":
      // A page's request: its answer names the origin (CrossOriginResponse).
      case "origin":
        return undefined;
    }
  }
  if (length === undefined || !typed || !hosted || length > maxBodyBytes) return undefined;
  const start = headEnd + HEAD_END.length;
  const end = start + length;
  if (end > bytes.length) return undefined;
  const body = new Uint8Array(bytes.buffer, bytes.byteOffset + start, length);
  return { route, body, end, close, ...(authorization !== undefined && { authorization }) };
}

/** `text` from `start` to `end` without the spaces and tabs at either end (HTTP's optional whitespace). */
function trimmed(text: string, start: number, end: number): string {
  let from = start;
  let to = end;
  while (from < to && isBlank(text.charCodeAt(from))) from++;
  while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
  return text.slice(from, to);
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

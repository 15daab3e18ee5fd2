import { calendarChainOutput, decodeCalendarChain, decodeTlv, TempelError, toHex } from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";

/** What the scripts read from a node's JSON API: the parts of /v1/status and /v1/calendar/* they use. */
export interface NodeStatus {
  readonly nodeId: string;
  readonly ready: boolean;
  readonly role: "follower" | "candidate" | "leader";
  readonly term: number;
  readonly leaderId: string | undefined;
  readonly head: number;
}

export interface CalendarHead {
  /** Last second in the calendar; null before the first. */
  readonly time: number | null;
  readonly root?: string;
  readonly certified?: { readonly time: number; readonly root: string };
}

export class NodeApiError extends TempelError {}

const MAX_RESPONSE_BYTES = 1024 * 1024;

/** GET a node's JSON endpoint; any failure (refused, timeout, non-200, oversized) is a NodeApiError. */
export async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as Error).cause;
    const why =
      cause instanceof Error ? `${(error as Error).message}: ${cause.message}` : (error as Error).message;
    throw new NodeApiError("UNREACHABLE", `${url}: ${why}`);
  }
  const body = await response.arrayBuffer();
  if (body.byteLength > MAX_RESPONSE_BYTES) throw new NodeApiError("TOO_LARGE", `${url}: response too large`);
  const text = new TextDecoder().decode(body);
  if (!response.ok)
    throw new NodeApiError("HTTP_STATUS", `${url}: HTTP ${response.status} ${text.slice(0, 200)}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new NodeApiError("NOT_JSON", `${url}: not JSON`);
  }
}

export async function nodeStatus(apiUrl: string, timeoutMs: number): Promise<NodeStatus> {
  return readNodeStatus(apiUrl, await getJson(`${apiUrl}/v1/status`, timeoutMs));
}

/** The parts of a /v1/status answer (`json`, from `apiUrl`) the scripts read; NodeApiError if it is none. */
export function readNodeStatus(apiUrl: string, json: unknown): NodeStatus {
  const { node, agreement, calendar } = (json ?? {}) as {
    node?: { id?: unknown; ready?: unknown };
    agreement?: { role?: unknown; term?: unknown; leaderId?: unknown };
    calendar?: { head?: unknown };
  };
  if (
    typeof node?.id !== "string" ||
    typeof node.ready !== "boolean" ||
    !["follower", "candidate", "leader"].includes(agreement?.role as string) ||
    typeof agreement?.term !== "number" ||
    typeof calendar?.head !== "number"
  ) {
    throw new NodeApiError("BAD_STATUS", `${apiUrl}/v1/status: unexpected shape`);
  }
  return {
    nodeId: node.id,
    ready: node.ready,
    role: agreement.role as NodeStatus["role"],
    term: agreement.term,
    leaderId: typeof agreement.leaderId === "string" ? agreement.leaderId : undefined,
    head: calendar.head,
  };
}

export async function calendarHead(apiUrl: string, timeoutMs: number): Promise<CalendarHead> {
  const json = (await getJson(`${apiUrl}/v1/calendar/head`, timeoutMs)) as {
    time?: unknown;
    root?: unknown;
    certified?: { time?: unknown; root?: unknown };
  };
  if (json.time !== null && typeof json.time !== "number") {
    throw new NodeApiError("BAD_HEAD", `${apiUrl}/v1/calendar/head: unexpected shape`);
  }
  const certified =
    typeof json.certified?.time === "number" && typeof json.certified.root === "string"
      ? { time: json.certified.time, root: json.certified.root }
      : undefined;
  return {
    time: json.time,
    ...(typeof json.root === "string" && { root: json.root }),
    ...(certified !== undefined && { certified }),
  };
}

/**
 * The node's calendar root at second `time`, recomputed here from the chain the node serves (and
 * checked against the root it states): equal roots at `time` mean equal calendars up to `time`.
 */
export async function calendarRootAt(apiUrl: string, time: number, timeoutMs: number): Promise<string> {
  const url = `${apiUrl}/v1/calendar/chain?from=${time}&to=${time}`;
  const json = (await getJson(url, timeoutMs)) as { root?: unknown; chain?: unknown };
  if (typeof json.root !== "string" || typeof json.chain !== "string") {
    throw new NodeApiError("BAD_CHAIN", `${url}: unexpected shape`);
  }
  let computed: string;
  try {
    computed = toHex(
      calendarChainOutput(decodeCalendarChain(decodeTlv(Buffer.from(json.chain, "base64"))), nodeHasher),
    );
  } catch (error) {
    throw new NodeApiError("BAD_CHAIN", `${url}: ${(error as Error).message}`);
  }
  if (computed !== json.root) {
    throw new NodeApiError(
      "ROOT_MISMATCH",
      `${url}: the chain computes ${computed}, the node states ${json.root}`,
    );
  }
  return computed;
}

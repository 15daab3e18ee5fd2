import type { Logger } from "../logger/index.ts";
import { readBody } from "./body.ts";
import { HttpError } from "./http-error.ts";
import { parseJsonObject } from "./json-input.ts";
import { sendJson } from "./respond.ts";
import type { Handler } from "./routes.ts";

/** The admin endpoints' only path: who this node is cut off from. */
export const ADMIN_PARTITION_PATH = "/admin/partition";

export interface AdminModules {
  /** The members a partition may name: every member but this node. */
  readonly peers: readonly string[];
  /** Cuts this node off from exactly these peers, both ways; an empty list heals. */
  setBlocked(peerIds: readonly string[]): Promise<void>;
  readonly logger: Logger;
}

/** A peer id is ~52 characters: this leaves room for the largest cluster with JSON around it. */
const MAX_BODY_BYTES = 16 * 1024;

/**
 * Control endpoints for tests and chaos runs (mounted only when `admin.enabled` is set): POST
 * `{"blocked": [peer ids]}` to /admin/partition cuts this node off from those members at the libp2p
 * level, DELETE heals. Only loopback clients are answered, whatever address the API is bound to: a
 * partition is a fault, and no one outside the machine may inflict it. The Host header must name
 * loopback too: a page from evil.example whose name the attacker points at 127.0.0.1 (DNS rebinding)
 * makes the browser send its requests from loopback, but for Host evil.example.
 */
export function adminHandler(modules: AdminModules): Handler {
  return async (request, response) => {
    if (!isLoopback(request.socket.remoteAddress)) {
      throw new HttpError("ADMIN_LOOPBACK_ONLY", "the admin endpoints answer loopback clients only");
    }
    if (!isLoopbackHost(request.headers.host)) {
      throw new HttpError(
        "ADMIN_LOOPBACK_ONLY",
        "the admin endpoints answer requests for Host 127.0.0.1, [::1] or localhost only",
      );
    }
    let blocked: string[];
    if (request.method === "DELETE") {
      blocked = [];
    } else if (request.method === "POST") {
      const type = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
      if (type !== "application/json") {
        throw new HttpError("UNSUPPORTED_MEDIA_TYPE", "send the body as application/json");
      }
      blocked = parseBlocked(await readBody(request, MAX_BODY_BYTES), modules.peers);
    } else {
      throw new HttpError("METHOD_NOT_ALLOWED", `use POST or DELETE for ${ADMIN_PARTITION_PATH}`);
    }
    await modules.setBlocked(blocked);
    modules.logger.warn("admin: partition set", { blocked });
    sendJson(response, 200, { blocked });
  };
}

function parseBlocked(body: Uint8Array, peers: readonly string[]): string[] {
  const { blocked } = parseJsonObject(body, ["blocked"]);
  if (!Array.isArray(blocked) || blocked.length > peers.length) {
    throw new HttpError("BAD_PARTITION", `"blocked" must be a list of at most ${peers.length} peer ids`);
  }
  const seen = new Set<string>();
  for (const peer of blocked as unknown[]) {
    if (typeof peer !== "string" || !peers.includes(peer)) {
      throw new HttpError(
        "BAD_PARTITION",
        `"blocked" may name the other members only, not ${JSON.stringify(peer)?.slice(0, 80)}`,
      );
    }
    if (seen.has(peer)) throw new HttpError("BAD_PARTITION", `"blocked" names ${peer} twice`);
    seen.add(peer);
  }
  return [...seen];
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 addresses (a dual-stack listener reports those). */
function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address === "::1" || /^(::ffff:)?127\./.test(address));
}

/** 127.0.0.1, [::1] or localhost, with or without a port: what a client on the machine itself sends. */
function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && /^(127\.0\.0\.1|\[::1\]|localhost)(:\d{1,5})?$/i.test(host);
}

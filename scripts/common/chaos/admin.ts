import { NodeApiError } from "../node-api.ts";

const ADMIN_TIMEOUT_MS = 5_000;

/**
 * Cuts the node at `apiUrl` off from `blocked` (peer ids) at the libp2p level, or heals it when the
 * list is empty: the node's loopback-only admin endpoint, served when it runs with `admin.enabled`.
 */
export async function setBlockedPeers(apiUrl: string, blocked: readonly string[]): Promise<void> {
  const url = `${apiUrl}/admin/partition`;
  const signal = AbortSignal.timeout(ADMIN_TIMEOUT_MS);
  let response: Response;
  try {
    response =
      blocked.length === 0
        ? await fetch(url, { method: "DELETE", signal })
        : await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ blocked }),
            signal,
          });
  } catch (error) {
    throw new NodeApiError("UNREACHABLE", `${url}: ${(error as Error).message}`);
  }
  const text = await response.text();
  if (!response.ok)
    throw new NodeApiError("HTTP_STATUS", `${url}: HTTP ${response.status} ${text.slice(0, 200)}`);
}

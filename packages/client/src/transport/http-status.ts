import { ServiceError } from "../errors.ts";
import { type HttpAnswer, mediaType } from "./http-transport.ts";

/** A node's error bodies are small JSON objects; anything longer is not one. */
const MAX_ERROR_BODY_BYTES = 4096;

/**
 * Statuses after which another node, or the same one a little later, may answer: the node is down,
 * overloaded, not ready, or is not a Tempel node at all (404). The rest say the request itself is
 * wrong (too large, wrong type, unauthenticated) and would fail everywhere.
 */
function retryableHttpStatus(status: number): boolean {
  return status >= 500 || status === 404 || status === 408 || status === 429;
}

/** The ServiceError for a non-200 answer, with the node's own explanation when it sent one. */
export async function httpFailure(response: HttpAnswer, endpoint: string): Promise<ServiceError> {
  let detail = "";
  if (mediaType(response) === "application/json") {
    try {
      const body = await response.bytes(MAX_ERROR_BODY_BYTES, "error body");
      const error = (JSON.parse(new TextDecoder().decode(body)) as { error?: { message?: unknown } }).error;
      if (typeof error?.message === "string") detail = `: ${error.message.slice(0, 300)}`;
    } catch {
      // The status alone still says what happened.
    }
  } else {
    await response.discard();
  }
  return new ServiceError(
    `HTTP_${response.status}`,
    `${endpoint} answered HTTP ${response.status}${detail}`,
    {
      httpStatus: response.status,
      retryable: retryableHttpStatus(response.status),
    },
  );
}

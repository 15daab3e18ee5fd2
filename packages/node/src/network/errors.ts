import { TempelError } from "@tempel/proto";

/** Network options that cannot work: a malformed peer id or address, or this node not a member. */
export class NetworkConfigError extends TempelError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("NETWORK_CONFIG_INVALID", message, details);
  }
}

export type FrameErrorCode = "FRAME_TOO_LARGE" | "FRAME_LENGTH_INVALID" | "FRAME_TRUNCATED";

/** A length-prefixed frame that breaks the framing rules or the size bound, or a stream that ended inside one. */
export class FrameError extends TempelError {
  declare readonly code: FrameErrorCode;

  constructor(code: FrameErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}

export type RequestErrorCode =
  | "PEER_UNKNOWN"
  | "PEER_UNREACHABLE"
  | "REQUEST_TIMEOUT"
  | "REQUEST_ABORTED"
  | "RESPONSE_INVALID"
  | "REMOTE_FAILED";

/** Why `request()` got no answer; `REMOTE_FAILED` carries the peer's own error code in `details.remoteCode`. */
export class RequestError extends TempelError {
  declare readonly code: RequestErrorCode;

  constructor(code: RequestErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}

import { randomBytes } from "node:crypto";

/**
 * The key a request naming an unknown login is checked with. Such a request is answered as one
 * with a wrong HMAC, after the same HMAC computation: were it answered otherwise, or sooner, anyone
 * could tell which login ids exist. Random per process, so that no HMAC matches it.
 */
export const STAND_IN_KEY: Uint8Array = randomBytes(32);

/**
 * What the node stops (js-libp2p's `Startable`, cut to what the node uses). `beforeStop` runs on
 * every component, newest first, before any `stop`: a component that needs the others while it winds
 * down (the HTTP server waiting for the rounds' answers) begins winding down there and ends in `stop`.
 */
export interface Stoppable {
  beforeStop?(): void;
  stop(): void | Promise<void>;
}

/** A component the node starts itself (one opened or listening already is only Stoppable). */
export interface Startable extends Stoppable {
  start(): void | Promise<void>;
}

export interface PublicationOptions {
  /**
   * Seconds between two looks at the peers' publications files while a publication is due here and
   * missing: how fast a node without the publications key (or a standby with it) takes over a new file.
   */
  pollSeconds: number;
  /**
   * How long after a publication time a publisher waits for that second's quorum certificate before
   * publishing the first certified second after it instead (the cluster was unavailable at that time).
   */
  certificationWaitSeconds: number;
  /**
   * Publish only this many seconds after the publication time, if no peer has published by then: 0 on
   * the cluster's publisher, more on standbys holding the same key, so that they take over only when
   * the publisher is down and the cluster still serves one file.
   */
  publishDelaySeconds: number;
  /** Largest publications file accepted from a peer. */
  maxFileBytes: number;
  /** Per request to a peer. */
  peerTimeoutMs: number;
}

export const defaultPublicationOptions: PublicationOptions = {
  pollSeconds: 10,
  certificationWaitSeconds: 30,
  publishDelaySeconds: 0,
  maxFileBytes: 16 * 1024 * 1024,
  peerTimeoutMs: 10_000,
};

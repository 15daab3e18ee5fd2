import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { type GossipSub, gossipsub, StrictNoSign } from "@libp2p/gossipsub";
import { type Identify, identify } from "@libp2p/identify";
import type { Connection, Libp2p, PeerId, Stream } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { CODE_IP4, CODE_IP6 } from "@multiformats/multiaddr";
import { TempelError } from "@tempel/proto";
import { createLibp2p } from "libp2p";
import type { PeerTransport } from "../consensus/index.ts";
import { type Logger, silentLogger } from "../logger/index.ts";
import { Admission } from "./admission.ts";
import { FrameError, RequestError } from "./errors.ts";
import { type Answer, decodeAnswer, encodeAnswer, INTERNAL_ERROR_CODE, readFrame } from "./exchange.ts";
import { encodeFrame, FrameDecoder } from "./frame.ts";
import { GossipRouter, type GossipValidator, gossipMessageId } from "./gossip.ts";
import type { MessageKind, NetworkMetrics } from "./metrics.ts";
import {
  type NetworkOptions,
  type ParsedNetworkOptions,
  type Peer,
  type ProtocolIds,
  parseNetworkOptions,
  protocolIds,
  topicId,
} from "./options.ts";
import { OutboundChannel } from "./outbound-channel.ts";
import { PeerPenalties } from "./penalties.ts";
import { Reconnector } from "./reconnector.ts";

/**
 * The cluster's libp2p network. Agreement's one-way messages (`send`, `broadcast`) go directly to
 * each member over a long-lived stream: votes and log appends need one hop and no mesh to form,
 * and with a handful of members a fan-out of direct sends is cheap. Gossip (`publish`) suits what
 * every node should see and anyone may pass on, such as certificate shares and heads. `request`
 * opens a stream per exchange, so a large catch-up answer never holds up consensus messages.
 *
 * A message over its size bound makes `send`, `broadcast`, `request` and `publish` throw
 * FrameError `FRAME_TOO_LARGE`: that is the caller's fault, not a condition of the network.
 */
export interface Network extends PeerTransport {
  /** Listens and dials the other members. A network starts once: after `stop()`, create a new one. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Addresses this node listens on, ports resolved, with its `/p2p/` id. */
  listenAddresses(): string[];
  /** Members with an open connection to this node. */
  connectedPeers(): string[];
  /**
   * Cuts this node off from `peerIds`, for partition tests and chaos: their connections are closed
   * and refused both ways. Members left out of the new set are released and redialled at once.
   */
  setBlocked(peerIds: Iterable<string>): Promise<void>;
  /** Registers the consumer of a gossip topic named in the options; one per topic. */
  subscribe(topic: string, validator: GossipValidator): void;
  /** Best effort to every member subscribed to `topic`. */
  publish(topic: string, data: Uint8Array): void;
  /**
   * Records an offence by a member: it sent something that does not check out. Enough recent
   * offences disconnect and refuse it until they decay. `reason` is a metric label: keep it to a
   * small fixed set.
   */
  penalize(peerId: string, reason: string): void;
}

export interface NetworkModules {
  readonly logger?: Logger;
  readonly metrics: NetworkMetrics;
}

type Services = { identify: Identify; pubsub: GossipSub };

/** One long-lived stream per peer plus a spare while a broken one is replaced. */
const MAX_INBOUND_MESSAGE_STREAMS = 2;

export async function createNetwork(options: NetworkOptions, modules: NetworkModules): Promise<Network> {
  const parsed = parseNetworkOptions(options);
  const penalties = new PeerPenalties(options.penalties);
  const admission = new Admission(parsed.peers.keys(), penalties);
  const node = await createLibp2p<Services>({
    start: false,
    privateKey: options.privateKey,
    addresses: { listen: [...options.listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: admission.connectionGater(),
    connectionManager: {
      dialTimeout: options.dialTimeoutMs,
      // libp2p rate-limits inbound connections per host; members' hosts are known and must not be
      // refused while reconnecting (on a loopback cluster they all share one address).
      allow: memberHosts(parsed),
    },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: StrictNoSign,
        msgIdFn: gossipMessageId,
        asyncValidation: true,
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        allowedTopics: options.topics.map((topic) => topicId(options.clusterId, topic)),
        // Members are admitted by identity and may share a host; colocation says nothing here.
        scoreParams: { IPColocationFactorWeight: 0 },
      }),
    },
  });
  return new Libp2pNetwork(options, parsed, admission, penalties, node, modules);
}

function memberHosts(parsed: ParsedNetworkOptions): string[] {
  const hosts = new Set<string>();
  for (const peer of parsed.peers.values()) {
    for (const address of peer.multiaddrs) {
      const [host] = address.getComponents();
      if (host.code === CODE_IP4 || host.code === CODE_IP6) hosts.add(`/${host.name}/${host.value}`);
    }
  }
  return [...hosts];
}

class Libp2pNetwork implements Network {
  readonly selfId: string;
  readonly #options: NetworkOptions;
  readonly #protocols: ProtocolIds;
  readonly #peers: ReadonlyMap<string, Peer>;
  readonly #admission: Admission;
  readonly #penalties: PeerPenalties;
  readonly #node: Libp2p<Services>;
  readonly #log: Logger;
  readonly #metrics: NetworkMetrics;
  readonly #gossip: GossipRouter;
  readonly #reconnector: Reconnector;
  readonly #channels = new Map<string, OutboundChannel>();
  #messageHandler: ((from: string, message: Uint8Array) => void) | null = null;
  #requestHandler: ((from: string, message: Uint8Array) => Promise<Uint8Array>) | null = null;
  #running = false;

  constructor(
    options: NetworkOptions,
    parsed: ParsedNetworkOptions,
    admission: Admission,
    penalties: PeerPenalties,
    node: Libp2p<Services>,
    modules: NetworkModules,
  ) {
    this.selfId = parsed.self.toString();
    this.#options = options;
    this.#protocols = protocolIds(options.clusterId);
    this.#peers = parsed.peers;
    this.#admission = admission;
    this.#penalties = penalties;
    this.#node = node;
    this.#log = (modules.logger ?? silentLogger).child({ module: "network" });
    this.#metrics = modules.metrics;
    this.#gossip = new GossipRouter(
      options,
      { isMember: (peer) => admission.isMember(peer), logger: this.#log, metrics: this.#metrics },
      node.services.pubsub,
    );
    this.#reconnector = new Reconnector(this.#peers.keys(), options, {
      dial: async (peer, signal) => {
        await node.dial(this.#peerId(peer), { signal });
      },
      wantsDial: (peer) => !admission.isBlocked(peer) && node.getConnections(this.#peerId(peer)).length === 0,
      onDialFailure: (peer, error, attempt, retryInMs) => {
        this.#metrics.dialFailures.inc();
        const fields = { peer, attempt, retryInMs: Math.round(retryInMs), error };
        if (attempt === 1) this.#log.info("dial failed", fields);
        else this.#log.debug("dial failed", fields);
      },
    });
    for (const peer of this.#peers.keys()) {
      this.#channels.set(
        peer,
        new OutboundChannel(
          { maxQueuedBytes: options.maxQueuedBytesPerPeer, openTimeoutMs: options.requestTimeoutMs },
          {
            open: (signal) => this.#openMessageStream(peer, signal),
            sent: () => this.#metrics.messagesSent.inc({ kind: "message" }),
            dropped: (reason, count, error) => {
              this.#dropped("message", reason, count);
              this.#log.debug("outgoing messages dropped", { peer, reason, count, error });
            },
          },
        ),
      );
    }
    node.addEventListener("peer:connect", (event) => this.#peerConnected(event.detail));
    node.addEventListener("peer:disconnect", (event) => this.#peerDisconnected(event.detail));
  }

  async start(): Promise<void> {
    await this.#node.handle(
      this.#protocols.consensus,
      (stream, connection) => this.#receive(stream, connection),
      {
        maxInboundStreams: MAX_INBOUND_MESSAGE_STREAMS,
      },
    );
    await this.#node.handle(this.#protocols.sync, (stream, connection) => this.#answer(stream, connection));
    await this.#node.start();
    for (const peer of this.#peers.values()) {
      await this.#node.peerStore.merge(peer.id, { multiaddrs: [...peer.multiaddrs] });
    }
    this.#running = true;
    this.#gossip.start();
    this.#reconnector.start();
    this.#log.info("network started", { peerId: this.selfId, listen: this.listenAddresses() });
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#reconnector.stop();
    for (const channel of this.#channels.values()) channel.close();
    await this.#node.stop();
    this.#log.info("network stopped");
  }

  listenAddresses(): string[] {
    return this.#node.getMultiaddrs().map(String);
  }

  connectedPeers(): string[] {
    // Quorum health asks on every sign request. libp2p's getPeers() parses each peer id back from
    // its base58 text (17 µs for two peers); the connections' own peer ids keep theirs (0.3 µs).
    const peers = new Set<string>();
    for (const connection of this.#node.getConnections()) {
      const peer = connection.remotePeer.toString();
      if (this.#admission.isMember(peer)) peers.add(peer);
    }
    return [...peers];
  }

  send(to: string, message: Uint8Array): void {
    this.#checkSize(message, this.#options.maxMessageBytes);
    const channel = this.#channels.get(to);
    if (channel === undefined) {
      this.#dropped("message", "unknown_peer");
      this.#log.warn("message to a peer that is not another member dropped", { peer: to });
      return;
    }
    this.#enqueue(to, channel, encodeFrame(message));
  }

  broadcast(message: Uint8Array): void {
    this.#checkSize(message, this.#options.maxMessageBytes);
    const frame = encodeFrame(message);
    for (const [peer, channel] of this.#channels) this.#enqueue(peer, channel, frame);
  }

  onMessage(handler: (from: string, message: Uint8Array) => void): void {
    this.#messageHandler = handler;
  }

  onRequest(handler: (from: string, message: Uint8Array) => Promise<Uint8Array>): void {
    this.#requestHandler = handler;
  }

  async request(to: string, message: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    this.#checkSize(message, this.#options.maxMessageBytes);
    if (!this.#peers.has(to)) {
      throw new RequestError("PEER_UNKNOWN", "not another member of the cluster", { peer: to });
    }
    const started = performance.now();
    const timeout = AbortSignal.timeout(this.#options.requestTimeoutMs);
    const deadline = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    let stream: Stream | undefined;
    try {
      if (!this.#admission.isAdmitted(to)) {
        throw new RequestError("PEER_UNREACHABLE", "peer is cut off", { peer: to });
      }
      stream = await this.#node.dialProtocol(this.#peerId(to), this.#protocols.sync, { signal: deadline });
      stream.send(encodeFrame(message));
      this.#metrics.messagesSent.inc({ kind: "request" });
      const answer = decodeAnswer(await readFrame(stream, this.#options.maxResponseBytes + 1, deadline));
      this.#metrics.messagesReceived.inc({ kind: "response" });
      stream
        .close()
        .catch((error: unknown) => this.#log.debug("closing sync stream failed", { peer: to, error }));
      if (!answer.ok) {
        throw new RequestError("REMOTE_FAILED", "peer could not answer", {
          peer: to,
          remoteCode: answer.code,
        });
      }
      this.#metrics.requestDuration.observe({ result: "ok" }, (performance.now() - started) / 1000);
      return answer.body;
    } catch (error) {
      const failure = this.#requestFailure(to, error, signal, timeout);
      stream?.abort(failure);
      this.#metrics.requestDuration.observe({ result: failure.code }, (performance.now() - started) / 1000);
      throw failure;
    }
  }

  async setBlocked(peerIds: Iterable<string>): Promise<void> {
    const { blocked, released } = this.#admission.setBlocked(peerIds);
    if (blocked.length > 0 || released.length > 0)
      this.#log.info("blocked peers changed", { blocked, released });
    if (this.#running) for (const peer of released) this.#reconnector.retryNow(peer);
    for (const peer of blocked) this.#reconnector.cancel(peer);
    await Promise.all(blocked.map((peer) => this.#hangUp(peer)));
  }

  subscribe(topic: string, validator: GossipValidator): void {
    this.#gossip.subscribe(topic, validator);
  }

  publish(topic: string, data: Uint8Array): void {
    this.#gossip.publish(topic, data);
  }

  penalize(peerId: string, reason: string): void {
    if (!this.#peers.has(peerId)) {
      this.#log.warn("penalty for a peer that is not another member ignored", { peer: peerId, reason });
      return;
    }
    this.#offence(peerId, reason);
  }

  #peerId(peer: string): PeerId {
    const known = this.#peers.get(peer);
    if (known === undefined)
      throw new RequestError("PEER_UNKNOWN", "not another member of the cluster", { peer });
    return known.id;
  }

  #checkSize(message: Uint8Array, limit: number): void {
    if (message.length > limit) {
      throw new FrameError("FRAME_TOO_LARGE", "message is larger than allowed", {
        length: message.length,
        limit,
      });
    }
  }

  #enqueue(peer: string, channel: OutboundChannel, frame: Uint8Array): void {
    if (this.#admission.isAdmitted(peer)) channel.enqueue(frame);
    else this.#dropped("message", "cut_off");
  }

  #dropped(kind: MessageKind, reason: string, count = 1): void {
    this.#metrics.messagesDropped.inc({ kind, reason }, count);
  }

  async #openMessageStream(peer: string, signal: AbortSignal): Promise<Stream> {
    // Dialling is the reconnector's job: a best-effort send must not wait out a dial timeout.
    const connection = this.#node.getConnections(this.#peerId(peer)).find((c) => c.status === "open");
    if (connection === undefined) throw new RequestError("PEER_UNREACHABLE", "not connected", { peer });
    return connection.newStream(this.#protocols.consensus, { signal });
  }

  /** An inbound long-lived stream of one-way messages from a member. */
  #receive(stream: Stream, connection: Connection): void {
    const from = connection.remotePeer.toString();
    const decoder = new FrameDecoder(this.#options.maxMessageBytes);
    // Nothing is written this way: once the sender is done, the stream is done and frees its slot.
    stream.addEventListener("remoteCloseWrite", () => {
      stream
        .close()
        .catch((error: unknown) => this.#log.debug("closing message stream failed", { from, error }));
    });
    stream.addEventListener("message", (event) => {
      let frames: Uint8Array[];
      try {
        frames = decoder.push(event.data.subarray());
      } catch (error) {
        this.#offence(from, (error as FrameError).code.toLowerCase(), error);
        stream.abort(error as FrameError);
        return;
      }
      for (const frame of frames) this.#deliver(from, frame);
    });
  }

  #deliver(from: string, message: Uint8Array): void {
    this.#metrics.messagesReceived.inc({ kind: "message" });
    // The gater refuses blocked peers, but streams opened before the block may still be draining.
    const handler = this.#messageHandler;
    if (!this.#admission.isAdmitted(from)) {
      this.#dropped("message", "cut_off");
    } else if (handler === null) {
      this.#dropped("message", "no_handler");
    } else {
      try {
        handler(from, message);
      } catch (error) {
        this.#log.error("message handler threw", { from, error });
      }
    }
  }

  /** The responder's side of one sync exchange. */
  async #answer(stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer.toString();
    const deadline = AbortSignal.timeout(this.#options.requestTimeoutMs);
    let request: Uint8Array;
    try {
      request = await readFrame(stream, this.#options.maxMessageBytes, deadline);
    } catch (error) {
      if (error instanceof FrameError && error.code !== "FRAME_TRUNCATED") {
        this.#offence(from, error.code.toLowerCase(), error);
      } else {
        this.#log.debug("request not received", { from, error });
      }
      stream.abort(error as Error);
      return;
    }
    this.#metrics.messagesReceived.inc({ kind: "request" });
    const answer = await this.#handleRequest(from, request);
    try {
      stream.send(encodeFrame(encodeAnswer(answer)));
      await stream.close({ signal: deadline });
      this.#metrics.messagesSent.inc({ kind: "response" });
    } catch (error) {
      this.#dropped("response", "unreachable");
      this.#log.debug("answer not delivered", { from, error });
      stream.abort(error as Error);
    }
  }

  async #handleRequest(from: string, request: Uint8Array): Promise<Answer> {
    const handler = this.#requestHandler;
    if (handler === null || !this.#admission.isAdmitted(from)) return { ok: false, code: "UNAVAILABLE" };
    try {
      const body = await handler(from, request);
      if (body.length > this.#options.maxResponseBytes) {
        this.#log.error("answer larger than allowed", { from, length: body.length });
        return { ok: false, code: "RESPONSE_TOO_LARGE" };
      }
      return { ok: true, body };
    } catch (error) {
      this.#log.warn("request handler failed", { from, error });
      return { ok: false, code: error instanceof TempelError ? error.code : INTERNAL_ERROR_CODE };
    }
  }

  #requestFailure(
    peer: string,
    error: unknown,
    signal: AbortSignal | undefined,
    timeout: AbortSignal,
  ): RequestError {
    if (error instanceof RequestError) {
      if (error.code === "RESPONSE_INVALID") this.#offence(peer, "invalid_response", error);
      return error;
    }
    if (signal?.aborted) return new RequestError("REQUEST_ABORTED", "request aborted", { peer });
    if (timeout.aborted) {
      return new RequestError("REQUEST_TIMEOUT", "no answer in time", {
        peer,
        timeoutMs: this.#options.requestTimeoutMs,
      });
    }
    if (error instanceof FrameError) {
      if (error.code === "FRAME_TRUNCATED") {
        return new RequestError("PEER_UNREACHABLE", "peer closed the exchange unanswered", { peer });
      }
      this.#offence(peer, error.code.toLowerCase(), error);
      return new RequestError("RESPONSE_INVALID", "malformed answer", { peer, cause: error.code });
    }
    return new RequestError("PEER_UNREACHABLE", "peer could not be reached", { peer, cause: String(error) });
  }

  #offence(peer: string, reason: string, error?: unknown): void {
    const offences = this.#penalties.record(peer);
    this.#metrics.peerPenalties.inc({ reason });
    this.#log.warn("peer misbehaved", { peer, reason, offences, error });
    if (this.#penalties.isGraylisted(peer)) {
      this.#log.warn("peer graylisted: disconnecting until its offences decay", { peer });
      void this.#hangUp(peer);
    }
  }

  async #hangUp(peer: string): Promise<void> {
    const known = this.#peers.get(peer);
    if (known === undefined) return;
    try {
      await this.#node.hangUp(known.id);
    } catch (error) {
      this.#log.warn("closing connections failed", { peer, error });
    }
  }

  #peerConnected(peerId: PeerId): void {
    const peer = peerId.toString();
    this.#reconnector.connected(peer);
    this.#metrics.peersConnected.set(this.connectedPeers().length);
    this.#log.info("peer connected", { peer });
  }

  #peerDisconnected(peerId: PeerId): void {
    const peer = peerId.toString();
    if (this.#running) this.#reconnector.disconnected(peer);
    this.#metrics.peersConnected.set(this.connectedPeers().length);
    this.#log.info("peer disconnected", { peer });
  }
}

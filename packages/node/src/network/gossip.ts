import { createHash } from "node:crypto";
import { type GossipSub, type GossipsubMessage, type Message, TopicValidatorResult } from "@libp2p/gossipsub";
import type { Logger } from "../logger/index.ts";
import { FrameError, NetworkConfigError } from "./errors.ts";
import type { NetworkMetrics } from "./metrics.ts";
import { topicId } from "./options.ts";

export type GossipVerdict =
  | { readonly result: "accept" }
  | { readonly result: "ignore" | "reject"; readonly reason: string };

/**
 * Decides a gossip message's fate and, on "accept", has taken it: gossipsub forwards a message only
 * after its verdict, so the validator is the consumer. `from` is the member that passed the message
 * on, not necessarily its author (unsigned gossip names none): authorship belongs inside `data`.
 * "reject" marks the message invalid and lowers that member's gossip score; "ignore" just drops it.
 * The reason is a metric label: keep it to a small fixed set.
 */
export type GossipValidator = (from: string, data: Uint8Array) => GossipVerdict | Promise<GossipVerdict>;

/**
 * Gossipsub's id for an unsigned message must come from its content (there is no sender or sequence
 * number): SHA-256 of the length-prefixed topic and the data, so equal data on two topics differ.
 */
export function gossipMessageId(message: Message): Uint8Array {
  const topic = new TextEncoder().encode(message.topic);
  const topicLength = new Uint8Array(4);
  new DataView(topicLength.buffer).setUint32(0, topic.length);
  return createHash("sha256").update(topicLength).update(topic).update(message.data).digest();
}

const VERDICT_RESULT = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
} as const;

/**
 * Gossipsub's implementation answers asynchronous validation through this method, but its published
 * `GossipSub` interface leaves it out; the router checks for it once at construction.
 */
export type AsyncValidatingGossipSub = GossipSub & {
  reportMessageValidationResult(msgId: string, propagationSource: string, result: TopicValidatorResult): void;
};

interface Topic {
  readonly name: string;
  readonly validator: GossipValidator;
  /** Validations in flight: bounded so a flood cannot queue work without limit. */
  pending: number;
}

export interface GossipRouterOptions {
  readonly clusterId: string;
  readonly topics: readonly string[];
  readonly maxGossipBytes: number;
  readonly maxPendingValidations: number;
}

export interface GossipRouterModules {
  readonly isMember: (peer: string) => boolean;
  readonly logger: Logger;
  readonly metrics: NetworkMetrics;
}

/** The cluster's gossip topics over gossipsub with asynchronous validation. */
export class GossipRouter {
  readonly #options: GossipRouterOptions;
  readonly #modules: GossipRouterModules;
  readonly #pubsub: AsyncValidatingGossipSub;
  /** Subscribed topics by gossipsub topic id. */
  readonly #topics = new Map<string, Topic>();
  #started = false;

  constructor(options: GossipRouterOptions, modules: GossipRouterModules, pubsub: GossipSub) {
    if (!hasAsyncValidation(pubsub)) {
      throw new NetworkConfigError("the installed gossipsub cannot report asynchronous validation results");
    }
    this.#options = options;
    this.#modules = modules;
    this.#pubsub = pubsub;
    pubsub.addEventListener("gossipsub:message", (event) => this.#validate(event.detail));
  }

  /** Gossipsub starts with the libp2p node; subscriptions made before that are joined now. */
  start(): void {
    this.#started = true;
    for (const id of this.#topics.keys()) this.#pubsub.subscribe(id);
  }

  subscribe(topic: string, validator: GossipValidator): void {
    const id = this.#topicId(topic);
    if (this.#topics.has(id)) throw new NetworkConfigError("gossip topic already has a validator", { topic });
    this.#topics.set(id, { name: topic, validator, pending: 0 });
    if (this.#started) this.#pubsub.subscribe(id);
  }

  /** Best effort, like `broadcast`: a failure is counted and logged, never thrown. */
  publish(topic: string, data: Uint8Array): void {
    const id = this.#topicId(topic);
    if (data.length > this.#options.maxGossipBytes) {
      throw new FrameError("FRAME_TOO_LARGE", "gossip message is larger than allowed", {
        topic,
        length: data.length,
        limit: this.#options.maxGossipBytes,
      });
    }
    this.#pubsub.publish(id, data).then(
      () => this.#modules.metrics.messagesSent.inc({ kind: "gossip" }),
      (error: unknown) => {
        this.#modules.metrics.messagesDropped.inc({ kind: "gossip", reason: "publish_failed" });
        this.#modules.logger.warn("gossip publish failed", { topic, error });
      },
    );
  }

  #topicId(topic: string): string {
    if (!this.#options.topics.includes(topic))
      throw new NetworkConfigError("unknown gossip topic", { topic });
    return topicId(this.#options.clusterId, topic);
  }

  #validate({ propagationSource, msgId, msg }: GossipsubMessage): void {
    const from = propagationSource.toString();
    const topic = this.#topics.get(msg.topic);
    // Gossipsub emits messages of subscribed topics only, and every subscription is in the map.
    if (topic === undefined) return;
    const report = (verdict: GossipVerdict): void => {
      this.#pubsub.reportMessageValidationResult(msgId, from, VERDICT_RESULT[verdict.result]);
      this.#modules.metrics.gossipValidation.inc({
        topic: topic.name,
        result: verdict.result,
        reason: verdict.result === "accept" ? "" : verdict.reason,
      });
    };
    this.#modules.metrics.messagesReceived.inc({ kind: "gossip" });
    const refusal = this.#refusal(from, msg.data, topic);
    if (refusal !== null) {
      report(refusal);
      return;
    }
    topic.pending++;
    // Run the validator after gossipsub's event dispatch has returned, never inside it.
    Promise.resolve()
      .then(() => topic.validator(from, msg.data))
      .catch((error: unknown): GossipVerdict => {
        this.#modules.logger.error("gossip validator threw", { topic: topic.name, from, error });
        return { result: "ignore", reason: "validator_error" };
      })
      .then((verdict) => {
        topic.pending--;
        report(verdict);
      });
  }

  /** What is refused before the validator sees it. */
  #refusal(from: string, data: Uint8Array, topic: Topic): GossipVerdict | null {
    if (!this.#modules.isMember(from)) return { result: "reject", reason: "not_member" };
    if (data.length > this.#options.maxGossipBytes) return { result: "reject", reason: "oversized" };
    if (topic.pending >= this.#options.maxPendingValidations)
      return { result: "ignore", reason: "queue_full" };
    return null;
  }
}

function hasAsyncValidation(pubsub: GossipSub): pubsub is AsyncValidatingGossipSub {
  return typeof (pubsub as Partial<AsyncValidatingGossipSub>).reportMessageValidationResult === "function";
}

import { ed25519 } from "@noble/curves/ed25519.js";
import {
  AggregationTree,
  aggregationResponsePayloadFor,
  Calendar,
  type CalendarHashChain,
  composeChains,
  decodeAggregationRequestPdu,
  decodeExtendRequestPdu,
  ExtenderStatus,
  encodeAggregationResponsePdu,
  encodeExtendResponsePdu,
  encodePublicationData,
  encodeQuorumCertificate,
  encodeTlv,
  HashAlgorithm,
  hashImprint,
  type KsiSignature,
  MemoryCalendarStore,
  type PublicationData,
  type QuorumCertificate,
  toHex,
} from "@tempel/proto";

/**
 * An in-process stand-in for a one-member Tempel cluster behind `fetch`: the KSI aggregator and
 * extender (PDU v2 with HMAC) and the calendar head, over a real proto Calendar. Each aggregation
 * request is one round, at the next second; every root is certified by the one member's Ed25519 key.
 */

export const LOGIN_ID = "agency-test";
export const KEY = "test-secret";
export const GENESIS = 1_750_000_000;
export const MEMBER_ID = "member-1";

const KEY_BYTES = new TextEncoder().encode(KEY);

function bytesOf(body: RequestInit["body"]): Uint8Array {
  if (!(body instanceof Uint8Array)) throw new Error("the fake cluster takes byte bodies");
  return body;
}

/** How a misbehaving node changes its answers (each change applies to that node's answers only). */
export interface Misbehaviour {
  readonly signature?: (signature: KsiSignature) => KsiSignature;
  readonly headCertificate?: (certificate: QuorumCertificate) => QuorumCertificate;
  readonly chain?: (chain: CalendarHashChain) => Promise<CalendarHashChain>;
}

export class FakeCluster {
  readonly calendar: Calendar;
  /** Misbehaving nodes, by origin (e.g. "http://node-a.test"): the others answer honestly. */
  readonly misbehaving = new Map<string, Misbehaviour>();
  readonly #secretKey = ed25519.utils.randomSecretKey();
  readonly publicKey: Uint8Array;
  /** Every request path, in order. */
  readonly requests: string[] = [];
  /** Which node each request went to (its origin), in the same order. */
  readonly askedNodes: string[] = [];

  private constructor(calendar: Calendar) {
    this.calendar = calendar;
    this.publicKey = ed25519.getPublicKey(this.#secretKey);
  }

  /** Clusters started with different `history` have different calendars from the genesis on. */
  static async start(history = 0): Promise<FakeCluster> {
    const calendar = await Calendar.open(new MemoryCalendarStore(), { genesisTime: GENESIS });
    // A few rounds before the first request, so that chains have both left and right links.
    for (let second = GENESIS; second < GENESIS + 5; second++) {
      await calendar.append(
        second,
        hashImprint(HashAlgorithm.SHA2_256, new Uint8Array([history, second & 0xff])),
      );
    }
    return new FakeCluster(calendar);
  }

  get trust(): { members: { id: string; publicKey: Uint8Array }[]; quorum: number } {
    return { members: [{ id: MEMBER_ID, publicKey: this.publicKey }], quorum: 1 };
  }

  /** Append `count` rounds without requests, as time passes. */
  async advance(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await this.calendar.append(
        this.calendar.head + 1,
        hashImprint(HashAlgorithm.SHA2_256, new Uint8Array(0)),
      );
    }
  }

  async certificate(time: number): Promise<QuorumCertificate> {
    const publishedData: PublicationData = {
      publicationTime: time,
      publishedHash: await this.calendar.rootAt(time),
    };
    const message = encodeTlv(encodePublicationData(publishedData));
    return {
      publishedData,
      shares: [{ memberId: MEMBER_ID, signature: ed25519.sign(message, this.#secretKey) }],
    };
  }

  /** A `fetch` that answers as the cluster's node would. */
  readonly fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const path = url.pathname;
    const misbehaviour = this.misbehaving.get(url.origin) ?? {};
    this.requests.push(path);
    this.askedNodes.push(url.origin);
    switch (path) {
      case "/ksi/aggregator":
        return ksiResponse(await this.#aggregate(bytesOf(init.body), misbehaviour));
      case "/ksi/extender":
        return ksiResponse(await this.#extend(bytesOf(init.body), misbehaviour));
      case "/v1/calendar/head": {
        const time = this.calendar.head;
        const honest = await this.certificate(time);
        const certificate = misbehaviour.headCertificate?.(honest) ?? honest;
        return Response.json({
          time,
          root: toHex(certificate.publishedData.publishedHash),
          genesisTime: GENESIS,
          certified: {
            time,
            root: toHex(certificate.publishedData.publishedHash),
            certificate: btoa(String.fromCharCode(...encodeTlv(encodeQuorumCertificate(certificate)))),
          },
        });
      }
      default:
        return Response.json({ error: { code: "NOT_FOUND", message: "no such endpoint" } }, { status: 404 });
    }
  };

  async #aggregate(body: Uint8Array, misbehaviour: Misbehaviour): Promise<Uint8Array> {
    const { pdu, hmac } = decodeAggregationRequestPdu(body);
    if (pdu.header.loginId !== LOGIN_ID || !hmac.check(KEY_BYTES)) throw new Error("unauthenticated request");
    const time = this.calendar.head + 1;
    const metadata = { clientId: LOGIN_ID };
    const tree = new AggregationTree(
      pdu.requests.map((r) => ({ imprint: r.requestHash, level: r.requestLevel ?? 0, metadata })),
      { algorithm: HashAlgorithm.SHA2_256 },
    );
    await this.calendar.append(time, tree.root);
    const calendarChain = await this.calendar.chain(time, time);
    const quorumCertificate = await this.certificate(time);
    const responses = pdu.requests.map((request, i) => {
      const signature: KsiSignature = {
        aggregationChains: composeChains([tree.segment(i)], time),
        calendarChain,
        quorumCertificate,
      };
      return aggregationResponsePayloadFor(
        request.requestId,
        misbehaviour.signature?.(signature) ?? signature,
        request.requestLevel,
      );
    });
    return encodeAggregationResponsePdu({ header: pdu.header, responses }, KEY_BYTES, hmac.algorithm);
  }

  async #extend(body: Uint8Array, misbehaviour: Misbehaviour): Promise<Uint8Array> {
    const { pdu, hmac } = decodeExtendRequestPdu(body);
    if (!hmac.check(KEY_BYTES)) throw new Error("unauthenticated request");
    const head = this.calendar.head;
    const responses = await Promise.all(
      pdu.requests.map(async (request) => {
        const to = request.publicationTime ?? head;
        if (to > head) {
          return {
            requestId: request.requestId,
            status: ExtenderStatus.TIME_TOO_NEW,
            calendarLastTime: head,
          };
        }
        const chain = await this.calendar.chain(request.aggregationTime, to);
        return {
          requestId: request.requestId,
          status: ExtenderStatus.OK,
          calendarLastTime: head,
          calendarChain: (await misbehaviour.chain?.(chain)) ?? chain,
        };
      }),
    );
    return encodeExtendResponsePdu({ header: pdu.header, responses }, KEY_BYTES, hmac.algorithm);
  }
}

export function ksiResponse(bytes: Uint8Array, status = 200): Response {
  return new Response(bytes.slice(), { status, headers: { "content-type": "application/ksi-response" } });
}

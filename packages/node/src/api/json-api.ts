import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import {
  assembleSignature,
  calendarPolicy,
  encodeCalendarChain,
  encodeQuorumCertificate,
  encodeSignature,
  encodeTlv,
  fromHex,
  type Hasher,
  type KsiSignature,
  signatureToJson,
  toHex,
  verifySignature,
} from "@tempel/proto";
import type { Agency, AgencyRegistry, RoundOptions, RoundSubmitter } from "../aggregation/index.ts";
import { calendarAuthRecord } from "../aggregation/index.ts";
import type { CalendarSigner } from "../identity/index.ts";
import { calendarChainBetween, type NodeCalendar } from "../store/index.ts";
import { calendarConsistency } from "./calendar-consistency.ts";
import { HttpError } from "./http-error.ts";
import {
  base64,
  decodeSignatureText,
  parseHashItems,
  parseJsonObject,
  parseSecond,
  parseSecondsRange,
} from "./json-input.ts";
import type { ApiOptions } from "./options.ts";
import type { SerializedJson } from "./respond.ts";
import { SignAnswers } from "./sign-answer.ts";
import { STAND_IN_KEY } from "./stand-in-key.ts";

export type JsonApiOptions = Pick<ApiOptions, "maxSignBatch"> & Pick<RoundOptions, "maxLevel">;

export interface JsonApiModules {
  readonly agencies: AgencyRegistry;
  readonly rounds: RoundSubmitter;
  readonly calendar: NodeCalendar;
  readonly signer: CalendarSigner;
  /** What a signature sent to /v1/extend is verified with (node:crypto in the node). */
  readonly hasher: Hasher;
  readonly status: () => Record<string, unknown>;
  readonly now: () => number;
}

/** Header naming the agency of a JSON request. */
export const LOGIN_ID_HEADER = "x-tempel-login-id";
/** Header carrying the hex HMAC-SHA256 of the raw request body under the agency's key. */
export const HMAC_HEADER = "x-tempel-hmac";

/**
 * The JSON API under /v1/. Signing needs an agency: the request names its login id and proves it
 * holds the agency's key with an HMAC over the exact body bytes, like a KSI PDU does.
 */
export class JsonApi {
  readonly #options: JsonApiOptions;
  readonly #modules: JsonApiModules;
  readonly #answers = new SignAnswers();

  constructor(options: JsonApiOptions, modules: JsonApiModules) {
    this.#options = options;
    this.#modules = modules;
  }

  /**
   * POST /v1/sign `{"hashes": ["<imprint hex>" | {"imprint": "<hex>", "level": n}, …]}` →
   * `{"aggregationTime": t, "signatures": ["<base64 KSI signature>", …]}` in request order. These are
   * finished signatures: a hash's level is in its first link's level correction, where the KSI
   * aggregator's answers leave it to the client (docs/ksi-clients.md).
   */
  async sign(request: IncomingMessage, body: Uint8Array, view: boolean): Promise<SerializedJson> {
    const agency = this.#authenticate(request, body);
    const json = parseJsonObject(body, ["hashes"]);
    const items = json.hashes;
    if (!Array.isArray(items) || items.length === 0 || items.length > this.#options.maxSignBatch) {
      throw new HttpError("BAD_HASHES", `"hashes" must be a list of 1..${this.#options.maxSignBatch} hashes`);
    }
    const nowSeconds = Math.floor(this.#modules.now() / 1000);
    const hashes = parseHashItems(items, this.#options.maxLevel, nowSeconds);
    return this.#answers.answer(await this.#modules.rounds.submit(agency, hashes), view);
  }

  /**
   * POST /v1/extend `{"signature": "<base64>", "publicationTime"?: T}` → the signature with its
   * calendar chain reaching the root at T (default: the latest certified second), that root's quorum
   * certificate and this node's calendar authentication record for it. Authenticated as signing is,
   * as KSI's extender is: what it answers is public (calendar hashes, certificates), but each answer
   * costs a verification and an RSA signature, which only agencies may ask of the node.
   */
  async extend(request: IncomingMessage, body: Uint8Array, view: boolean): Promise<unknown> {
    this.#authenticate(request, body);
    const json = parseJsonObject(body, ["signature", "publicationTime"]);
    if (typeof json.signature !== "string")
      throw new HttpError("BAD_SIGNATURE", '"signature" must be base64 text');
    const signature = decodeSignatureText(json.signature);
    const { calendar } = this.#modules;
    const target =
      json.publicationTime === undefined ? undefined : parseSecond(json.publicationTime, "publicationTime");
    const certificate =
      target === undefined
        ? await calendar.latestCertificate(calendar.head)
        : await calendar.certificate(target);
    if (certificate === undefined) {
      throw new HttpError(
        "NOT_CERTIFIED",
        target === undefined ? "no second is certified yet" : `second ${target} is not certified`,
      );
    }
    const rootTime = certificate.publishedData.publicationTime;
    const extender = (time: number, publicationTime?: number) =>
      calendarChainBetween(calendar, time, publicationTime, this.#nowSeconds());
    const verdict = await verifySignature(
      signature,
      { extender, hasher: this.#modules.hasher },
      calendarPolicy,
    );
    if (verdict.result !== "OK") {
      throw new HttpError(
        "SIGNATURE_NOT_VERIFIED",
        `the signature does not verify against this calendar: ${verdict.code ?? verdict.result} ${verdict.message}`,
      );
    }
    const calendarChain = await extender(signature.aggregationChains[0]!.aggregationTime, rootTime);
    const extended = assembleSignature({
      aggregationChains: signature.aggregationChains,
      calendarChain,
      calendarAuthRecord: calendarAuthRecord(
        this.#modules.signer,
        rootTime,
        certificate.publishedData.publishedHash,
      ),
      quorumCertificate: certificate,
      ...(signature.rfc3161Record !== undefined && { rfc3161Record: signature.rfc3161Record }),
    });
    return signatureResponse(extended, view);
  }

  /** GET /v1/calendar/head: the last second, its root, and the latest quorum certificate. */
  async head(): Promise<unknown> {
    const { calendar } = this.#modules;
    const head = calendar.head;
    if (head < calendar.genesisTime) return { time: null, genesisTime: calendar.genesisTime };
    const certificate = await calendar.latestCertificate(head);
    return {
      time: head,
      root: toHex(await calendar.rootAt(head)),
      genesisTime: calendar.genesisTime,
      ...(certificate !== undefined && {
        certified: {
          time: certificate.publishedData.publicationTime,
          root: toHex(certificate.publishedData.publishedHash),
          certificate: base64(encodeTlv(encodeQuorumCertificate(certificate))),
        },
      }),
    };
  }

  /** GET /v1/calendar/chain?from=t&to=T: the calendar hash chain (TLV 0x0802, base64) from t to the root at T. */
  async chain(url: URL): Promise<unknown> {
    const { from, to } = parseSecondsRange(url);
    const chain = await calendarChainBetween(this.#modules.calendar, from, to, this.#nowSeconds());
    return {
      from: chain.aggregationTime,
      to: chain.publicationTime,
      root: toHex(await this.#modules.calendar.rootAt(chain.publicationTime)),
      chain: base64(encodeTlv(encodeCalendarChain(chain))),
    };
  }

  /** GET /v1/calendar/consistency?from=T1&to=T2 (see calendarConsistency). */
  consistency(url: URL): Promise<unknown> {
    const { calendar } = this.#modules;
    // The stored chain, unchecked against the certificates: a monitor proves a changed store only if
    // it is shown the change (NodeCalendar.storedChain).
    const stored = {
      genesisTime: calendar.genesisTime,
      head: calendar.head,
      chain: (time: number, rootTime: number) => calendar.storedChain(time, rootTime),
      rootAt: (time: number) => calendar.rootAt(time),
    };
    return calendarConsistency(stored, url, this.#nowSeconds());
  }

  status(): unknown {
    return this.#modules.status();
  }

  #authenticate(request: IncomingMessage, body: Uint8Array): Agency {
    const loginId = request.headers[LOGIN_ID_HEADER];
    const mac = request.headers[HMAC_HEADER];
    if (typeof loginId !== "string" || typeof mac !== "string") {
      throw new HttpError(
        "UNAUTHENTICATED",
        `send the agency login id in ${LOGIN_ID_HEADER} and the body's HMAC in ${HMAC_HEADER}`,
      );
    }
    const agency = this.#modules.agencies.get(loginId);
    // An unknown login is answered as a wrong HMAC, after as much work (stand-in-key.ts).
    const given = fromHex(mac);
    const expected = createHmac("sha256", agency?.key ?? STAND_IN_KEY)
      .update(body)
      .digest();
    const matches =
      given !== undefined && given.length === expected.length && timingSafeEqual(given, expected);
    if (!matches || agency === undefined) {
      throw new HttpError(
        "AUTHENTICATION_FAILED",
        `${LOGIN_ID_HEADER} and ${HMAC_HEADER} do not match an agency and the HMAC-SHA256 of the body under its key`,
      );
    }
    return agency;
  }

  #nowSeconds(): number {
    return Math.floor(this.#modules.now() / 1000);
  }
}

function signatureResponse(signature: KsiSignature, view: boolean): unknown {
  return { signature: base64(encodeSignature(signature)), ...(view && { json: signatureToJson(signature) }) };
}

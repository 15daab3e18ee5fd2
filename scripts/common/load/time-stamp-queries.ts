import { randomFillSync } from "node:crypto";
import {
  bytesEqual,
  derAlgorithm,
  derInteger,
  derOctetString,
  derSequence,
  type Imprint,
  OID,
  readElement,
  readOctets,
  readTime,
  TAG,
} from "@tempel/proto";

const DIGEST_BYTES = 32;
const NONCE_BYTES = 8;

/** One query as sent: where its digest and nonce INTEGER sit in the request's bytes. */
export interface SentQuery {
  /** The whole HTTP request, head and DER query. */
  readonly bytes: Buffer;
  readonly digest: Uint8Array;
  /** The nonce's DER INTEGER (tag, length, contents), as the token must echo it. */
  readonly nonce: Uint8Array;
}

/**
 * What `openssl ts -query -sha256` sends — version 1, the SHA-256 imprint with NULL parameters, a
 * 64-bit nonce, no certReq — as whole HTTP/1.1 requests made from one template: each query is the
 * template copied with a fresh digest and nonce written in place, so the generator spends on a query
 * a copy of 200 bytes and a random fill rather than a DER encoding and node:http's request object.
 */
export class TimeStampQueries {
  readonly #template: Buffer;
  readonly #digestAt: number;
  readonly #nonceAt: number;

  constructor(url: URL, extraHeaders: Readonly<Record<string, string>> = {}) {
    // The nonce's first octet is kept in 0x01..0x7f: positive and minimally encoded in 8 octets.
    const query = derSequence(
      derInteger(1),
      derSequence(derAlgorithm(OID.sha256, true), derOctetString(new Uint8Array(DIGEST_BYTES))),
      derInteger(0x0101_0101_0101_0101n),
    );
    const fields = {
      host: url.host,
      "content-type": "application/timestamp-query",
      "content-length": String(query.length),
      ...extraHeaders,
    };
    const head = `POST ${url.pathname}${url.search} HTTP/1.1\r\n${Object.entries(fields)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("")}\r\n`;
    this.#template = Buffer.concat([Buffer.from(head, "latin1"), query]);
    // The query ends with the nonce INTEGER (2 + 8 octets), just after the digest's OCTET STRING.
    this.#nonceAt = this.#template.length - NONCE_BYTES - 2;
    this.#digestAt = this.#nonceAt - DIGEST_BYTES;
  }

  next(): SentQuery {
    const bytes = Buffer.allocUnsafe(this.#template.length);
    this.#template.copy(bytes);
    randomFillSync(bytes, this.#digestAt, DIGEST_BYTES);
    const nonceContents = this.#nonceAt + 2;
    randomFillSync(bytes, nonceContents, NONCE_BYTES);
    bytes[nonceContents] = (bytes[nonceContents]! & 0x7f) | 0x01;
    return {
      bytes,
      digest: new Uint8Array(bytes.buffer, bytes.byteOffset + this.#digestAt, DIGEST_BYTES),
      nonce: new Uint8Array(bytes.buffer, bytes.byteOffset + this.#nonceAt, NONCE_BYTES + 2),
    };
  }
}

/** The query's hash as the SHA-256 KSI imprint the full checks take. */
export function sentImprint(query: SentQuery): Imprint {
  const imprint = new Uint8Array(1 + DIGEST_BYTES);
  imprint[0] = 0x01;
  imprint.set(query.digest, 1);
  return imprint;
}

export type CheapVerdict =
  | { readonly outcome: "ok"; readonly genTime: number }
  | { readonly outcome: string };

/**
 * The checks every answer gets, on the sending thread and without decoding the token: the reply is
 * granted (else `tsa_status_N`), and its TSTInfo has the digest and the nonce sent (a token for another query, or one
 * replayed, fails). The signature is verified in full on a sample (response-checker.ts).
 */
export function checkReplyCheaply(reply: Uint8Array, query: SentQuery): CheapVerdict {
  try {
    const response = readElement(reply);
    const status = readElement(response.value);
    const statusValue = readElement(status.value);
    if (statusValue.tag !== TAG.INTEGER || statusValue.value.length !== 1) return { outcome: "bad_response" };
    // granted (0) or grantedWithMods (1); a rejection or waiting has no token.
    if (statusValue.value[0]! > 1) return { outcome: `tsa_status_${statusValue.value[0]}` };
    // ContentInfo { signedData OID, [0] { SignedData { version, digestAlgorithms, encapContentInfo … } } }
    const contentInfo = readElement(response.value, status.der.length);
    const signedData = readElement(
      readElement(contentInfo.value, readElement(contentInfo.value).der.length).value,
    );
    const version = readElement(signedData.value);
    const algorithms = readElement(signedData.value, version.der.length);
    const encapsulated = readElement(signedData.value, version.der.length + algorithms.der.length);
    const eContentType = readElement(encapsulated.value);
    const explicit = readElement(encapsulated.value, eContentType.der.length);
    const tstInfo = readElement(readOctets(readElement(explicit.value)));
    // TSTInfo { version, policy, messageImprint, serialNumber, genTime, accuracy?, ordering?, nonce? … }
    const fields = tstInfo.value;
    let at = 0;
    const next = () => {
      const element = readElement(fields, at);
      at += element.der.length;
      return element;
    };
    next();
    next();
    const imprint = next();
    const hashed = readElement(imprint.value, readElement(imprint.value).der.length);
    if (!bytesEqual(hashed.value, query.digest)) return { outcome: "tsa_wrong_input" };
    next();
    const genTime = readTime(next());
    while (at < fields.length) {
      const element = next();
      if (element.tag === TAG.INTEGER) {
        return bytesEqual(element.der, query.nonce)
          ? { outcome: "ok", genTime }
          : { outcome: "tsa_wrong_nonce" };
      }
    }
    return { outcome: "tsa_wrong_nonce" };
  } catch {
    return { outcome: "bad_response" };
  }
}

import { createHash, createPrivateKey, type KeyObject, sign } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import {
  Calendar,
  encodeCalendarChain,
  encodePublicationData,
  encodePublicationsFile,
  encodeQuorumCertificate,
  encodeTlv,
  HashAlgorithm,
  hashImprint,
  type Imprint,
  MemoryCalendarStore,
  type PublicationRecord,
  type PublicationsFileSigner,
  publicationsCmsSigner,
  type QuorumCertificate,
  type QuorumTrust,
  toHex,
} from "@tempel/proto";
import { makeIdentity, type TestIdentity } from "../../../proto/test/unit/pki-fixtures.ts";

/**
 * A simulated Tempel cluster behind `fetch` for the monitor: nodes answering /v1/calendar/head,
 * /v1/calendar/consistency and /v1/publications as Tempel nodes do, over proto calendars whose every
 * second is certified by a quorum of member keys, with a publication every `publicationEvery`
 * seconds. Time is simulated: `advance()` is one second.
 */

export const GENESIS = 1_800_000_000;
export const EMAIL = "publications@sim.tempel.invalid";

/** mulberry32: a small seeded generator, so that a simulated run is the same every time. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cluster members; they sign with Node's native Ed25519, fast enough to certify every simulated second. */
export class Members {
  readonly #keys: KeyObject[];
  readonly trust: QuorumTrust;

  constructor(count: number, quorum: number) {
    const secrets = Array.from({ length: count }, () => ed25519.utils.randomSecretKey());
    const publicKeys = secrets.map((secret) => ed25519.getPublicKey(secret));
    this.#keys = secrets.map((secret, i) =>
      createPrivateKey({
        key: { kty: "OKP", crv: "Ed25519", d: base64url(secret), x: base64url(publicKeys[i]!) },
        format: "jwk",
      }),
    );
    this.trust = { members: publicKeys.map((publicKey, i) => ({ id: `member-${i}`, publicKey })), quorum };
  }

  /** A certificate of `root` at `time` with shares of the members `signers` (indexes). */
  certify(time: number, root: Imprint, signers: readonly number[]): QuorumCertificate {
    const message = encodeTlv(encodePublicationData({ publicationTime: time, publishedHash: root }));
    return {
      publishedData: { publicationTime: time, publishedHash: root },
      shares: signers.map((i) => ({
        memberId: `member-${i}`,
        signature: new Uint8Array(sign(null, message, this.#keys[i]!)),
      })),
    };
  }
}

/** A calendar and the certificates of its seconds: one history. */
export class History {
  readonly calendar: Calendar;
  readonly certificates = new Map<number, QuorumCertificate>();
  readonly #members: Members;
  readonly #signers: readonly number[];

  private constructor(calendar: Calendar, members: Members, signers: readonly number[]) {
    this.calendar = calendar;
    this.#members = members;
    this.#signers = signers;
  }

  static async open(members: Members, signers: readonly number[]): Promise<History> {
    return new History(
      await Calendar.open(new MemoryCalendarStore(), { genesisTime: GENESIS }),
      members,
      signers,
    );
  }

  /** Append `leaf` as the next second and certify its root. */
  async append(leaf: Imprint): Promise<void> {
    const time = this.calendar.head + 1;
    await this.calendar.append(time, leaf);
    this.certificates.set(time, this.#members.certify(time, await this.calendar.rootAt(time), this.#signers));
  }
}

export function leafOf(second: number, variant = 0): Imprint {
  return hashImprint(HashAlgorithm.SHA2_256, new TextEncoder().encode(`round ${second} ${variant}`));
}

/** One node as the monitor reaches it. */
export class SimNode {
  readonly url: string;
  history: History;
  /** Seconds this node's calendar is behind the cluster's. */
  lag = 0;
  down = false;
  /** The publications file it serves. */
  file: { bytes: Uint8Array; etag: string } | undefined;
  readonly requests: string[] = [];

  constructor(url: string, history: History) {
    this.url = url;
    this.history = history;
  }

  get head(): number {
    return Math.max(GENESIS, this.history.calendar.head - this.lag);
  }

  async answer(url: URL, headers: Headers): Promise<Response> {
    this.requests.push(url.pathname);
    const { calendar, certificates } = this.history;
    switch (url.pathname) {
      case "/v1/calendar/head": {
        const head = this.head;
        const certificate = certificates.get(head)!;
        return json({
          time: head,
          root: toHex(await calendar.rootAt(head)),
          genesisTime: GENESIS,
          certified: {
            time: head,
            root: toHex(certificate.publishedData.publishedHash),
            certificate: base64(encodeTlv(encodeQuorumCertificate(certificate))),
          },
        });
      }
      case "/v1/calendar/consistency": {
        const from = Number(url.searchParams.get("from"));
        const to = Number(url.searchParams.get("to"));
        if (!(GENESIS <= from && from <= to && to <= this.head))
          return json({ error: { code: "TIME_TOO_NEW" } }, 400);
        const proof = await calendar.chain(from, to);
        return json({
          from,
          to,
          fromRoot: toHex(await calendar.rootAt(from)),
          toRoot: toHex(await calendar.rootAt(to)),
          proof: base64(encodeTlv(encodeCalendarChain(proof))),
        });
      }
      case "/v1/publications": {
        if (this.file === undefined) return json({ error: { code: "NOT_PUBLISHED" } }, 404);
        if (headers.get("if-none-match") === this.file.etag) return new Response(null, { status: 304 });
        return new Response(this.file.bytes.slice(), { headers: { etag: this.file.etag } });
      }
      default:
        return json({ error: { code: "NOT_FOUND" } }, 404);
    }
  }
}

/** The cluster's publications authority: a CA and the key that signs the publications file. */
export interface SimAuthority {
  readonly ca: TestIdentity;
  readonly signer: TestIdentity;
}

export async function simAuthority(): Promise<SimAuthority> {
  const day = 86_400_000;
  const notBefore = new Date(Date.now() - day);
  const notAfter = new Date(Date.now() + 365 * day);
  const ca = await makeIdentity({
    kind: "RSA",
    commonName: "sim CA",
    notBefore,
    notAfter,
    ca: true,
    serial: 1,
  });
  const signer = await makeIdentity({
    kind: "RSA",
    commonName: "sim publications",
    email: EMAIL,
    notBefore,
    notAfter,
    issuer: ca,
    serial: 2,
  });
  return { ca, signer };
}

/** The publications file of `records`, signed by `identity`. */
export async function publicationsFile(
  records: readonly PublicationRecord[],
  identity: TestIdentity,
): Promise<{ bytes: Uint8Array; etag: string }> {
  const time = records.at(-1)!.publishedData.publicationTime;
  const sign: PublicationsFileSigner = publicationsCmsSigner({
    privateKey: identity.privateKey,
    certificate: identity.der,
    signingTime: time,
  });
  const bytes = await encodePublicationsFile(
    { header: { version: 1, creationTime: time }, certificates: [], publications: records },
    sign,
  );
  return { bytes, etag: `"${createHash("sha256").update(bytes).digest("base64url")}"` };
}

/** A publication record of `history`'s root at `time`, with its certificate. */
export async function publicationOf(history: History, time: number): Promise<PublicationRecord> {
  return {
    publishedData: { publicationTime: time, publishedHash: await history.calendar.rootAt(time) },
    references: [],
    repositoryUris: [],
    quorumCertificate: history.certificates.get(time)!,
  };
}

/** `fetch` over the simulated nodes; `posts` collects what was POSTed to other URLs (the webhook). */
export function simFetch(
  nodes: readonly SimNode[],
  posts: { url: string; body: unknown }[],
): typeof globalThis.fetch {
  return async (input, init) => {
    const url = new URL(String(input));
    if (init?.method === "POST") {
      posts.push({ url: url.href, body: JSON.parse(String(init.body)) });
      return new Response(null, { status: 204 });
    }
    const node = nodes.find((n) => url.href.startsWith(n.url));
    if (node === undefined || node.down) throw new TypeError("fetch failed: connection refused");
    return node.answer(url, new Headers(init?.headers));
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import {
  Calendar,
  certificateFromPem,
  encodePublicationData,
  encodeTlv,
  HashAlgorithm,
  type Imprint,
  MemoryCalendarStore,
  makeImprint,
  type PublicationRecord,
  type PublicationsAuthority,
  type QuorumCertificate,
  type QuorumTrust,
} from "@tempel/proto";
import { AUTHORITY_FILES, createPublicationsAuthority } from "../../src/publication/authority.ts";
import type { PublicationCalendar } from "../../src/publication/publication-service.ts";
import type { StoredPublications } from "../../src/publication/publication-store.ts";
import { loadPublicationsKey, type PublicationsKey } from "../../src/publication/publications-key.ts";

/** In-memory stand-ins for what the publication service reads: a certified calendar, keys, a store. */

export const EMAIL = "publications@test.tempel.invalid";

export interface TestAuthority {
  readonly authority: PublicationsAuthority;
  /** A data folder holding the publications key and certificate. */
  readonly dataDir: string;
  readonly key: PublicationsKey;
  readonly memberCertificates: readonly Uint8Array[];
}

/** A publications CA with a key it certified; `now` is when the key is loaded (and its probe signed). */
export async function testAuthority(now: number): Promise<TestAuthority> {
  const keys = await createPublicationsAuthority({ clusterId: "test", email: EMAIL, now });
  const dataDir = mkdtempSync(join(tmpdir(), "tempel-publication-"));
  writeFileSync(join(dataDir, AUTHORITY_FILES.key), keys.keyPem, { mode: 0o600 });
  writeFileSync(join(dataDir, AUTHORITY_FILES.certificate), keys.certificatePem);
  const authority = { caCertificate: certificateFromPem(keys.caCertificatePem), email: EMAIL };
  const key = await loadPublicationsKey(dataDir, authority, now);
  const certificate = certificateFromPem(keys.certificatePem);
  return { authority, dataDir, key: key!, memberCertificates: [authority.caCertificate, certificate] };
}

/** Members with Ed25519 keys; each certifies roots with `quorum` shares. */
export class TestMembers {
  readonly secrets: readonly Uint8Array[];
  readonly trust: QuorumTrust;

  constructor(count: number, quorum: number) {
    this.secrets = Array.from({ length: count }, () => ed25519.utils.randomSecretKey());
    this.trust = {
      members: this.secrets.map((secret, i) => ({
        id: `member-${i}`,
        publicKey: ed25519.getPublicKey(secret),
      })),
      quorum,
    };
  }

  certify(time: number, root: Imprint): QuorumCertificate {
    const message = encodeTlv(encodePublicationData({ publicationTime: time, publishedHash: root }));
    return {
      publishedData: { publicationTime: time, publishedHash: root },
      shares: this.secrets
        .slice(0, this.trust.quorum)
        .map((secret, i) => ({ memberId: `member-${i}`, signature: ed25519.sign(message, secret) })),
    };
  }
}

export function randomLeaf(): Imprint {
  return makeImprint(HashAlgorithm.SHA2_256, randomBytes(32));
}

/** A calendar with one random leaf per second, certified by `members` unless told otherwise. */
export class TestCalendar implements PublicationCalendar {
  readonly genesisTime: number;
  readonly #calendar: Calendar;
  readonly #members: TestMembers;
  readonly #certificates = new Map<number, QuorumCertificate>();

  private constructor(calendar: Calendar, members: TestMembers) {
    this.genesisTime = calendar.genesisTime;
    this.#calendar = calendar;
    this.#members = members;
  }

  static async open(genesisTime: number, members: TestMembers): Promise<TestCalendar> {
    return new TestCalendar(await Calendar.open(new MemoryCalendarStore(), { genesisTime }), members);
  }

  get head(): number {
    return this.#calendar.head;
  }

  /** Append random leaves up to `time`; certify those seconds unless `certify` is false. */
  async appendThrough(time: number, certify = true): Promise<void> {
    for (let t = this.head + 1; t <= time; t++) {
      await this.#calendar.append(t, randomLeaf());
      if (certify) this.#certificates.set(t, this.#members.certify(t, await this.#calendar.rootAt(t)));
    }
  }

  rootAt(time: number): Promise<Imprint> {
    return this.#calendar.rootAt(time);
  }

  chain(time: number, rootTime: number) {
    return this.#calendar.chain(time, rootTime);
  }

  async certificate(time: number): Promise<QuorumCertificate | undefined> {
    return this.#certificates.get(time);
  }

  async firstCertificate(time: number): Promise<QuorumCertificate | undefined> {
    for (let t = time; t <= this.head; t++) {
      const certificate = this.#certificates.get(t);
      if (certificate !== undefined) return certificate;
    }
    return undefined;
  }
}

/** A PublicationStore in memory. */
export class MemoryPublicationStore {
  records: PublicationRecord[] = [];
  signature: Uint8Array | undefined;

  async load(): Promise<StoredPublications> {
    return { records: [...this.records], signature: this.signature };
  }

  async append(records: readonly PublicationRecord[], signature: Uint8Array): Promise<void> {
    this.records.push(...records);
    this.signature = signature;
  }
}

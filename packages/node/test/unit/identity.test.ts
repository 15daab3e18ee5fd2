import { createVerify, X509Certificate } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { genesisHash, genesisToJson, loadGenesis, parseGenesis } from "../../src/genesis/genesis.ts";
import { type InitResult, initDataDir } from "../../src/genesis/index.ts";
import { loadCalendarSigner, SHA256_WITH_RSA_OID } from "../../src/identity/calendar-signer.ts";
import { IdentityError } from "../../src/identity/errors.ts";
import { loadNodeIdentity } from "../../src/identity/node-key.ts";
import { AUTHORITY_FILES } from "../../src/publication/authority.ts";
import { loadPublicationsKey } from "../../src/publication/publications-key.ts";
import { testAuthority } from "./publication-fixtures.ts";

let dir: string;
let init: InitResult;
const NOW = 1_763_780_000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tempel-identity-"));
  init = await initDataDir({
    dataDir: join(dir, "node"),
    httpHost: "127.0.0.1",
    httpPort: 3131,
    apiUrl: "http://127.0.0.1:3131",
    p2pAddrs: ["/ip4/127.0.0.1/tcp/4131"],
    now: NOW,
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function identityError(run: () => unknown): IdentityError {
  try {
    run();
  } catch (error) {
    if (error instanceof IdentityError) return error;
    throw error;
  }
  throw new Error("expected an IdentityError");
}

describe("tempel-node init", () => {
  it("writes a one-member genesis naming the node's peer id, key and certificate", () => {
    const genesis = loadGenesis(init.paths.genesis);
    expect(genesis).toEqual(init.genesis);
    expect(genesis.genesisTime).toBe(NOW);
    expect(genesis.quorum).toBe(1);
    expect(genesis.members).toHaveLength(1);
    const identity = loadNodeIdentity(init.paths.nodeKey);
    expect(genesis.members[0]!.id).toBe(identity.id);
    expect(genesis.members[0]!.publicKey).toEqual(identity.publicKey);
    expect(identity.id.startsWith("12D3KooW")).toBe(true);
  });

  it("names Tempel's default publication schedule, daily at 00:00 UTC, and no publications authority", () => {
    const written = JSON.parse(readFileSync(init.paths.genesis, "utf8"));
    expect(written.publications).toEqual({ intervalSeconds: 86_400 });
  });

  it("makes an RSA-2048 sha256WithRSAEncryption certificate whose key signs verifiably", () => {
    const signer = loadCalendarSigner(init.paths.calendarKey, init.paths.calendarCertificate);
    const certificate = new X509Certificate(signer.certificatePem);
    expect(certificate.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.signatureAlgorithmOid).toBe(SHA256_WITH_RSA_OID);
    expect(new Date(certificate.validFrom).getTime() / 1000).toBeLessThanOrEqual(NOW);
    expect(signer.signatureType).toBe(SHA256_WITH_RSA_OID);
    expect(signer.certificateId).toHaveLength(4);
    const data = new TextEncoder().encode("published data");
    const verify = createVerify("sha256").update(data);
    expect(verify.verify(certificate.publicKey, signer.sign(data))).toBe(true);
  });

  it("writes a config with an example agency and never overwrites an existing node", async () => {
    const config = JSON.parse(readFileSync(init.paths.config, "utf8"));
    expect(config.agencies).toEqual([init.agency]);
    await expect(
      initDataDir({
        dataDir: join(dir, "node"),
        httpHost: "h",
        httpPort: 1,
        apiUrl: "http://h",
        p2pAddrs: [],
        now: NOW,
      }),
    ).rejects.toThrow(/already exists/);
  });
});

describe("genesis", () => {
  interface GenesisJson {
    extra?: number;
    quorum: number;
    roundSeconds: number;
    clusterId: string;
    members: Record<string, unknown>[];
    publications: Record<string, unknown>;
  }
  const json = (): GenesisJson => JSON.parse(readFileSync(init.paths.genesis, "utf8"));

  it("rejects fields that are unknown, malformed or inconsistent, naming them", () => {
    const bad = (edit: (g: GenesisJson) => void) => {
      const g = json();
      edit(g);
      return identityError(() => parseGenesis(g, "test")).message;
    };
    expect(bad((g) => (g.extra = 1))).toContain('unknown field "extra"');
    expect(bad((g) => (g.quorum = 2))).toContain("quorum");
    expect(bad((g) => (g.roundSeconds = 2))).toContain("roundSeconds");
    expect(bad((g) => (g.members[0]!.publicKey = "00".repeat(32)))).toContain("does not match its publicKey");
    expect(bad((g) => (g.members[0]!.multiaddrs = ["not a multiaddr"]))).toContain("invalid multiaddr");
    expect(bad((g) => (g.members[0]!.certificate = "x"))).toContain("certificate");
    expect(bad((g) => g.members.push(g.members[0]!))).toContain("twice");
    expect(bad((g) => (g.clusterId = "Has Caps"))).toContain("clusterId");
    expect(bad((g) => (g.publications = { dayOfMonth: 15, intervalSeconds: 300 }))).toContain("publications");
    expect(bad((g) => (g.publications = { intervalSeconds: 300, authority: { email: "x" } }))).toContain(
      "publications",
    );
  });

  it("writes the genesis files made before publication authorities ({dayOfMonth}) back unchanged", () => {
    const written = { ...json(), publications: { dayOfMonth: 15 } };
    expect(genesisToJson(parseGenesis(written, "test"))).toEqual(written);
  });

  it("reads an interval schedule with a publications authority and writes it back as read", () => {
    // Any certificate will do as the CA's here; PEM as OpenSSL writes it, ending in a newline.
    const certificate = `${(json().members[0]!.certificate as string).trim()}\n`;
    const written = {
      ...json(),
      publications: {
        intervalSeconds: 300,
        authority: { certificate, email: "publications@example.org" },
      },
    };
    const genesis = parseGenesis(written, "test");
    expect(genesis.publications.schedule).toEqual({ intervalSeconds: 300 });
    expect(genesis.publications.authority?.email).toBe("publications@example.org");
    expect(genesisToJson(genesis)).toEqual(written);
  });

  it("hashes the same cluster definition to the same value regardless of file formatting", () => {
    const file = join(dir, "compact.json");
    writeFileSync(file, JSON.stringify(json()));
    expect(genesisHash(loadGenesis(file))).toEqual(genesisHash(init.genesis));
  });
});

describe("secret files' permissions", () => {
  it("init writes the node key, the calendar key and the config (agency keys) for the owner only", () => {
    for (const file of [init.paths.nodeKey, init.paths.calendarKey, init.paths.config])
      expect((statSync(file).mode & 0o777).toString(8), file).toBe("600");
  });

  it.each([
    ["node key", "644", () => loadNodeIdentity(init.paths.nodeKey), () => init.paths.nodeKey],
    ["node key", "640", () => loadNodeIdentity(init.paths.nodeKey), () => init.paths.nodeKey],
    [
      "calendar key",
      "604",
      () => loadCalendarSigner(init.paths.calendarKey, init.paths.calendarCertificate),
      () => init.paths.calendarKey,
    ],
  ])("refuses a %s of mode %s, saying which chmod to run", (_, mode, load, file) => {
    chmodSync(file(), Number.parseInt(mode, 8));
    try {
      const error = identityError(load);
      expect(error.code).toBe("KEY_FILE_EXPOSED");
      expect(error.message).toContain(`chmod 600 ${file()}`);
    } finally {
      chmodSync(file(), 0o600);
    }
    expect(() => load()).not.toThrow();
  });

  it("refuses a publications key that others may read", async () => {
    const { dataDir, authority } = await testAuthority(NOW);
    const key = join(dataDir, AUTHORITY_FILES.key);
    chmodSync(key, 0o644);
    try {
      await expect(loadPublicationsKey(dataDir, authority, NOW)).rejects.toMatchObject({
        code: "KEY_FILE_EXPOSED",
        message: expect.stringContaining(`chmod 600 ${key}`),
      });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

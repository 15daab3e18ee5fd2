import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTimeStampResponse } from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgencyRegistry } from "../../src/aggregation/index.ts";
import type { ApiServer } from "../../src/api/server.ts";
import { tsaLeanRoute } from "../../src/api/tsa-route.ts";
import { startTsaTlsServer } from "../../src/api/tsa-tls-server.ts";
import { silentLogger } from "../../src/logger/index.ts";
import { createMetrics } from "../../src/metrics/index.ts";
import {
  caFiles,
  defaultTsaOptions,
  initTsaCa,
  issueNodeTsa,
  loadTsaSigner,
  nodeCertificationRequest,
  SigningPool,
  TimeStampAuthority,
  type TsaOptions,
  type TsaSigner,
  tokenSerial,
  tsaFiles,
} from "../../src/tsa/index.ts";
import {
  postTsaOverTls,
  type TestCa,
  type TestCertificate,
  testCa,
  testCertificate,
} from "../e2e/tls-fixtures.ts";

const NOW = Math.floor(Date.now() / 1000);
const OPENSSL = spawnSync("openssl", ["version"]).status === 0;
let dir: string;
let signer: TsaSigner;

/** A fresh node data folder with a TSA key and certificate from the test CA. */
function nodeDir(name: string): string {
  const node = join(dir, name);
  mkdirSync(node);
  issueNodeTsa(join(dir, "ca"), node, { keyType: "ec-p256", commonName: name, nowSeconds: NOW });
  return node;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tempel-tsa-keys-"));
  initTsaCa(join(dir, "ca"), "ec-p256", "Test TSA CA", NOW);
  signer = loadTsaSigner(tsaFiles(nodeDir("node")), NOW);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function authority(access: TsaOptions["access"]): TimeStampAuthority {
  return new TimeStampAuthority(
    { ...defaultTsaOptions, access, policy: "1.2.3.4", signingThreads: 0, tlsPort: 3132 },
    {
      rounds: { submit: () => Promise.reject(new Error("no rounds in this test")) },
      agencies: new AgencyRegistry([{ loginId: "agency1", key: "secret key" }], 100),
      signer,
      hasher: nodeHasher,
      signing: new SigningPool(signer.key, 0),
      memberIndex: 0,
      openQuotaPerSecond: 100,
      metrics: createMetrics({ processMetrics: false }).tsa,
      logger: silentLogger,
    },
  );
}

const basic = (text: string) => `Basic ${Buffer.from(text).toString("base64")}`;

describe("TSA access", () => {
  it("with basic access, refuses a missing header, an unknown login and a wrong key, and names the agency it admits", () => {
    const tsa = authority("basic");
    for (const header of [
      undefined,
      "Bearer x",
      basic("agency1:wrong key"),
      basic("agency2:secret key"),
      basic("agency1"),
    ]) {
      expect(() => tsa.authenticate(header), String(header)).toThrow(
        expect.objectContaining({ code: "UNAUTHENTICATED" }),
      );
    }
    expect(tsa.authenticate(basic("agency1:secret key")).metadata.clientId).toBe("agency1");
  });

  it("on the lean path, refuses queries without an agency's credentials as node:http does, and answers the rest", async () => {
    const route = tsaLeanRoute(authority("basic"))!;
    const malformed = Uint8Array.of(0x30, 0x00);
    for (const header of [undefined, basic("agency1:wrong key"), basic("agency2:secret key")]) {
      expect(() => route.answer(malformed, header), String(header)).toThrow(
        expect.objectContaining({ code: "UNAUTHENTICATED", status: 401 }),
      );
    }
    // Admitted: the malformed query gets its RFC 3161 rejection (badDataFormat), not a 401.
    const reply = await route.answer(malformed, basic("agency1:secret key"));
    expect(readTimeStampResponse(reply)).toMatchObject({ status: 2, failInfo: [5] });
    expect(route.contentTypes?.request).toBe("application/timestamp-query");
    expect(() => tsaLeanRoute(authority("certificate"))!.answer(malformed)).toThrow(
      expect.objectContaining({ status: 401 }),
    );
  });

  it("with open access, admits anyone as the TSA's own agency", () => {
    expect(authority("open").authenticate(undefined).metadata.clientId).toBe("tsa");
  });

  it("refuses a policy that is not an object identifier", () => {
    expect(
      () =>
        new TimeStampAuthority({ ...defaultTsaOptions, access: "open", policy: "tempel" }, {
          memberIndex: 0,
        } as never),
    ).toThrow(expect.objectContaining({ code: "TSA_POLICY" }));
  });
});

describe("TSA access by client certificate over TLS", () => {
  let ca: TestCa;
  let server: ApiServer;
  const files = () => ({
    cert: join(dir, "tls-cert.pem"),
    key: join(dir, "tls-key.pem"),
    ca: join(dir, "clients.pem"),
  });

  beforeAll(async () => {
    ca = testCa();
    const serverCertificate = testCertificate("127.0.0.1", ca);
    writeFileSync(files().cert, serverCertificate.pem);
    writeFileSync(files().key, serverCertificate.keyPem, { mode: 0o600 });
    writeFileSync(files().ca, ca.pem);
    server = await startTls(files().key);
  });

  afterAll(() => server?.close());

  /** The TLS port of an authority with certificate access, with the server key in `keyFile`. */
  function startTls(keyFile: string, maxConnectionsPerAddress = 64): Promise<ApiServer> {
    return startTsaTlsServer(
      {
        host: "127.0.0.1",
        port: 0,
        certFile: files().cert,
        keyFile,
        clientCaFile: files().ca,
        maxPduBytes: 65_539,
        retryAfterSeconds: 1,
        maxConnections: 1_024,
        maxConnectionsPerAddress,
      },
      {
        tsa: authority("certificate"),
        metrics: createMetrics({ processMetrics: false }).api,
        logger: silentLogger,
      },
    );
  }

  /** A malformed query over TLS with the client certificate given (or none): status, type, JSON error code. */
  async function query(client?: TestCertificate): Promise<{ status: number; code?: string; type?: string }> {
    const { status, type, body } = await postTsaOverTls(
      server.port,
      ca.pem,
      Buffer.from("30030201ff", "hex"),
      client,
    );
    const code = type === "application/json" ? JSON.parse(body.toString()).error.code : undefined;
    return { status, ...(code !== undefined && { code }), ...(type !== undefined && { type }) };
  }

  it("takes a query from a certificate the agencies' CA issued to an agency's login id", async () => {
    // The query is malformed: a TimeStampResp (a rejection) rather than a 401/403 shows it got through.
    expect(await query(testCertificate("agency1", ca))).toEqual({
      status: 200,
      type: "application/timestamp-reply",
    });
  });

  it("refuses a client without a certificate (401), and self-signed, other-CA, expired and unknown-agency certificates (403)", async () => {
    expect(await query()).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
    const otherCa = testCa();
    for (const client of [
      testCertificate("agency1"),
      testCertificate("agency1", otherCa),
      testCertificate("agency1", ca, NOW - 3 * 86_400),
      testCertificate("agency2", ca),
    ]) {
      expect(await query(client)).toMatchObject({ status: 403, code: "CERTIFICATE_REFUSED" });
    }
  });

  it("caps the connections one client address holds on the TLS port, as on the HTTP port", async () => {
    const capped = await startTls(files().key, 1);
    const held = await openTcp(capped.port);
    try {
      const refused = await openTcp(capped.port);
      expect(await closedWithin(refused, 5_000)).toBe(true);
      expect(await closedWithin(held, 200)).toBe(false);
    } finally {
      held.destroy();
      await capped.close();
    }
  });

  it("names the certificate's agency, and with certificate access refuses the HTTP port's queries", () => {
    const tsa = authority("certificate");
    const peer = { present: true, authorized: true, commonName: "agency1" };
    expect(tsa.authenticateCertificate(peer).metadata.clientId).toBe("agency1");
    expect(() => tsa.authenticate(basic("agency1:secret key"))).toThrow(
      expect.objectContaining({ code: "UNAUTHENTICATED" }),
    );
  });

  it("will not start with a TLS key others may read", async () => {
    const exposed = join(dir, "exposed-key.pem");
    writeFileSync(exposed, testCertificate("x").keyPem, { mode: 0o644 });
    chmodSync(exposed, 0o644);
    expect(() => startTls(exposed)).toThrow(expect.objectContaining({ code: "TSA_KEY_EXPOSED" }));
  });
});

describe("TSA serial numbers", () => {
  it("differ for another second, member or leaf", () => {
    const serials = new Set<bigint>();
    for (const second of [1_800_000_000, 1_800_000_001])
      for (const member of [0, 1, 63])
        for (const leaf of [0, 1, 2 ** 32 - 1]) serials.add(tokenSerial(second, member, leaf));
    expect(serials.size).toBe(18);
    expect(tokenSerial(1_800_000_000, 65_535, 2 ** 32 - 1) < 1n << 159n).toBe(true);
  });
});

describe("TSA keys and certificates", () => {
  it("refuses a TSA key others may read", () => {
    const node = nodeDir("exposed");
    chmodSync(tsaFiles(node).key, 0o644);
    expect(() => loadTsaSigner(tsaFiles(node), NOW)).toThrow(
      expect.objectContaining({ code: "TSA_KEY_EXPOSED" }),
    );
  });

  it("refuses a certificate without the critical timeStamping extended key usage, and one not valid now", () => {
    const node = nodeDir("unfit");
    // The CA's own certificate and key: a sound certificate, but not a TSA's.
    copyFileSync(caFiles(join(dir, "ca")).certificate, tsaFiles(node).certificate);
    copyFileSync(caFiles(join(dir, "ca")).key, tsaFiles(node).key);
    expect(() => loadTsaSigner(tsaFiles(node), NOW)).toThrow(
      expect.objectContaining({ code: "TSA_CERTIFICATE_UNFIT" }),
    );
    expect(() => loadTsaSigner(tsaFiles(join(dir, "node")), NOW + 6 * 365 * 86_400)).toThrow(
      expect.objectContaining({ code: "TSA_CERTIFICATE_EXPIRED" }),
    );
  });

  it.skipIf(!OPENSSL)(
    "makes a CSR that an operator's own CA (openssl) turns into a certificate the node takes",
    () => {
      const node = join(dir, "operator");
      mkdirSync(node);
      const csr = join(dir, "tsa.csr");
      writeFileSync(csr, nodeCertificationRequest(node, "rsa-2048", "Operator TSA"));
      expect(spawnSync("openssl", ["req", "-in", csr, "-verify", "-noout"]).status).toBe(0);
      const ca = join(dir, "operator-ca");
      const run = (...args: string[]) => {
        const result = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
        expect(result.status, result.stderr).toBe(0);
      };
      run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        `${ca}.key`,
        "-out",
        `${ca}.pem`,
        "-subj",
        "/CN=Operator CA",
        "-days",
        "30",
      );
      writeFileSync(
        join(dir, "tsa.ext"),
        "extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n",
      );
      run(
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        `${ca}.pem`,
        "-CAkey",
        `${ca}.key`,
        "-CAcreateserial",
        "-days",
        "30",
        "-extfile",
        "tsa.ext",
        "-out",
        tsaFiles(node).certificate,
      );
      copyFileSync(`${ca}.pem`, tsaFiles(node).chain);
      // openssl's notBefore is the second it signed in.
      expect(loadTsaSigner(tsaFiles(node), Math.floor(Date.now() / 1000) + 1).keyType).toBe("rsa-2048");
    },
  );
});

function openTcp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Whether the server closes `socket` within `ms` (a refused connection is closed unanswered). */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.on("error", () => undefined);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

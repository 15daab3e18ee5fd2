import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  decodeSignature,
  FailInfo,
  internalPolicy,
  readTimeStampResponse,
  readTimeStampToken,
  TEMPEL_TSA_POLICY,
  tempelKsiSignatureOf,
  verifySignature,
} from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeConfig } from "../../src/config/config.ts";
import { silentLogger } from "../../src/logger/logger.ts";
import { type RunningNode, startNode } from "../../src/node.ts";
import { issueNodeTsa } from "../../src/tsa/index.ts";
import { freePort } from "./network-fixtures.ts";
import { agencyOf, initTestNode } from "./node-fixtures.ts";
import { postTsaOverTls, type TestCa, testCa, testCertificate } from "./tls-fixtures.ts";

/**
 * The node's RFC 3161 front driven by clients not written here: Debian's `openssl ts` and
 * python3-rfc3161ng (Debian's python3: the package installs into its dist-packages).
 */
const OPENSSL = spawnSync("openssl", ["version"]).status === 0;
const PYTHON = "/usr/bin/python3";
const RFC3161NG = spawnSync(PYTHON, ["-c", "import rfc3161ng"]).status === 0;

let dir: string;
let work: string;
let config: NodeConfig;
let node: RunningNode;
let caFile: string;
/** The CA of agencies' client certificates for the node's TSA TLS port, which also issued its server certificate. */
let agencyCa: TestCa;

const url = () => `http://127.0.0.1:${node.port}/tsa`;

function openssl(...args: string[]): { status: number | null; out: string } {
  const result = spawnSync("openssl", args, { cwd: work, encoding: "utf8" });
  return { status: result.status, out: result.stdout + result.stderr };
}

async function post(body: Uint8Array, contentType = "application/timestamp-query"): Promise<Response> {
  return fetch(url(), {
    method: "POST",
    body: new Uint8Array(body),
    headers: { "content-type": contentType },
  });
}

/** Query file → reply file in `work`, by HTTP as any client posts it; the reply's bytes. */
async function stamp(query: string, reply: string): Promise<Uint8Array> {
  const response = await post(readFileSync(join(work, query)));
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/timestamp-reply");
  const bytes = new Uint8Array(await response.arrayBuffer());
  writeFileSync(join(work, reply), bytes);
  return bytes;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tempel-tsa-"));
  work = join(dir, "client");
  ({ config } = await initTestNode(join(dir, "node")));
  spawnSync("mkdir", [work]);
  writeFileSync(join(work, "file.txt"), "a document to time-stamp\n");
  writeFileSync(join(work, "changed.txt"), "a document to time-stamp!\n");
  caFile = join(dir, "node", "tsa-ca", "tsa-ca-cert.pem");
  agencyCa = testCa();
  const server = testCertificate("127.0.0.1", agencyCa);
  writeFileSync(join(dir, "tls-cert.pem"), server.pem);
  writeFileSync(join(dir, "tls-key.pem"), server.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, "clients.pem"), agencyCa.pem);
  config = {
    ...config,
    agencies: [...config.agencies, { loginId: "health-board", key: "a key" }],
    tsa: {
      ...config.tsa,
      tlsPort: await freePort(),
      tlsCertFile: join(dir, "tls-cert.pem"),
      tlsKeyFile: join(dir, "tls-key.pem"),
      clientCaFile: join(dir, "clients.pem"),
    },
  };
  node = await startNode(config, silentLogger);
});

afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!OPENSSL)("RFC 3161 with openssl ts (EC P-256 key)", () => {
  it("grants a token with certReq and nonce that openssl verifies against the TSA CA, and refuses a changed file", async () => {
    expect(openssl("ts", "-query", "-data", "file.txt", "-cert", "-sha256", "-out", "q.tsq").status).toBe(0);
    const reply = await stamp("q.tsq", "r.tsr");
    const text = openssl("ts", "-reply", "-in", "r.tsr", "-text").out;
    expect(text).toContain("Status: Granted.");
    expect(text).toContain(`Policy OID: ${TEMPEL_TSA_POLICY}`);
    expect(text).toContain("Accuracy: 0x01 seconds");
    expect(text).toContain("Ordering: no");
    const query = openssl("ts", "-query", "-in", "q.tsq", "-text").out;
    expect(text).toContain(/Nonce: (0x[0-9A-F]+)/.exec(query)![1]);
    expect(openssl("ts", "-verify", "-queryfile", "q.tsq", "-in", "r.tsr", "-CAfile", caFile).out).toContain(
      "Verification: OK",
    );
    expect(openssl("ts", "-verify", "-data", "file.txt", "-in", "r.tsr", "-CAfile", caFile).out).toContain(
      "Verification: OK",
    );
    const changed = openssl("ts", "-verify", "-data", "changed.txt", "-in", "r.tsr", "-CAfile", caFile);
    expect(changed.out).toContain("message imprint mismatch");
    expect(changed.status).not.toBe(0);

    // The keyless anchor: a KSI signature of the same imprint, aggregated at genTime, for the TSA agency.
    const token = readTimeStampToken(readTimeStampResponse(reply).token!);
    expect(token.certificates.length).toBe(2);
    const ksi = decodeSignature(tempelKsiSignatureOf(token)!);
    expect(ksi.aggregationChains[0]!.aggregationTime).toBe(token.tstInfo.genTime);
    expect(agencyOf(ksi)).toBe("tsa");
    const documentHash = Uint8Array.of(0x01, ...token.tstInfo.hashedMessage);
    expect(await verifySignature(ksi, { documentHash }, internalPolicy)).toMatchObject({ result: "OK" });
    const other = Uint8Array.of(0x01, ...new Uint8Array(32));
    expect(await verifySignature(ksi, { documentHash: other }, internalPolicy)).toMatchObject({
      result: "FAIL",
    });
  });

  it("over TLS, grants a token to an agency's client certificate and names that agency in the KSI anchor", async () => {
    expect(openssl("ts", "-query", "-data", "file.txt", "-sha256", "-out", "qtls.tsq").status).toBe(0);
    const query = readFileSync(join(work, "qtls.tsq"));
    const client = testCertificate("health-board", agencyCa);
    const answer = await postTsaOverTls(config.tsa.tlsPort, agencyCa.pem, query, client);
    expect(answer).toMatchObject({ status: 200, type: "application/timestamp-reply" });
    writeFileSync(join(work, "rtls.tsr"), answer.body);
    expect(
      openssl(
        "ts",
        "-verify",
        "-queryfile",
        "qtls.tsq",
        "-in",
        "rtls.tsr",
        "-CAfile",
        caFile,
        "-untrusted",
        join(dir, "node", "tsa-cert.pem"),
      ).out,
    ).toContain("Verification: OK");
    const token = readTimeStampToken(readTimeStampResponse(answer.body).token!);
    expect(agencyOf(decodeSignature(tempelKsiSignatureOf(token)!))).toBe("health-board");
    const stranger = await postTsaOverTls(
      config.tsa.tlsPort,
      agencyCa.pem,
      query,
      testCertificate("health-board"),
    );
    expect(stranger.status).toBe(403);
  });

  it("leaves certificates out without certReq (openssl then needs the TSA certificate) and takes SHA-512 without a nonce", async () => {
    openssl("ts", "-query", "-data", "file.txt", "-no_nonce", "-sha512", "-out", "q512.tsq");
    const reply = await stamp("q512.tsq", "r512.tsr");
    const token = readTimeStampToken(readTimeStampResponse(reply).token!);
    expect(token.certificates).toEqual([]);
    expect(token.tstInfo.nonce).toBeUndefined();
    expect(
      openssl("ts", "-verify", "-queryfile", "q512.tsq", "-in", "r512.tsr", "-CAfile", caFile).out,
    ).toContain("signer certificate not found");
    const tsaCertificate = join(dir, "node", "tsa-cert.pem");
    const verified = openssl(
      "ts",
      "-verify",
      "-queryfile",
      "q512.tsq",
      "-in",
      "r512.tsr",
      "-CAfile",
      caFile,
      "-untrusted",
      tsaCertificate,
    );
    expect(verified.out).toContain("Verification: OK");
  });

  it("gives every token of a round its own serial number", async () => {
    openssl("ts", "-query", "-data", "file.txt", "-out", "same.tsq");
    const query = readFileSync(join(work, "same.tsq"));
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => post(query).then((r) => r.arrayBuffer())),
    );
    const tokens = replies.map((bytes) =>
      readTimeStampToken(readTimeStampResponse(new Uint8Array(bytes)).token!),
    );
    expect(new Set(tokens.map((t) => t.tstInfo.serialNumber)).size).toBe(20);
  });

  it("refuses malformed and unsupported queries with a rejection and the right failure info", async () => {
    openssl("ts", "-query", "-data", "file.txt", "-sha1", "-out", "sha1.tsq");
    openssl("ts", "-query", "-data", "file.txt", "-tspolicy", "1.3.6.1.4.1.32473.1", "-out", "policy.tsq");
    const good = readFileSync(join(work, "q512.tsq"));
    const version2 = Uint8Array.from(good);
    version2[4] = 2; // 30 len 02 01 [01]
    // The same query with an extension [0] appended: 30 LEN … A0 … (one-byte lengths throughout).
    const extension = Buffer.from("a00d300b06032a03040404deadbeef", "hex");
    const extended = Uint8Array.of(0x30, good[1]! + extension.length, ...good.subarray(2), ...extension);
    const cases: [string, Uint8Array, number][] = [
      ["not DER", Buffer.from("hello, TSA"), FailInfo.badDataFormat],
      ["version 2", version2, FailInfo.badRequest],
      ["SHA-1", readFileSync(join(work, "sha1.tsq")), FailInfo.badAlg],
      ["other policy", readFileSync(join(work, "policy.tsq")), FailInfo.unacceptedPolicy],
      ["extension", extended, FailInfo.unacceptedExtension],
    ];
    for (const [name, body, failInfo] of cases) {
      const response = await post(body);
      expect(response.status, name).toBe(200);
      const reply = readTimeStampResponse(new Uint8Array(await response.arrayBuffer()));
      expect({ name, status: reply.status, failInfo: reply.failInfo, token: reply.token }).toEqual({
        name,
        status: 2,
        failInfo: [failInfo],
        token: undefined,
      });
    }
    writeFileSync(
      join(work, "policy.tsr"),
      new Uint8Array(await (await post(readFileSync(join(work, "policy.tsq")))).arrayBuffer()),
    );
    expect(openssl("ts", "-reply", "-in", "policy.tsr", "-text").out).toContain(
      "the requested TSA policy is not supported by the TSA",
    );
    expect((await post(good, "application/octet-stream")).status).toBe(415);
    expect((await post(new Uint8Array(config.api.maxPduBytes + 1))).status).toBe(413);
    expect((await fetch(url())).status).toBe(405);
  });
});

describe.skipIf(!OPENSSL)("RFC 3161 after rotating to an RSA-2048 key", () => {
  beforeAll(async () => {
    await node.stop();
    issueNodeTsa(join(dir, "node", "tsa-ca"), join(dir, "node"), {
      newKey: "rsa-2048",
      keyType: "rsa-2048",
      commonName: "Tempel TSA rotated",
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    node = await startNode(config, silentLogger);
  });

  it("signs with the new key, and the token from the old key still verifies against the CA", async () => {
    openssl("ts", "-query", "-data", "file.txt", "-cert", "-out", "rsa.tsq");
    await stamp("rsa.tsq", "rsa.tsr");
    expect(
      openssl("ts", "-verify", "-queryfile", "rsa.tsq", "-in", "rsa.tsr", "-CAfile", caFile).out,
    ).toContain("Verification: OK");
    expect(openssl("ts", "-verify", "-data", "file.txt", "-in", "r.tsr", "-CAfile", caFile).out).toContain(
      "Verification: OK",
    );
  });

  it.skipIf(!RFC3161NG)("python3-rfc3161ng gets and checks tokens with and without a nonce", async () => {
    // Without python3-rfc3161ng (apt-get install python3-rfc3161ng) this test is skipped; .ci/run installs it.
    const script = `
import sys, rfc3161ng
cert = open(sys.argv[2], "rb").read()
rt = rfc3161ng.RemoteTimestamper(sys.argv[1], certificate=cert, hashname="sha256", include_tsa_certificate=True)
tst = rt.timestamp(data=b"some data", nonce=123456789)
assert rfc3161ng.check_timestamp(tst, certificate=cert, data=b"some data", hashname="sha256", nonce=123456789)
rt2 = rfc3161ng.RemoteTimestamper(sys.argv[1], certificate=cert, hashname="sha512")
tst2 = rt2.timestamp(data=b"other data")
try:
    rfc3161ng.check_timestamp(tst2, certificate=cert, data=b"changed data", hashname="sha512")
    print("changed data passed")
except Exception:
    print("ok", rfc3161ng.get_timestamp(tst).isoformat())
`;
    // Not spawnSync: the node answering the client runs in this process.
    const result = await promisify(execFile)(
      PYTHON,
      ["-c", script, url(), join(dir, "node", "tsa-cert.pem")],
      {
        encoding: "utf8",
      },
    );
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^ok \d{4}-\d\d-\d\dT/);
  });
});

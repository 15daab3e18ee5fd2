import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  bytesEqual,
  checkQuorumCertificate,
  decodePublicationString,
  decodePublicationsFile,
  decodeSignature,
  EMAIL_ADDRESS_OID,
  encodePublicationString,
  type KsiSignature,
  type PublicationRecord,
  type PublicationsFile,
  parseGenesisPublications,
  publicationPolicy,
  publicationsFilePolicy,
  publicationsFileTrust,
  type Rule,
  userPublicationPolicy,
  type VerificationOptions,
  verifyPublicationsFile,
  verifySignature,
} from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Signature, TempelClient } from "../../../client/src/index.ts";
import { certificateIdOf } from "../../src/identity/calendar-signer.ts";
import { TestClient } from "./node-fixtures.ts";
import {
  initPublishingNodeDir,
  PUBLICATIONS_EMAIL,
  type PublishingNode,
  type PublishingNodeDir,
  publishedGenesis,
  startPublishingNode,
} from "./publication-harness.ts";

/**
 * Sign → publication → extend → verify with nothing but the publication code, on a real node with a
 * publication every 5 seconds, through the SDK as an agency uses it.
 */

const TEST_PACK = join(import.meta.dirname, "../../../../testdata/ksi-test-pack/valid-signatures");

let dir: string;
let setup: PublishingNodeDir;
let node: PublishingNode;
let client: TempelClient;
/** The genesis as the cluster would publish it: the node's genesis with the publications authority. */
let genesisJson: Record<string, unknown>;
let signed: Signature;
let extended: Signature;
let publication: PublicationRecord;

async function fetchFile(): Promise<Uint8Array> {
  const response = await fetch(`${node.url}/v1/publications`);
  expect(response.status).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
}

/** The file once it has a publication at or after `time`. */
async function publicationAfter(time: number, timeoutMs = 30_000): Promise<PublicationRecord> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const record = node.service.file?.records.find((r) => r.publishedData.publicationTime >= time);
    if (record !== undefined) return record;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no publication after ${time} within ${timeoutMs} ms`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tempel-publication-e2e-"));
  setup = await initPublishingNodeDir(dir, { intervalSeconds: 5 });
  node = await startPublishingNode(setup.config, setup.publications);
  genesisJson = publishedGenesis(node.genesis, setup.publications);
  const trust = publicationsFileTrust(
    parseGenesisPublications(JSON.parse(JSON.stringify(genesisJson.publications))).authority!,
  );
  client = new TempelClient({
    endpoints: [node.url],
    agency: setup.init.agency,
    trust: {
      genesis: genesisJson,
      publicationsFileUrl: `${node.url}/v1/publications`,
      trustAnchors: trust.trustAnchors,
      constraints: trust.constraints!,
    },
    publicationsTtlMs: 0,
  });
  signed = await client.sign(new TextEncoder().encode("the minutes of 14 March"));
  publication = await publicationAfter(signed.aggregationTime);
  extended = await client.extend(signed, { to: "publication" });
});
afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("extension to a publication", () => {
  it("replaces the calendar chain, drops the authentication record and adds the publication record", () => {
    expect(signed.ksi.calendarAuthRecord).toBeDefined();
    expect(extended.ksi.calendarAuthRecord).toBeUndefined();
    expect(extended.ksi.calendarChain!.publicationTime).toBe(publication.publishedData.publicationTime);
    expect(extended.ksi.publicationRecord!.publishedData.publishedHash).toEqual(
      publication.publishedData.publishedHash,
    );
    expect(extended.ksi.aggregationChains).toEqual(signed.ksi.aggregationChains);
  });

  it("the extended signature verifies with only the publication string: no keys, no network", async () => {
    const code = encodePublicationString(publication.publishedData);
    const bytes = extended.encode();
    const result = await verifySignature(
      decodeSignature(bytes),
      { userPublication: decodePublicationString(code) },
      userPublicationPolicy,
    );
    expect(result.code, result.message).toBeNull();
    expect(result.result).toBe("OK");
  });

  it("the extended signature verifies with the publications file", async () => {
    const file = await verifyPublicationsFile(
      await fetchFile(),
      publicationsFileTrust(setup.publications.authority!),
    );
    const result = await verifySignature(extended.ksi, { publicationsFile: file }, publicationsFilePolicy);
    expect(result.result, result.message).toBe("OK");
  });

  it("the SDK verifies the extended signature against the cluster's publications", async () => {
    const result = await extended.verify(new TextEncoder().encode("the minutes of 14 March"));
    expect(result.result, result.message).toBe("OK");
  });

  it("the KSI extender returns chains to a publication time and to the calendar head", async () => {
    const ksi = new TestClient(Number(new URL(node.url).port), setup.init.agency);
    const time = signed.aggregationTime;
    const toPublication = await ksi.extend(time, publication.publishedData.publicationTime);
    expect(toPublication.publicationTime).toBe(publication.publishedData.publicationTime);
    expect(toPublication).toEqual(extended.ksi.calendarChain);
    const toHead = await ksi.extend(time);
    expect(toHead.publicationTime).toBeGreaterThanOrEqual(publication.publishedData.publicationTime);
  });

  it("the JSON extend endpoint extends to a publication time", async () => {
    const ksi = new TestClient(Number(new URL(node.url).port), setup.init.agency);
    const response = await ksi.postJson("/v1/extend", {
      signature: Buffer.from(signed.encode()).toString("base64"),
      publicationTime: publication.publishedData.publicationTime,
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { signature: string };
    const json = decodeSignature(new Uint8Array(Buffer.from(answer.signature, "base64")));
    expect(json.calendarChain).toEqual(extended.ksi.calendarChain);
  });
});

describe("the publications file", () => {
  it("verifies with openssl cms -verify against the cluster CA", async () => {
    const file = decodePublicationsFile(await fetchFile());
    writeFileSync(join(dir, "signature.der"), file.signature);
    writeFileSync(join(dir, "signed.bin"), file.signedBytes);
    writeFileSync(join(dir, "ca.pem"), setup.caCertificatePem);
    const { stderr } = await promisify(execFile)("openssl", [
      "cms",
      "-verify",
      "-binary",
      "-inform",
      "DER",
      "-in",
      join(dir, "signature.der"),
      "-content",
      join(dir, "signed.bin"),
      "-CAfile",
      join(dir, "ca.pem"),
      "-out",
      join(dir, "verified.bin"),
    ]);
    expect(stderr).toContain("Verification successful");
    expect(readFileSync(join(dir, "verified.bin"))).toEqual(Buffer.from(file.signedBytes));
  });

  it("openssl refuses the file when one byte of it changed", async () => {
    const file = decodePublicationsFile(await fetchFile());
    const altered = file.signedBytes.slice();
    altered[altered.length - 1]! ^= 1;
    writeFileSync(join(dir, "altered.bin"), altered);
    await expect(
      promisify(execFile)("openssl", [
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        join(dir, "signature.der"),
        "-content",
        join(dir, "altered.bin"),
        "-CAfile",
        join(dir, "ca.pem"),
        "-out",
        "/dev/null",
      ]),
    ).rejects.toThrow(/Verification failure|digest failure/);
  });

  it("read back by the client, it checks against the genesis: signer, members' certificates, quorum certificates", async () => {
    const file: PublicationsFile = await client.publications();
    const publications = parseGenesisPublications(genesisJson.publications);
    expect(publications.authority!.email).toBe(PUBLICATIONS_EMAIL);
    const members = node.genesis.members;
    expect(file.certificates.map((c) => c.id)).toEqual(
      members.map((m) => certificateIdOf(new Uint8Array(new X509Certificate(m.certificatePem).raw))),
    );
    const trust = {
      members: members.map((m) => ({ id: m.id, publicKey: m.publicKey })),
      quorum: node.genesis.quorum,
    };
    for (const record of file.publications) {
      expect(checkQuorumCertificate(record.quorumCertificate!, trust).status).toBe("certified");
      expect(
        bytesEqual(record.quorumCertificate!.publishedData.publishedHash, record.publishedData.publishedHash),
      ).toBe(true);
    }
  });

  it("is refused by a client that trusts another e-mail address", async () => {
    const bytes = await fetchFile();
    const trust = publicationsFileTrust(setup.publications.authority!);
    await expect(
      verifyPublicationsFile(bytes, {
        ...trust,
        constraints: { [EMAIL_ADDRESS_OID]: "publications@guardtime.com" },
      }),
    ).rejects.toThrow(/lacks subject/);
  });
});

describe("KSI publication policies: Tempel's extended signatures behave as KSI's own", () => {
  const ksiExtended = () =>
    decodeSignature(new Uint8Array(readFileSync(join(TEST_PACK, "signature-extended.ksig"))));
  /** The test pack's publication string for signature-extended.ksig. */
  const ksiCode = "AAAAAA-DF6NWU-2ANERL-ZQKP5E-WEEQEF-JT76EI-HLTKXG-FQKRZC-ZJJV4E-LAJNHZ-2WY22Z-C3V2JA";

  /** A publications file holding `record`, as a verifier has it after checking its CMS signature. */
  const fileWith = (record: PublicationRecord): PublicationsFile => ({
    header: { version: 1, creationTime: record.publishedData.publicationTime },
    certificates: [],
    publications: [record],
    signature: new Uint8Array(0),
    signedBytes: new Uint8Array(0),
  });
  const withOtherHash = (record: PublicationRecord): PublicationRecord => {
    const hash = record.publishedData.publishedHash.slice();
    hash[5]! ^= 0xff;
    return {
      ...record,
      publishedData: { publicationTime: record.publishedData.publicationTime, publishedHash: hash },
    };
  };

  type Case = [
    name: string,
    policy: Rule,
    options: (signature: KsiSignature) => VerificationOptions,
    expected: { result: string; code: string | null },
  ];
  const OK = { result: "OK", code: null };
  const NA = { result: "NA", code: "GEN-02" };
  const cases: Case[] = [
    [
      "its own publication string",
      userPublicationPolicy,
      (s) => ({ userPublication: s.publicationRecord!.publishedData }),
      OK,
    ],
    [
      "a publication string for its second with another hash",
      userPublicationPolicy,
      (s) => ({ userPublication: withOtherHash(s.publicationRecord!).publishedData }),
      { result: "FAIL", code: "PUB-04" },
    ],
    [
      "a publications file holding its publication",
      publicationsFilePolicy,
      (s) => ({ publicationsFile: fileWith(s.publicationRecord!) }),
      OK,
    ],
    [
      "a publications file with another hash for its second",
      publicationsFilePolicy,
      (s) => ({ publicationsFile: fileWith(withOtherHash(s.publicationRecord!)) }),
      { result: "FAIL", code: "PUB-05" },
    ],
    [
      "a later publication while extending is not permitted",
      userPublicationPolicy,
      (s) => ({
        userPublication: {
          publicationTime: s.publicationRecord!.publishedData.publicationTime + 1,
          publishedHash: s.publicationRecord!.publishedData.publishedHash,
        },
      }),
      NA,
    ],
    ["no publication at all", publicationPolicy, () => ({}), NA],
  ];

  it("the test pack's own row passes: signature-extended.ksig with its publication string", async () => {
    const result = await verifySignature(
      ksiExtended(),
      { userPublication: decodePublicationString(ksiCode) },
      userPublicationPolicy,
    );
    expect(result.result).toBe("OK");
  });

  it.each(cases)("with %s, both give %j", async (_, policy, options, expected) => {
    const ours = await verifySignature(extended.ksi, options(extended.ksi), policy);
    const theirs = await verifySignature(ksiExtended(), options(ksiExtended()), policy);
    expect({ result: theirs.result, code: theirs.code }, theirs.message).toEqual(expected);
    expect({ result: ours.result, code: ours.code }, ours.message).toEqual(expected);
  });
});

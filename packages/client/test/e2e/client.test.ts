import { createReadStream } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  bytesEqual,
  encodePublicationString,
  HashAlgorithm,
  hashImprint,
  type PublicationData,
} from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AbortedError,
  type HttpTransport,
  NetworkError,
  type Signature,
  type SignInput,
  TempelClient,
} from "../../src/index.ts";
import { nodeHttpTransport } from "../../src/node/index.ts";
import {
  type PublicationsAuthority,
  publicationsAuthority,
  publicationsFile,
  SIGNER_CONSTRAINTS,
  servePublications,
} from "./publications-fixture.ts";
import { deadEndpoint, garbageNode, type TestServer } from "./servers.ts";
import { type RunningTempelNode, startTempelNode, waitForCertifiedHead } from "./tempel-node.ts";

let node: RunningTempelNode;
let garbage: TestServer;
let dead: string;
let genesis: string;
let authority: PublicationsAuthority;
let published: Uint8Array = new Uint8Array(0);
let publications: TestServer;

beforeAll(async () => {
  [node, garbage, dead, authority] = await Promise.all([
    startTempelNode(),
    garbageNode(),
    deadEndpoint(),
    publicationsAuthority(),
  ]);
  publications = await servePublications(() => published);
  genesis = await readFile(node.genesisPath, "utf8");
  await waitForCertifiedHead(node.url);
});

afterAll(async () => {
  await Promise.all([node?.stop(), garbage?.close(), publications?.close()]);
});

/** A client of the test node, over fetch unless another transport is given. */
function client(endpoints = [node.url], transport?: HttpTransport): TempelClient {
  return new TempelClient({
    endpoints,
    ...(transport !== undefined && { transport }),
    agency: node.agency,
    trust: {
      genesis,
      publicationsFileUrl: `${publications.url}/publications.bin`,
      trustAnchors: [authority.ca.der],
      constraints: SIGNER_CONSTRAINTS,
    },
    retries: 2 * endpoints.length,
    backoffMs: 10,
    publicationsTtlMs: 0,
  });
}

/** Resolves once the cluster has certified a root after `time`. */
async function certifiedAfter(sdk: TempelClient, time: number): Promise<{ time: number }> {
  for (;;) {
    const certified = (await sdk.head()).certified;
    if (certified !== undefined && certified.time > time) return certified;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Sign, verify, extend to the newest certified root, verify again: the life of a signature. */
async function lifecycle(
  sdk: TempelClient,
  input: () => SignInput,
  document: () => SignInput,
): Promise<Signature> {
  const signature = await sdk.sign(input());
  expect(signature.agency).toBe(node.agency.loginId);
  expect(await sdk.verify(signature, document(), { policy: "internal" })).toMatchObject({ result: "OK" });
  expect(await sdk.verify(signature, document(), { policy: "key" })).toMatchObject({ result: "OK" });
  expect(await sdk.verify(signature, document(), { policy: "calendar" })).toMatchObject({ result: "OK" });
  await certifiedAfter(sdk, signature.ksi.calendarChain!.publicationTime);
  const extended = await sdk.extend(signature);
  expect(extended.ksi.calendarChain!.publicationTime).toBeGreaterThan(
    signature.ksi.calendarChain!.publicationTime,
  );
  expect(extended.ksi.calendarAuthRecord).toBeUndefined();
  for (const policy of ["internal", "key", "calendar", "default"] as const) {
    expect(await sdk.verify(extended, document(), { policy }), policy).toMatchObject({ result: "OK" });
  }
  return extended;
}

describe("the SDK against a real tempel-node", () => {
  it("signs data, verifies it, extends it to the newest certified root and verifies it again", async () => {
    const data = new TextEncoder().encode("register entry 1: land parcel 42 changes hands");
    await lifecycle(
      client(),
      () => data,
      () => data,
    );
  });

  it("signs a file as a stream, verifies it, extends it and verifies it again", async () => {
    const path = join(node.dataDir, "document.txt");
    await writeFile(path, "a document on disk\n".repeat(10_000));
    await lifecycle(
      client(),
      () => createReadStream(path),
      () => createReadStream(path),
    );
  });

  it("signs an imprint made elsewhere, verifies it, extends it and verifies it again", async () => {
    const imprint = hashImprint(HashAlgorithm.SHA2_256, new TextEncoder().encode("hashed by the agency"));
    const extended = await lifecycle(
      client(),
      () => ({ imprint }),
      () => ({ imprint }),
    );
    expect(bytesEqual(extended.inputHash, imprint)).toBe(true);
  });

  it.each([
    ["fetch", undefined],
    ["node:http", nodeHttpTransport()],
  ])(
    "signs many hashes in batches over %s; every signature verifies for its own input only",
    async (_name, transport) => {
      const inputs = Array.from({ length: 600 }, (_, i) => `entry ${i}`);
      const signatures = await client([node.url], transport).signMany(inputs, {
        batchSize: 128,
        concurrency: 3,
      });
      expect(signatures).toHaveLength(600);
      for (const i of [0, 127, 128, 599]) {
        expect(await signatures[i]!.verify(inputs[i], { policy: "key" }), `input ${i}`).toMatchObject({
          result: "OK",
        });
      }
      expect(await signatures[5]!.verify(inputs[6], { policy: "internal" })).toMatchObject({
        code: "GEN-01",
      });
    },
  );

  it("signs many imprints at the caller's level against a node: each verifies from that level and not above", async () => {
    const imprints = Array.from({ length: 9 }, (_, i) =>
      hashImprint(HashAlgorithm.SHA2_256, new TextEncoder().encode(`leaf ${i}`)),
    );
    const sdk = client();
    const signatures = await sdk.signMany(
      imprints.map((imprint) => ({ imprint })),
      { level: 3, batchSize: 4 },
    );
    const single = await sdk.sign({ imprint: imprints[0]! }, { level: 3 });
    for (const [i, signature] of [...signatures.entries(), [0, single] as const]) {
      const imprint = { imprint: imprints[i]! };
      expect(await signature.verify(imprint, { level: 3, policy: "key" }), `input ${i}`).toMatchObject({
        result: "OK",
      });
      expect(await signature.verify(imprint, { level: 4, policy: "internal" })).toMatchObject({
        code: "GEN-03",
      });
    }
  });

  it("extends to a publication of the publications file and then verifies with the publication alone", async () => {
    const sdk = client();
    const signature = await sdk.sign("to be published");
    const certified = await certifiedAfter(sdk, signature.aggregationTime);
    const head = await sdk.head();
    const publication: PublicationData = {
      publicationTime: certified.time,
      publishedHash: head.certified!.root,
    };
    published = await publicationsFile(authority, [publication]);
    const file = await sdk.publications();
    expect(file.publications.map((p) => p.publishedData.publicationTime)).toEqual([certified.time]);
    const extended = await sdk.extend(signature, { to: "publication" });
    expect(extended.ksi.publicationRecord?.publishedData.publicationTime).toBe(certified.time);
    expect(await sdk.verify(extended, "to be published", { policy: "publication" })).toMatchObject({
      result: "OK",
    });
    expect(
      await extended.verify("to be published", { publication: encodePublicationString(publication) }),
    ).toMatchObject({ result: "OK" });
  });

  it("takes the publications file from the nodes when its own URL cannot be reached", async () => {
    published = await publicationsFile(authority, []);
    // The publications server answers /v1/publications as a node does: here it stands for the cluster.
    const sdk = new TempelClient({
      endpoints: [publications.url],
      trust: {
        genesis,
        publicationsFileUrl: `${dead}/publications.bin`,
        trustAnchors: [authority.ca.der],
        constraints: SIGNER_CONSTRAINTS,
      },
      backoffMs: 10,
      publicationsTtlMs: 0,
    });
    expect((await sdk.publications()).publications).toEqual([]);
  });

  it("refuses a publications file signed by a certificate outside the trust anchors", async () => {
    const stranger = await publicationsAuthority();
    published = await publicationsFile(stranger, []);
    await expect(client().publications()).rejects.toMatchObject({
      name: "VerificationError",
      code: "PUBLICATIONS_FILE_UNTRUSTED",
    });
  });
});

describe("failover and cancellation", () => {
  it.each([
    ["fetch", undefined],
    ["node:http", nodeHttpTransport()],
  ])(
    "signs, extends and verifies over %s while one of three endpoints is down and one answers garbage",
    async (_name, transport) => {
      const sdk = client([dead, garbage.url, node.url], transport);
      for (let i = 0; i < 3; i++) {
        const signature = await sdk.sign(`failover ${i}`);
        expect(await sdk.verify(signature, `failover ${i}`, { policy: "calendar" })).toMatchObject({
          result: "OK",
        });
      }
      const head = await sdk.head();
      expect(head.certified).toBeDefined();
      const reports = await sdk.status();
      expect(reports.map((r) => r.status !== undefined)).toEqual([false, false, true]);
    },
  );

  it("hedges a slow answer with a second endpoint", async () => {
    const sdk = new TempelClient({ endpoints: [node.url, node.url], agency: node.agency, hedgeAfterMs: 50 });
    const signature = await sdk.sign("hedged");
    expect(await sdk.verify(signature, "hedged", { policy: "internal" })).toMatchObject({ result: "OK" });
  });

  it("fails with NetworkError, naming the endpoints, when no endpoint answers", async () => {
    const error = await client([dead])
      .sign("nobody listens")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toContain(dead);
  });

  it("cancels a signing request that waits for its round", async () => {
    const controller = new AbortController();
    const signing = client().sign("cancelled", { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(signing).rejects.toBeInstanceOf(AbortedError);
  });

  it("cancels signMany: batches in flight are abandoned and the call rejects", async () => {
    const controller = new AbortController();
    const signing = client().signMany(
      Array.from({ length: 2000 }, (_, i) => `bulk ${i}`),
      { batchSize: 16, concurrency: 2, signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 100);
    await expect(signing).rejects.toBeInstanceOf(AbortedError);
  });
});

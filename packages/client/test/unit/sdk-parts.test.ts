import {
  certificateToPem,
  EMAIL_ADDRESS_OID,
  ed25519PeerId,
  encodeQuorumCertificate,
  encodeTlv,
  HashAlgorithm,
  hashImprint,
  type Imprint,
  type KsiSignature,
  toHex,
} from "@tempel/proto";
import { describe, expect, it } from "vitest";
import { readCalendarHead } from "../../src/cluster/calendar-head.ts";
import { readNodeStatus } from "../../src/cluster/node-status.ts";
import { ProtocolError, ServiceError, TempelClient } from "../../src/index.ts";
import { imprintOf } from "../../src/signing/sign-input.ts";
import { signInBatches } from "../../src/signing/sign-many.ts";
import { quorumTrustFromGenesis } from "../../src/trust/genesis.ts";
import { PublicationsSource } from "../../src/trust/publications-source.ts";
import { resolveTrust } from "../../src/trust/trust-options.ts";
import { PUBLICATIONS_EMAIL, publicationsAuthority, publicationsFile } from "../e2e/publications-fixture.ts";
import { FakeCluster } from "./fake-cluster.ts";

/** An Ed25519 public key for tests: 32 bytes of `seed`. */
const key = (seed: number) => new Uint8Array(32).fill(seed);
const sha256 = (text: string) => hashImprint(HashAlgorithm.SHA2_256, new TextEncoder().encode(text));

describe("hashing what is signed", () => {
  it("refuses a stream that yields anything but bytes", async () => {
    const text = (async function* () {
      yield "not bytes" as unknown as Uint8Array;
    })();
    await expect(imprintOf(text, HashAlgorithm.SHA2_256)).rejects.toMatchObject({ code: "INPUT_NOT_BYTES" });
  });

  it("stops reading a stream once the signal is aborted", async () => {
    const controller = new AbortController();
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(stream) {
        pulled++;
        if (pulled === 3) controller.abort();
        stream.enqueue(new Uint8Array(16));
      },
    });
    await expect(imprintOf(endless, HashAlgorithm.SHA2_256, controller.signal)).rejects.toMatchObject({
      name: "AbortedError",
    });
    expect(pulled).toBeLessThan(10);
  });

  it("hashes with the algorithm asked for", async () => {
    const imprint = await imprintOf("text", HashAlgorithm.SHA3_256);
    expect(toHex(imprint)).toBe(toHex(hashImprint(HashAlgorithm.SHA3_256, new TextEncoder().encode("text"))));
  });

  it("refuses hash algorithms that cannot make new signatures", () => {
    const options = { endpoints: ["http://node.test"] };
    expect(() => new TempelClient({ ...options, hashAlgorithm: HashAlgorithm.SHA1 })).toThrow(/SHA-1/);
    expect(() => new TempelClient({ ...options, hashAlgorithm: HashAlgorithm.SM3 })).toThrow(/SM3/);
    expect(() => new TempelClient({ ...options, hashAlgorithm: 0x03 })).toThrow(/hashAlgorithm/);
    expect(() => new TempelClient({ endpoints: ["ftp://node.test"] })).toThrow(/not an http/);
  });
});

describe("signing in batches", () => {
  it("returns signatures in input order whatever order the batches finish in", async () => {
    const inputs = Array.from({ length: 9 }, (_, i) => `item ${i}`);
    let batch = 0;
    const signatures = await signInBatches(
      inputs,
      (input) => imprintOf(input, HashAlgorithm.SHA2_256),
      async (imprints) => {
        // Later batches finish first.
        await new Promise((resolve) => setTimeout(resolve, 30 - 10 * batch++));
        return imprints.map((imprint) => ({ imprint }) as unknown as KsiSignature);
      },
      { batchSize: 4, concurrency: 3 },
    );
    const signed = signatures.map((s) => toHex((s as unknown as { imprint: Imprint }).imprint));
    expect(signed).toEqual(inputs.map((input) => toHex(sha256(input))));
  });
});

describe("trust from a genesis", () => {
  /** A member as a genesis names it: id = its Ed25519 key's peer id, unless `id` says otherwise. */
  const member = (seed: number, id = ed25519PeerId(key(seed)), publicKey = toHex(key(seed))) => ({
    id,
    publicKey,
    multiaddrs: [],
    apiUrl: "x",
  });
  const genesis = (fields: object) => ({
    version: 1,
    members: [member(1), member(2), member(3)],
    quorum: 2,
    ...fields,
  });

  it("reads members and quorum from the genesis, as JSON text or parsed", () => {
    const trust = quorumTrustFromGenesis(JSON.stringify(genesis({})));
    expect(trust.quorum).toBe(2);
    expect(trust.members.map((m) => m.id)).toEqual([1, 2, 3].map((seed) => ed25519PeerId(key(seed))));
    expect(trust.members[0]!.publicKey).toEqual(key(1));
    expect(quorumTrustFromGenesis(genesis({}))).toEqual(trust);
  });

  it("refuses a genesis the node would refuse: other version, bad key, an id not its key's peer id, a member or key twice, a quorum no majority", () => {
    for (const bad of [
      genesis({ version: 2 }),
      genesis({ members: [member(1, undefined, "abcd")] }),
      genesis({ members: [member(1, "m1"), member(2), member(3)] }),
      genesis({ members: [member(1, ed25519PeerId(key(2))), member(2), member(3)] }),
      genesis({ members: [member(1), member(1), member(3)] }),
      genesis({ quorum: 1 }),
      genesis({ quorum: 4 }),
      genesis({ quorum: 0 }),
      genesis({ members: [] }),
      "{",
    ]) {
      expect(() => quorumTrustFromGenesis(bad)).toThrow(expect.objectContaining({ code: "GENESIS_INVALID" }));
    }
  });

  it("refuses members given directly that name one key twice or a quorum no majority", () => {
    const members = [1, 2].map((seed) => ({ id: `member-${seed}`, publicKey: key(seed) }));
    expect(resolveTrust({ members, quorum: 2 }).quorumTrust).toEqual({ members, quorum: 2 });
    expect(() => resolveTrust({ members, quorum: 1 })).toThrow(/majority/);
    const twice = [members[0]!, { id: "member-3", publicKey: key(1) }];
    expect(() => resolveTrust({ members: twice, quorum: 2 })).toThrow(/another member's key/);
  });

  it("takes a publications file only with trust anchors, constraints only with anchors, and a genesis or members, not both", () => {
    expect(() => resolveTrust({ publicationsFileUrl: "http://x/publications.bin" })).toThrow(/trust anchors/);
    expect(() => resolveTrust({ constraints: { "2.5.4.3": "x" } })).toThrow(/trustAnchors/);
    expect(() => resolveTrust({ genesis: genesis({}), quorum: 1 })).toThrow(/either genesis/);
    expect(() => resolveTrust({ quorum: 1 })).toThrow(/go together/);
    expect(resolveTrust({})).toEqual({});
  });
});

describe("reading the nodes' JSON answers", () => {
  it("reads a calendar head and checks that its certificate is for the root it names", async () => {
    const cluster = await FakeCluster.start();
    const time = cluster.calendar.head;
    const certificate = await cluster.certificate(time);
    const root = toHex(certificate.publishedData.publishedHash);
    const encoded = btoa(String.fromCharCode(...encodeTlv(encodeQuorumCertificate(certificate))));
    const head = readCalendarHead(
      { time, root, genesisTime: 1, certified: { time, root, certificate: encoded } },
      "node",
    );
    expect(head.certified?.time).toBe(time);
    const otherRoot = toHex(sha256("another root"));
    expect(() =>
      readCalendarHead(
        { time, root, genesisTime: 1, certified: { time, root: otherRoot, certificate: encoded } },
        "n",
      ),
    ).toThrow(ProtocolError);
    expect(readCalendarHead({ time: null, genesisTime: 5 }, "node")).toEqual({ genesisTime: 5 });
    expect(() => readCalendarHead({ time: -1, root, genesisTime: 1 }, "node")).toThrow(/time/);
  });

  it("reads a node status and refuses one with fields of the wrong kind", () => {
    const status = {
      node: { id: "n1", uptimeSeconds: 3, ready: true },
      cluster: {
        id: "c",
        genesisTime: 1,
        quorum: 1,
        members: [{ id: "n1", apiUrl: "http://a", connected: true }],
      },
      agreement: { role: "leader", term: 2, leaderId: "n1", committed: 9, applied: 9, ready: true },
      calendar: { head: 9, genesisTime: 1 },
      rounds: { pending: 0 },
    };
    expect(readNodeStatus(status).agreement).toMatchObject({ role: "leader", leaderId: "n1" });
    expect(
      readNodeStatus({ ...status, agreement: { ...status.agreement, leaderId: null } }).agreement.leaderId,
    ).toBe(undefined);
    expect(() => readNodeStatus({ ...status, calendar: { head: "9", genesisTime: 1 } })).toThrow(
      /calendar.head/,
    );
    expect(() => readNodeStatus({ ...status, node: { ...status.node, ready: "yes" } })).toThrow(/node.ready/);
  });

  it("reads why a node is not ready and which members it reaches, and refuses them malformed", () => {
    const message =
      "no quorum: 1 of 3 members reachable, 2 needed; this node signs again once enough members are back";
    const status = {
      node: { id: "n1", uptimeSeconds: 3, ready: false, notReady: { code: "NO_QUORUM", message } },
      cluster: {
        id: "c",
        genesisTime: 1,
        quorum: 2,
        needed: 2,
        members: [
          { id: "n1", apiUrl: "http://a", connected: true, reachable: true },
          { id: "n2", apiUrl: "http://b", connected: true, reachable: false },
        ],
      },
      agreement: { role: "follower", term: 2, committed: 9, applied: 9, ready: true },
      calendar: { head: 9, genesisTime: 1 },
    };
    const read = readNodeStatus(status);
    expect(read.node.notReady).toEqual({ code: "NO_QUORUM", message });
    expect(read.cluster.needed).toBe(2);
    expect(read.cluster.members.map((m) => m.reachable)).toEqual([true, false]);
    expect(() =>
      readNodeStatus({ ...status, node: { ...status.node, notReady: { code: 7, message } } }),
    ).toThrow(/node.notReady.code/);
    expect(() =>
      readNodeStatus({
        ...status,
        node: { ...status.node, notReady: { code: "X", message: "m".repeat(1025) } },
      }),
    ).toThrow(/node.notReady.message/);
  });
});

describe("the publications file", () => {
  it("is fetched once while fresh, and its faults are typed: nothing published yet, not a file, untrusted signer", async () => {
    const authority = await publicationsAuthority();
    const file = await publicationsFile(authority, []);
    let fetched = 0;
    let load = async () => file;
    let now = 0;
    const source = (trustAnchors: readonly Uint8Array[]) =>
      new PublicationsSource({
        where: "http://publications.test/file.bin",
        load: () => {
          fetched++;
          return load();
        },
        signer: { trustAnchors },
        ttlMs: 60_000,
        now: () => now,
      });
    const trusted = source([authority.ca.der]);
    await trusted.get();
    await trusted.get();
    expect(fetched).toBe(1);
    now = 60_001;
    await trusted.get();
    expect(fetched).toBe(2);

    await expect(source([(await publicationsAuthority()).ca.der]).get()).rejects.toMatchObject({
      name: "VerificationError",
      code: "PUBLICATIONS_FILE_UNTRUSTED",
    });
    load = async () => new TextEncoder().encode("<html>moved</html>");
    await expect(source([authority.ca.der]).get()).rejects.toMatchObject({
      name: "ProtocolError",
      code: "BAD_PUBLICATIONS_FILE",
    });
    load = async () => {
      throw new ServiceError("HTTP_404", "not found", { httpStatus: 404, retryable: true });
    };
    await expect(source([authority.ca.der]).get()).rejects.toMatchObject({
      name: "NotYetAvailableError",
      code: "NOT_YET_PUBLISHED",
    });
  });

  it("is trusted from the genesis's publications authority when no trust anchors are given", async () => {
    const authority = await publicationsAuthority();
    const genesis = {
      version: 1,
      members: [{ id: ed25519PeerId(key(0xab)), publicKey: "ab".repeat(32) }],
      quorum: 1,
      publications: {
        intervalSeconds: 86_400,
        authority: { certificate: certificateToPem(authority.ca.der), email: PUBLICATIONS_EMAIL },
      },
    };
    const trust = resolveTrust({ genesis });
    expect(trust.publications?.url).toBeUndefined();
    expect(trust.publications?.signer).toEqual({
      trustAnchors: [authority.ca.der],
      constraints: { [EMAIL_ADDRESS_OID]: PUBLICATIONS_EMAIL },
    });
    expect(
      resolveTrust({ genesis: { ...genesis, publications: { intervalSeconds: 60 } } }).publications,
    ).toBe(undefined);
  });
});

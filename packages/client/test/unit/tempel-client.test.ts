import { ed25519 } from "@noble/curves/ed25519.js";
import {
  AggregatorStatus,
  aggregationResponsePayloadFor,
  bytesEqual,
  calendarChainOutput,
  decodeAggregationRequestPdu,
  decodeAggregationResponsePdu,
  encodeAggregationRequestPdu,
  encodeAggregationResponsePdu,
  encodeErrorResponsePdu,
  encodePublicationData,
  encodePublicationString,
  encodeTlv,
  HashAlgorithm,
  hashImprint,
  type KsiSignature,
  PduStatus,
  PduTag,
  signatureFromAggregationResponse,
  toHex,
} from "@tempel/proto";
import { beforeEach, describe, expect, it } from "vitest";
import {
  AbortedError,
  OptionsError,
  ProtocolError,
  ServiceError,
  Signature,
  TempelClient,
  type TempelClientOptions,
  VerificationError,
} from "../../src/index.ts";
import { fetchTransport } from "../../src/transport/http-transport.ts";
import { FakeCluster, KEY, ksiResponse, LOGIN_ID } from "./fake-cluster.ts";

const NODE = "http://node-a.test";
const OTHER = "http://node-b.test";
const text = "the minutes of the council, 2026-11-22";
const bytes = new TextEncoder().encode(text);
const sha256 = (data: Uint8Array) => hashImprint(HashAlgorithm.SHA2_256, data);

let cluster: FakeCluster;

beforeEach(async () => {
  cluster = await FakeCluster.start();
});

function client(options: Partial<TempelClientOptions> = {}): TempelClient {
  return new TempelClient({
    endpoints: [NODE],
    agency: { loginId: LOGIN_ID, key: KEY },
    trust: cluster.trust,
    retries: 0,
    backoffMs: 1,
    fetch: cluster.fetch,
    ...options,
  });
}

/** A fetch that serves `other` for OTHER and the fake cluster for everything else. */
function routed(other: typeof fetch): typeof fetch {
  return (input, init) => (String(input).startsWith(OTHER) ? other(input, init) : cluster.fetch(input, init));
}

describe("TempelClient.sign", () => {
  it("hashes bytes, text, Blobs and streams alike and returns a signature that verifies for the data and names the agency", async () => {
    const sdk = client();
    const inputs = [
      bytes,
      text,
      new Blob([bytes.subarray(0, 7), bytes.subarray(7)]),
      new Blob([bytes]).stream(),
      (async function* () {
        yield bytes.subarray(0, 3);
        yield bytes.subarray(3);
      })(),
    ];
    for (const input of inputs) {
      const signature = await sdk.sign(input);
      expect(toHex(signature.inputHash)).toBe(toHex(sha256(bytes)));
      expect(signature.agency).toBe(LOGIN_ID);
      expect(await signature.verify(text, { policy: "internal" })).toMatchObject({ result: "OK" });
      expect(await signature.verify(bytes, { policy: "key" })).toMatchObject({ result: "OK" });
    }
  });

  it("signs a given imprint as it is, at the given level", async () => {
    const imprint = sha256(bytes);
    const signature = await client().sign({ imprint: toHex(imprint) }, { level: 3 });
    expect(bytesEqual(signature.inputHash, imprint)).toBe(true);
    expect(await signature.verify({ imprint }, { level: 3, policy: "internal" })).toMatchObject({
      result: "OK",
    });
    expect(await signature.verify({ imprint }, { level: 4, policy: "internal" })).toMatchObject({
      result: "FAIL",
      code: "GEN-03",
    });
  });

  it("refuses imprints that are not hex or of the wrong length before asking the cluster", async () => {
    await expect(client().sign({ imprint: "01zz" })).rejects.toMatchObject({ code: "IMPRINT_HEX" });
    await expect(client().sign({ imprint: new Uint8Array([1, 2, 3]) })).rejects.toMatchObject({
      code: "IMPRINT_LENGTH",
    });
    expect(cluster.requests).toEqual([]);
  });

  it("fails verification of a signature against other data with GEN-01", async () => {
    const signature = await client().sign(text);
    expect(await signature.verify(`${text}.`)).toMatchObject({ result: "FAIL", code: "GEN-01" });
  });

  it("moves on to the next node when an answer's HMAC is wrong", async () => {
    const tampered: typeof fetch = async (input, init) => {
      const answer = new Uint8Array(await (await cluster.fetch(input, init)).arrayBuffer());
      answer[answer.length - 1]! ^= 1;
      return ksiResponse(answer);
    };
    const sdk = client({ endpoints: [OTHER, NODE], retries: 1, fetch: routed(tampered) });
    const signature = await sdk.sign(text);
    expect(signature.agency).toBe(LOGIN_ID);
    const alone = client({ endpoints: [OTHER], fetch: routed(tampered) });
    await expect(alone.sign(text)).rejects.toMatchObject({ name: "ProtocolError", code: "BAD_HMAC" });
  });

  it("refuses a signature for another hash than the one sent", async () => {
    const swapped: typeof fetch = async (input, init) => {
      const { pdu } = decodeAggregationRequestPdu(init!.body as Uint8Array);
      const request = { ...pdu.requests[0]!, requestHash: sha256(new Uint8Array([9])) };
      const body = encodeAggregationRequestPdu(
        { ...pdu, requests: [request] },
        new TextEncoder().encode(KEY),
      );
      return cluster.fetch(input, { ...init, body: body.slice() });
    };
    const error = await client({ endpoints: [OTHER], fetch: routed(swapped) })
      .sign(text)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: "BAD_SIGNATURE" });
  });

  it("reports a KSI authentication failure as a final ServiceError with the status, without retrying", async () => {
    const refuse: typeof fetch = async () =>
      ksiResponse(
        encodeErrorResponsePdu(PduTag.AGGREGATION_RESPONSE, { status: PduStatus.AUTHENTICATION_FAILURE }),
      );
    let calls = 0;
    const counted: typeof fetch = (input, init) => {
      calls++;
      return refuse(input, init);
    };
    const error = await client({ endpoints: [OTHER], retries: 3, fetch: routed(counted) })
      .sign(text)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ ksiStatus: PduStatus.AUTHENTICATION_FAILURE, retryable: false });
    expect(calls).toBe(1);
  });

  it("retries an overloaded cluster (0x0106) on every attempt and reports the status when none succeeds", async () => {
    const overloaded: typeof fetch = async () =>
      ksiResponse(
        encodeErrorResponsePdu(PduTag.AGGREGATION_RESPONSE, { status: AggregatorStatus.TOO_MANY_REQUESTS }),
      );
    let calls = 0;
    const counted: typeof fetch = (input, init) => {
      calls++;
      return overloaded(input, init);
    };
    const error = await client({ endpoints: [OTHER], retries: 2, quarantineMs: 0, fetch: routed(counted) })
      .sign(text)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ ksiStatus: AggregatorStatus.TOO_MANY_REQUESTS, retryable: true });
    expect(calls).toBe(3);
  });

  it("treats a node that answers HTML as failed and signs with the next one", async () => {
    const html: typeof fetch = async () =>
      new Response("<html>It works!</html>", { headers: { "content-type": "text/html" } });
    const signature = await client({ endpoints: [OTHER, NODE], retries: 1, fetch: routed(html) }).sign(text);
    expect(signature.agency).toBe(LOGIN_ID);
  });

  it("rejects with AbortedError when the caller aborts while the node has not answered", async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
      );
    const controller = new AbortController();
    const signing = client({ endpoints: [OTHER], fetch: routed(hanging) }).sign(text, {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 20);
    await expect(signing).rejects.toBeInstanceOf(AbortedError);
  });

  it("cannot sign without an agency", async () => {
    const anonymous = new TempelClient({ endpoints: [NODE], fetch: cluster.fetch });
    await expect(anonymous.sign(text)).rejects.toMatchObject({ name: "OptionsError" });
  });

  it("takes a transport, or a fetch, but not both", async () => {
    const transport = fetchTransport(cluster.fetch);
    expect(await client({ fetch: undefined, transport }).sign(text)).toBeInstanceOf(Signature);
    expect(() => client({ transport })).toThrow(OptionsError);
  });
});

describe("TempelClient.signMany", () => {
  it("signs every input in order with one aggregation request per batch; each signature verifies for its own input", async () => {
    const inputs = Array.from({ length: 10 }, (_, i) => `record ${i}`);
    let progress = 0;
    const signatures = await client().signMany(inputs, {
      batchSize: 4,
      onProgress: (signed) => {
        progress = signed;
      },
    });
    expect(cluster.requests.filter((path) => path === "/ksi/aggregator")).toHaveLength(3);
    expect(progress).toBe(10);
    for (const [i, signature] of signatures.entries()) {
      expect(signature.agency).toBe(LOGIN_ID);
      expect(await signature.verify(inputs[i], { policy: "key" }), `input ${i}`).toMatchObject({
        result: "OK",
      });
      expect(await signature.verify(inputs[(i + 1) % 10], { policy: "internal" })).toMatchObject({
        result: "FAIL",
        code: "GEN-01",
      });
    }
  });

  it("signs a batch's leaves at the caller's level", async () => {
    const imprints = [1, 2, 3].map((n) => sha256(new Uint8Array([n])));
    const signatures = await client().signMany(
      imprints.map((imprint) => ({ imprint })),
      { level: 2 },
    );
    for (const [i, signature] of signatures.entries()) {
      expect(
        await signature.verify({ imprint: imprints[i]! }, { level: 2, policy: "internal" }),
      ).toMatchObject({
        result: "OK",
      });
    }
  });

  it("refuses an answer whose first link already holds the request level, as Tempel nodes answered before", async () => {
    // Such an answer would have libksi count the level twice; the SDK reads answers as libksi does.
    const folded: typeof fetch = async (input, init) => {
      const answer = await cluster.fetch(input, init);
      if (new URL(String(input)).pathname !== "/ksi/aggregator") return answer;
      const level = decodeAggregationRequestPdu(init!.body as Uint8Array).pdu.requests[0]!.requestLevel ?? 0;
      const { pdu } = decodeAggregationResponsePdu(new Uint8Array(await answer.arrayBuffer()));
      const responses = pdu.responses.map((payload) =>
        aggregationResponsePayloadFor(payload.requestId, signatureFromAggregationResponse(payload, level)),
      );
      return ksiResponse(
        encodeAggregationResponsePdu({ header: pdu.header!, responses }, new TextEncoder().encode(KEY)),
      );
    };
    const imprints = [1, 2, 3].map((n) => ({ imprint: sha256(new Uint8Array([n])) }));
    await expect(client({ fetch: folded }).signMany(imprints)).rejects.toMatchObject({
      code: "BAD_SIGNATURE",
    });
    await expect(client({ fetch: folded }).sign(imprints[0]!, { level: 2 })).rejects.toMatchObject({
      code: "BAD_SIGNATURE",
    });
    expect(await client({ fetch: folded }).sign(imprints[0]!)).toBeInstanceOf(Signature);
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    let inFlight = 0;
    let most = 0;
    const slow: typeof fetch = async (input, init) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return cluster.fetch(input, init);
    };
    const signatures = await client({ fetch: slow }).signMany(
      Array.from({ length: 40 }, (_, i) => `n${i}`),
      { batchSize: 2, concurrency: 3 },
    );
    expect(signatures).toHaveLength(40);
    expect(most).toBe(3);
  });

  it("reads an async iterable lazily and stops reading at the first failure", async () => {
    let read = 0;
    async function* inputs() {
      for (let i = 0; i < 1000; i++) {
        read++;
        yield `item ${i}`;
      }
    }
    const failing: typeof fetch = async () => new Response("down", { status: 503 });
    await expect(
      client({ endpoints: [OTHER], fetch: routed(failing) }).signMany(inputs(), {
        batchSize: 10,
        concurrency: 2,
      }),
    ).rejects.toMatchObject({ name: "ServiceError", httpStatus: 503 });
    expect(read).toBeLessThan(1000);
  });

  it("asks nothing of the cluster when the signal is aborted before the call", async () => {
    await expect(client().signMany(["a", "b", "c"], { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      AbortedError,
    );
    expect(cluster.requests).toEqual([]);
  });

  it("rejects with AbortedError when the caller aborts", async () => {
    const controller = new AbortController();
    const inputs = (async function* () {
      for (let i = 0; ; i++) {
        if (i === 25) controller.abort();
        yield `item ${i}`;
      }
    })();
    await expect(
      client().signMany(inputs, { batchSize: 10, signal: controller.signal }),
    ).rejects.toBeInstanceOf(AbortedError);
  });
});

describe("TempelClient.extend", () => {
  it("extends to the newest certified root: new calendar chain, the root's quorum certificate, verifiable by key", async () => {
    const sdk = client();
    const signature = await sdk.sign(text);
    await cluster.advance(3);
    const extended = await sdk.extend(signature);
    expect(extended.ksi.calendarChain!.publicationTime).toBe(cluster.calendar.head);
    expect(extended.ksi.calendarChain!.publicationTime).toBeGreaterThan(
      signature.ksi.calendarChain!.publicationTime,
    );
    expect(extended.ksi.quorumCertificate!.publishedData.publicationTime).toBe(cluster.calendar.head);
    expect(extended.ksi.calendarAuthRecord).toBeUndefined();
    expect(await extended.verify(text, { policy: "key" })).toMatchObject({ result: "OK" });
    expect(await extended.verify(text, { policy: "calendar" })).toMatchObject({ result: "OK" });
  });

  it("extends to a given publication and then verifies against its printed code alone", async () => {
    const sdk = client();
    const signature = await sdk.sign(text);
    await cluster.advance(4);
    const time = cluster.calendar.head - 1;
    const publication = { publicationTime: time, publishedHash: await cluster.calendar.rootAt(time) };
    const extended = await sdk.extend(signature, { to: publication });
    expect(extended.ksi.publicationRecord?.publishedData).toEqual(publication);
    expect(extended.ksi.quorumCertificate).toBeUndefined();
    const standalone = Signature.decode(extended.encode());
    expect(
      await standalone.verify(text, {
        policy: "publication",
        publication: encodePublicationString(publication),
      }),
    ).toMatchObject({ result: "OK" });
  });

  it("refuses a publication the calendar does not reach (PUB-01)", async () => {
    const sdk = client();
    const signature = await sdk.sign(text);
    await cluster.advance(2);
    const forged = { publicationTime: cluster.calendar.head, publishedHash: sha256(bytes) };
    const error = await sdk.extend(signature, { to: forged }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VerificationError);
  });

  it("refuses to extend a signature with the calendar of another cluster (CAL-04)", async () => {
    const signature = await client().sign(text);
    const other = await FakeCluster.start(1);
    await other.advance(10);
    const otherClient = new TempelClient({
      endpoints: [NODE],
      agency: { loginId: LOGIN_ID, key: KEY },
      trust: other.trust,
      fetch: other.fetch,
    });
    const error = await otherClient.extend(signature).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VerificationError);
    expect(error).toMatchObject({ code: "CAL-04" });
  });

  it("refuses a calendar head whose certificate no trusted member signed", async () => {
    const signature = await client().sign(text);
    const sdk = client({
      trust: { members: [{ id: "member-1", publicKey: new Uint8Array(32).fill(7) }], quorum: 1 },
    });
    await expect(sdk.extend(signature)).rejects.toMatchObject({ code: "BAD_CERTIFICATE" });
  });
});

/** The signature's calendar root vouched for by one node's calendar auth record instead of the quorum. */
function onlyOwnAuthRecord(signature: KsiSignature): KsiSignature {
  const { quorumCertificate: _, ...rest } = signature;
  const chain = signature.calendarChain!;
  return {
    ...rest,
    calendarAuthRecord: {
      publishedData: { publicationTime: chain.publicationTime, publishedHash: calendarChainOutput(chain) },
      signatureData: {
        signatureType: "1.2.840.113549.1.1.11",
        signatureValue: new Uint8Array(256).fill(1),
        certificateId: new Uint8Array([1, 2, 3, 4]),
      },
    },
  };
}

/** The signature's quorum certificate with its share made by another key under the member's name. */
function strangersShare(signature: KsiSignature): KsiSignature {
  const certificate = signature.quorumCertificate!;
  const message = encodeTlv(encodePublicationData(certificate.publishedData));
  const stranger = ed25519.utils.randomSecretKey();
  const shares = certificate.shares.map((share) => ({
    ...share,
    signature: ed25519.sign(message, stranger),
  }));
  return { ...signature, quorumCertificate: { ...certificate, shares } };
}

describe("what the nodes answer is checked against the trusted members before it is handed out", () => {
  for (const [what, change] of [
    ["only its own calendar auth record vouches for", onlyOwnAuthRecord],
    ["carries a quorum certificate signed by a stranger's key", strangersShare],
  ] as const) {
    it(`sign moves on from a node whose signature ${what}, and fails with UNCERTIFIED_SIGNATURE when no node certifies`, async () => {
      cluster.misbehaving.set(NODE, { signature: change });
      const signature = await client({ endpoints: [NODE, OTHER], retries: 1 }).sign(text);
      expect(cluster.askedNodes).toEqual([NODE, OTHER]);
      expect(signature.ksi.quorumCertificate).toBeDefined();
      expect(await signature.verify(text, { policy: "key" })).toMatchObject({ result: "OK" });
      await expect(client().sign(text)).rejects.toMatchObject({
        name: "ProtocolError",
        code: "UNCERTIFIED_SIGNATURE",
      });
    });
  }

  it("signMany checks each batch's signature and moves on from a node that answers one no quorum certified", async () => {
    cluster.misbehaving.set(NODE, { signature: onlyOwnAuthRecord });
    const signatures = await client({ endpoints: [NODE, OTHER], retries: 1 }).signMany(["a", "b", "c"], {
      batchSize: 2,
    });
    for (const signature of signatures) {
      expect(await signature.verify(undefined, { policy: "key" })).toMatchObject({ result: "OK" });
    }
    await expect(client().signMany(["a", "b", "c"], { batchSize: 2 })).rejects.toMatchObject({
      code: "UNCERTIFIED_SIGNATURE",
    });
  });

  it("extend to latest moves on from a node whose head certificate is a stranger's, and from an extender whose chain misses the certified root", async () => {
    const signature = await client().sign(text);
    await cluster.advance(3);
    cluster.misbehaving.set(NODE, {
      headCertificate: (certificate) =>
        strangersShare({ aggregationChains: [], quorumCertificate: certificate }).quorumCertificate!,
    });
    const sdk = client({ endpoints: [NODE, OTHER], retries: 1 });
    expect((await sdk.extend(signature)).ksi.quorumCertificate).toBeDefined();
    await expect(client().extend(signature)).rejects.toMatchObject({ code: "BAD_CERTIFICATE" });

    const other = await FakeCluster.start(1);
    await other.advance(20);
    cluster.misbehaving.set(NODE, {
      chain: (chain) => other.calendar.chain(chain.aggregationTime, chain.publicationTime),
    });
    const extended = await client({ endpoints: [NODE, OTHER], retries: 1 }).extend(signature);
    expect(await extended.verify(text, { policy: "key" })).toMatchObject({ result: "OK" });
    await expect(client().extend(signature)).rejects.toMatchObject({
      name: "ProtocolError",
      code: "BAD_CALENDAR_CHAIN",
    });
  });

  it("extend to latest needs the members: without them no node's head is trusted, and nothing is asked", async () => {
    const signature = await client().sign(text);
    const before = cluster.requests.length;
    await expect(client({ trust: {} }).extend(signature)).rejects.toMatchObject({ name: "OptionsError" });
    expect(cluster.requests.length).toBe(before);
  });
});

/** A client told to use a publications file that neither its URL nor the nodes have yet. */
function withUnpublishedFile(): TempelClient {
  return client({
    trust: {
      ...cluster.trust,
      publicationsFileUrl: `${NODE}/missing-publications.bin`,
      trustAnchors: [new Uint8Array([0x30, 0])],
    },
  });
}

describe("TempelClient.verify", () => {
  it("with the members known, a root only one node's calendar auth record vouches for is NA TEM-01, under the key and default policies", async () => {
    const signature = new Signature(onlyOwnAuthRecord((await client().sign(text)).ksi));
    for (const policy of ["key", "default"] as const) {
      expect(await client().verify(signature, text, { policy })).toMatchObject({
        result: "NA",
        code: "TEM-01",
      });
    }
  });

  it("says why a publications file it could not fetch is missing, when that leaves the result inconclusive", async () => {
    const sdk = withUnpublishedFile();
    const { quorumCertificate: _, ...uncertified } = (await sdk.sign(text)).ksi;
    const result = await sdk.verify(new Signature(uncertified), text);
    expect(result).toMatchObject({ result: "NA" });
    expect(result.message).toContain("the publications file could not be used");
    expect(result.message).toContain("nothing is published yet");
  });

  it("verifies a decoded signature with the client's cluster: calendar policy through the extender", async () => {
    const sdk = client();
    const bytesOfSignature = (await sdk.sign(text)).encode();
    const decoded = sdk.decode(bytesOfSignature);
    expect(bytesEqual(decoded.encode(), bytesOfSignature)).toBe(true);
    expect(await sdk.verify(decoded, text, { policy: "calendar" })).toMatchObject({ result: "OK" });
    expect(await Signature.decode(bytesOfSignature).verify(text, { policy: "calendar" })).toMatchObject({
      result: "NA",
    });
  });

  it("goes on without a publications file it cannot fetch, except under the publication policy without a publication", async () => {
    const sdk = withUnpublishedFile();
    const signature = await sdk.sign(text);
    expect(await signature.verify(text)).toMatchObject({ result: "OK", rule: "DefaultPolicy" });
    await expect(signature.verify(text, { policy: "publication" })).rejects.toMatchObject({
      name: "NotYetAvailableError",
      code: "NOT_YET_PUBLISHED",
    });
    // A publication later than the signature (KSI extends to a user's publication only then).
    await cluster.advance(1);
    const code = encodePublicationString({
      publicationTime: cluster.calendar.head,
      publishedHash: await cluster.calendar.rootAt(cluster.calendar.head),
    });
    // A publication given is enough: the file is not fetched.
    expect(await signature.verify(text, { policy: "publication", publication: code })).toMatchObject({
      result: "OK",
    });
  });

  it("refuses an unknown policy name", async () => {
    const signature = await client().sign(text);
    await expect(signature.verify(text, { policy: "lenient" as "internal" })).rejects.toMatchObject({
      name: "OptionsError",
    });
  });
});

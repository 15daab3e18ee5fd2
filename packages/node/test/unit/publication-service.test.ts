import { rmSync } from "node:fs";
import {
  decodePublicationsFile,
  type PublicationSchedule,
  publicationsFileTrust,
  verifyPublicationsFile,
} from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger/logger.ts";
import type { PublicationMetrics } from "../../src/publication/metrics.ts";
import { defaultPublicationOptions, type PublicationOptions } from "../../src/publication/options.ts";
import {
  type PublicationCalendar,
  type PublicationCluster,
  PublicationService,
} from "../../src/publication/publication-service.ts";
import type { PublicationsKey } from "../../src/publication/publications-key.ts";
import {
  MemoryPublicationStore,
  type TestAuthority,
  TestCalendar,
  TestMembers,
  testAuthority,
} from "./publication-fixtures.ts";

const SCHEDULE: PublicationSchedule = { intervalSeconds: 60 };
const GENESIS = 1_800_000_010;
/** The first publication time after genesis. */
const P = 1_800_000_060;
const OPTIONS: PublicationOptions = {
  ...defaultPublicationOptions,
  pollSeconds: 0,
  certificationWaitSeconds: 30,
};

let authority: TestAuthority;
let stranger: TestAuthority;
beforeAll(async () => {
  const now = Math.floor(Date.now() / 1000);
  [authority, stranger] = await Promise.all([testAuthority(now), testAuthority(now)]);
});
afterAll(() => {
  for (const a of [authority, stranger]) rmSync(a.dataDir, { recursive: true, force: true });
});

class RecordingMetrics {
  published = 0;
  latest = 0;
  rejections: string[] = [];
  readonly instruments: PublicationMetrics = {
    published: {
      inc: () => {
        this.published++;
      },
    },
    latestPublication: {
      set: (value) => {
        this.latest = value;
      },
    },
    peerFileRejections: {
      inc: (labels) => {
        this.rejections.push(String(labels.reason));
      },
    },
  };
}

/** One node's publication service on a simulated clock; peers are reached through `peers`. */
class TestNode {
  readonly metrics = new RecordingMetrics();
  readonly store = new MemoryPublicationStore();
  clock = P * 1000;
  service!: PublicationService;

  static async start(
    calendar: PublicationCalendar,
    members: TestMembers,
    key: PublicationsKey | undefined,
    peers: readonly TestNode[] = [],
    options: PublicationOptions = OPTIONS,
  ): Promise<TestNode> {
    const node = new TestNode();
    await node.open(calendar, members, key, peers, options);
    return node;
  }

  async open(
    calendar: PublicationCalendar,
    members: TestMembers,
    key: PublicationsKey | undefined,
    peers: readonly TestNode[],
    options: PublicationOptions,
  ): Promise<void> {
    const cluster: PublicationCluster = {
      genesisTime: GENESIS,
      schedule: SCHEDULE,
      authority: authority.authority,
      trust: members.trust,
      memberCertificates: authority.memberCertificates,
      peerUrls: peers.map((_, i) => `http://peer-${i}`),
    };
    this.service = await PublicationService.open(options, cluster, {
      store: this.store,
      calendar,
      key,
      logger: silentLogger,
      metrics: this.metrics.instruments,
      now: () => this.clock,
      fetch: async (url, init) => {
        const peer = peers[Number(/peer-(\d+)/.exec(String(url))![1])]!;
        const file = peer.service.file;
        if (file === undefined) return new Response(null, { status: 404 });
        const etag = new Headers(init?.headers).get("if-none-match");
        if (etag === file.etag) return new Response(null, { status: 304 });
        return new Response(file.bytes.slice(), { status: 200, headers: { etag: file.etag } });
      },
    });
  }

  async stepAt(seconds: number): Promise<void> {
    this.clock = seconds * 1000;
    await this.service.step();
  }

  times(): number[] {
    return (this.service.file?.records ?? []).map((r) => r.publishedData.publicationTime);
  }
}

async function certifiedCalendar(members: TestMembers, through: number): Promise<TestCalendar> {
  const calendar = await TestCalendar.open(GENESIS, members);
  await calendar.appendThrough(through);
  return calendar;
}

describe("publishing", () => {
  it("publishes the certified root of the scheduled second with its quorum certificate in a file signed for the authority", async () => {
    const members = new TestMembers(3, 2);
    const calendar = await certifiedCalendar(members, P + 2);
    const node = await TestNode.start(calendar, members, authority.key);
    await node.stepAt(P + 1);
    expect(node.times()).toEqual([P]);
    const file = await verifyPublicationsFile(
      node.service.file!.bytes,
      publicationsFileTrust(authority.authority),
    );
    const record = file.publications[0]!;
    expect(record.publishedData.publishedHash).toEqual(await calendar.rootAt(P));
    expect(record.quorumCertificate?.publishedData.publishedHash).toEqual(await calendar.rootAt(P));
    expect(record.quorumCertificate?.shares).toHaveLength(2);
    expect(file.header.creationTime).toBe(P);
    expect(file.certificates.map((c) => c.der)).toEqual(authority.memberCertificates);
    expect(node.metrics.published).toBe(1);
    expect(node.metrics.latest).toBe(P);
  });

  it("publishes nothing before the publication time", async () => {
    const members = new TestMembers(1, 1);
    const node = await TestNode.start(await certifiedCalendar(members, P + 2), members, authority.key);
    await node.stepAt(P - 1);
    expect(node.service.file).toBeUndefined();
  });

  it("waits for the scheduled second's certificate, then takes the first certified second after it", async () => {
    const members = new TestMembers(3, 2);
    const calendar = await TestCalendar.open(GENESIS, members);
    await calendar.appendThrough(P - 1);
    await calendar.appendThrough(P + 3, false);
    await calendar.appendThrough(P + 40);
    const node = await TestNode.start(calendar, members, authority.key);
    await node.stepAt(P + 29);
    expect(node.service.file).toBeUndefined();
    await node.stepAt(P + 30);
    expect(node.times()).toEqual([P + 4]);
    expect(node.service.file!.records[0]!.publishedData.publishedHash).toEqual(await calendar.rootAt(P + 4));
  });

  it("after an absence publishes every missed publication time in order, with one signature over the file", async () => {
    const members = new TestMembers(1, 1);
    const calendar = await certifiedCalendar(members, P + 185);
    const node = await TestNode.start(calendar, members, authority.key);
    await node.stepAt(P + 185);
    expect(node.times()).toEqual([P, P + 60, P + 120, P + 180]);
    expect(node.store.records).toHaveLength(4);
    const file = decodePublicationsFile(node.service.file!.bytes);
    expect(file.header.creationTime).toBe(P + 180);
  });

  it("rebuilds the identical file after a restart, and the same records signed again give the same bytes", async () => {
    const members = new TestMembers(1, 1);
    const calendar = await certifiedCalendar(members, P + 61);
    const first = await TestNode.start(calendar, members, authority.key);
    await first.stepAt(P + 61);
    const restarted = new TestNode();
    restarted.store.records = first.store.records;
    restarted.store.signature = first.store.signature;
    await restarted.open(calendar, members, authority.key, [], OPTIONS);
    expect(restarted.service.file!.bytes).toEqual(first.service.file!.bytes);
    const again = await TestNode.start(calendar, members, authority.key);
    await again.stepAt(P + 61);
    expect(again.service.file!.bytes).toEqual(first.service.file!.bytes);
  });
});

describe("mirroring a peer's file", () => {
  it("a node without the key serves the publisher's file byte for byte", async () => {
    const members = new TestMembers(3, 2);
    const calendar = await certifiedCalendar(members, P + 65);
    const publisher = await TestNode.start(calendar, members, authority.key);
    await publisher.stepAt(P + 65);
    const mirror = await TestNode.start(calendar, members, undefined, [publisher]);
    await mirror.stepAt(P + 65);
    expect(mirror.service.file!.bytes).toEqual(publisher.service.file!.bytes);
    expect(mirror.service.file!.etag).toBe(publisher.service.file!.etag);
    expect(mirror.metrics.rejections).toEqual([]);
  });

  it("takes records only once its own calendar has reached them", async () => {
    const members = new TestMembers(1, 1);
    const calendar = await certifiedCalendar(members, P + 5);
    const publisher = await TestNode.start(calendar, members, authority.key);
    await publisher.stepAt(P + 5);
    let head = P - 1;
    const lagging: PublicationCalendar = {
      genesisTime: GENESIS,
      get head() {
        return head;
      },
      rootAt: (t) => calendar.rootAt(t),
      chain: (t, r) => calendar.chain(t, r),
      certificate: (t) => calendar.certificate(t),
      firstCertificate: (t) => calendar.firstCertificate(t),
    };
    const mirror = await TestNode.start(lagging, members, undefined, [publisher]);
    await mirror.stepAt(P + 5);
    expect(mirror.service.file).toBeUndefined();
    head = P + 5;
    await mirror.stepAt(P + 6);
    expect(mirror.times()).toEqual([P]);
    expect(mirror.metrics.rejections).toEqual([]);
  });

  it("refuses a file whose root its own calendar contradicts (a forged history), even with valid certificates", async () => {
    const members = new TestMembers(3, 2);
    const forger = await TestNode.start(await certifiedCalendar(members, P + 5), members, authority.key);
    await forger.stepAt(P + 5);
    const honest = await TestNode.start(await certifiedCalendar(members, P + 5), members, undefined, [
      forger,
    ]);
    await honest.stepAt(P + 5);
    expect(honest.service.file).toBeUndefined();
    expect(honest.metrics.rejections).toEqual(["calendar"]);
  });

  it("refuses a file that rewrites a publication it already holds", async () => {
    const members = new TestMembers(3, 2);
    const calendar = await certifiedCalendar(members, P + 65);
    const publisher = await TestNode.start(calendar, members, authority.key);
    await publisher.stepAt(P + 5);
    const forger = await TestNode.start(await certifiedCalendar(members, P + 65), members, authority.key);
    await forger.stepAt(P + 65);
    const mirror = await TestNode.start(calendar, members, undefined, [publisher, forger]);
    await mirror.stepAt(P + 65);
    expect(mirror.times()).toEqual([P]);
    expect(mirror.metrics.rejections).toEqual(["root"]);
  });

  it("refuses a file signed by a key the genesis authority did not certify", async () => {
    const members = new TestMembers(1, 1);
    const calendar = await certifiedCalendar(members, P + 5);
    const impostor = await TestNode.start(calendar, members, stranger.key);
    await impostor.stepAt(P + 5);
    const mirror = await TestNode.start(calendar, members, undefined, [impostor]);
    await mirror.stepAt(P + 5);
    expect(mirror.service.file).toBeUndefined();
    expect(mirror.metrics.rejections).toEqual(["untrusted"]);
  });

  it("refuses a record whose quorum certificate is not signed by a quorum of the members", async () => {
    const members = new TestMembers(3, 2);
    const outsiders = new TestMembers(3, 2);
    const outsidersCalendar = await certifiedCalendar(outsiders, P + 5);
    const publisher = await TestNode.start(outsidersCalendar, outsiders, authority.key);
    await publisher.stepAt(P + 5);
    const mirror = await TestNode.start(outsidersCalendar, members, undefined, [publisher]);
    await mirror.stepAt(P + 5);
    expect(mirror.service.file).toBeUndefined();
    expect(mirror.metrics.rejections).toEqual(["certificate"]);
  });

  it("a standby holding the key publishes only when no peer has published within publishDelaySeconds", async () => {
    const members = new TestMembers(1, 1);
    const calendar = await certifiedCalendar(members, P + 30);
    const silentPublisher = await TestNode.start(calendar, members, undefined);
    const standby = await TestNode.start(calendar, members, authority.key, [silentPublisher], {
      ...OPTIONS,
      publishDelaySeconds: 30,
    });
    await standby.stepAt(P + 29);
    expect(standby.service.file).toBeUndefined();
    await standby.stepAt(P + 30);
    expect(standby.times()).toEqual([P]);
  });
});

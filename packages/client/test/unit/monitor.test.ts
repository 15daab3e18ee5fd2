import {
  checkCalendarConsistency,
  decodeCalendarChain,
  decodeTlv,
  EMAIL_ADDRESS_OID,
  fromHex,
  type PublicationRecord,
} from "@tempel/proto";
import { beforeAll, describe, expect, it } from "vitest";
import type { Alert } from "../../src/monitor/alert.ts";
import type { MonitorClock } from "../../src/monitor/clock.ts";
import { Monitor, type MonitorLogLevel, type MonitorOptions } from "../../src/monitor/monitor.ts";
import {
  EMAIL,
  GENESIS,
  History,
  leafOf,
  Members,
  publicationOf,
  publicationsFile,
  type SimAuthority,
  SimNode,
  seeded,
  simAuthority,
  simFetch,
} from "./monitor-cluster.ts";

/** Simulated time: each pause of the monitor is one second of the cluster's life. */
class SimClock implements MonitorClock {
  ms: number;
  readonly #tick: () => Promise<void>;

  constructor(seconds: number, tick: () => Promise<void>) {
    this.ms = seconds * 1000;
    this.#tick = tick;
  }

  now(): number {
    return this.ms;
  }

  async sleep(ms: number): Promise<void> {
    this.ms += ms;
    await this.#tick();
  }
}

const WEBHOOK = "http://alerts.example/hook";

let authority: SimAuthority;
let stranger: SimAuthority;
beforeAll(async () => {
  [authority, stranger] = await Promise.all([simAuthority(), simAuthority()]);
});

/** A cluster of `count` nodes sharing one honest history, certified by members 0 and 1 (q = 2). */
async function cluster(count: number, seconds: number) {
  const members = new Members(3, 2);
  const honest = await History.open(members, [0, 1]);
  for (let t = GENESIS; t < GENESIS + seconds; t++) await honest.append(leafOf(t));
  const nodes = Array.from({ length: count }, (_, i) => new SimNode(`http://node-${i}.test`, honest));
  return { members, honest, nodes };
}

/** A history equal to `honest` except for the leaf of `forgedSecond`, certified by `signers`. */
async function forgery(members: Members, honest: History, forgedSecond: number, signers = [0, 1]) {
  const forged = await History.open(members, signers);
  for (let t = GENESIS; t <= honest.calendar.head; t++)
    await forged.append(leafOf(t, t === forgedSecond ? 1 : 0));
  return forged;
}

function watch(
  nodes: SimNode[],
  members: Members,
  extra: Partial<MonitorOptions> = {},
  clock?: MonitorClock,
) {
  const alerts: Alert[] = [];
  const logs: { level: MonitorLogLevel; message: string }[] = [];
  const posts: { url: string; body: unknown }[] = [];
  const monitor = new Monitor(
    {
      nodes: nodes.map((n) => n.url),
      trust: members.trust,
      publicationsTrust: { trustAnchors: [authority.ca.der], constraints: { [EMAIL_ADDRESS_OID]: EMAIL } },
      webhookUrl: WEBHOOK,
      ...extra,
    },
    {
      fetch: simFetch(nodes, posts),
      ...(clock !== undefined && { clock }),
      log: (level, message) => logs.push({ level, message }),
      onAlert: (alert) => alerts.push(alert),
    },
  );
  return { monitor, alerts, logs, posts };
}

describe("a healthy cluster", () => {
  it("raises no alert in 10 minutes of simulated time under load, lag, outages and publications", async () => {
    const random = seeded(5);
    const { members, honest, nodes } = await cluster(3, 20);
    const published: PublicationRecord[] = [];
    let seconds = 0;
    const stop = new AbortController();
    const tick = async () => {
      // Load: every second gets its own round root; nodes fall a second or two behind and catch up.
      await honest.append(leafOf(honest.calendar.head + 1, Math.floor(random() * 1000)));
      for (const node of nodes) node.lag = random() < 0.2 ? Math.min(node.lag + 1, 3) : 0;
      nodes[2]!.down = (seconds >= 200 && seconds < 230) || random() < 0.01;
      const head = honest.calendar.head;
      if (head % 60 === 5) {
        published.push(await publicationOf(honest, head - 5));
        const file = await publicationsFile(published, authority.signer);
        for (const node of nodes) node.file = file;
      }
      if (++seconds >= 600) stop.abort();
    };
    const clock = new SimClock(GENESIS + 20, tick);
    const { monitor, alerts, logs } = watch(nodes, members, { publicationsIntervalMs: 5_000 }, clock);
    await monitor.run(stop.signal);

    expect(alerts).toEqual([]);
    expect(logs.filter((l) => l.level === "error")).toEqual([]);
    expect(logs.some((l) => l.level === "warn" && l.message === "node did not answer")).toBe(true);
    expect(published).toHaveLength(10);
    expect(monitor.verifiedPublications.length).toBeGreaterThanOrEqual(9);
    expect(nodes[0]!.requests).toContain("/v1/calendar/consistency");
    const metrics = monitor.metrics.render();
    expect(metrics).toContain("tempel_monitor_rounds_total 600");
    expect(metrics).toContain('tempel_monitor_alert_active{kind="fork"} 0');
    expect(metrics).toMatch(/tempel_monitor_node_up\{node="http:\/\/node-2.test"\} 1/);
  });
});

describe("a rewritten or forked calendar", () => {
  it("a node started with a forged history raises a fork alert, with both roots and the proof that they differ", async () => {
    const { members, honest, nodes } = await cluster(3, 30);
    nodes[2]!.history = await forgery(members, honest, GENESIS + 3);
    nodes[2]!.lag = 2;
    const { monitor, alerts, logs, posts } = watch(nodes, members);
    await monitor.round();

    expect(alerts.map((a) => a.kind)).toEqual(["fork"]);
    const { expected, found, proof } = alerts[0]!.evidence;
    expect(found).toMatchObject({ node: nodes[2]!.url, time: GENESIS + 27 });
    expect(expected).toMatchObject({ node: nodes[0]!.url, time: GENESIS + 29 });
    expect(found!.certificate).toBeDefined();
    // Anyone can re-check the evidence: the proof from the honest node rejects the forged root.
    const chain = decodeCalendarChain(decodeTlv(new Uint8Array(Buffer.from(proof!.chain, "base64"))));
    const verdict = checkCalendarConsistency(
      chain,
      { publicationTime: found!.time, publishedHash: fromHex(found!.root)! },
      { publicationTime: expected!.time, publishedHash: fromHex(expected!.root)! },
    );
    expect(verdict).toBe("older-root-mismatch");
    expect(proof!.verdict).toBe(verdict);
    expect(logs.filter((l) => l.level === "error").map((l) => l.message)).toEqual([alerts[0]!.message]);
    expect(posts).toEqual([{ url: WEBHOOK, body: JSON.parse(JSON.stringify(alerts[0])) }]);
    expect(monitor.metrics.render()).toContain('tempel_monitor_alerts_total{kind="fork"} 1');
    expect(monitor.metrics.render()).toContain('tempel_monitor_alert_active{kind="fork"} 1');
  });

  it("a node whose stored calendar is altered while watched is caught in the next round", async () => {
    const { members, honest, nodes } = await cluster(3, 30);
    const { monitor, alerts } = watch(nodes, members);
    await monitor.round();
    expect(alerts).toEqual([]);
    const before = await honest.calendar.rootAt(GENESIS + 29);
    nodes[1]!.history = await forgery(members, honest, GENESIS + 12);
    await honest.append(leafOf(GENESIS + 30));
    await nodes[1]!.history.append(leafOf(GENESIS + 30));
    await monitor.round();

    const rewritten = alerts.find((a) => a.kind === "rewritten-history")!;
    expect(rewritten.evidence.expected).toMatchObject({
      node: nodes[1]!.url,
      time: GENESIS + 29,
      root: Buffer.from(before).toString("hex"),
    });
    expect(rewritten.evidence.found).toMatchObject({ node: nodes[1]!.url, time: GENESIS + 30 });
    expect(rewritten.evidence.proof).toMatchObject({
      node: nodes[1]!.url,
      from: GENESIS + 29,
      to: GENESIS + 30,
    });
  });

  it("raises a finding once, not once per round, while the fault persists", async () => {
    const { members, honest, nodes } = await cluster(2, 30);
    nodes[1]!.history = await forgery(members, honest, GENESIS + 3);
    const { monitor, alerts } = watch(nodes, members);
    for (let i = 0; i < 3; i++) await monitor.round();
    expect(alerts.map((a) => a.kind)).toEqual(["fork"]);
  });

  it("a head certified by fewer than q members raises bad-certificate", async () => {
    const { members, honest, nodes } = await cluster(2, 10);
    const underSigned = await History.open(members, [0]);
    for (let t = GENESIS; t <= honest.calendar.head; t++) await underSigned.append(leafOf(t));
    nodes[1]!.history = underSigned;
    const { monitor, alerts } = watch(nodes, members);
    await monitor.round();
    expect(alerts.map((a) => a.kind)).toEqual(["bad-certificate"]);
    expect(alerts[0]!.evidence.detail).toMatchObject({ check: { status: "below-quorum" } });
  });

  it("an unreachable node is reported, not alerted", async () => {
    const { members, nodes } = await cluster(2, 10);
    nodes[1]!.down = true;
    const { monitor, alerts, logs } = watch(nodes, members);
    await monitor.round();
    expect(alerts).toEqual([]);
    expect(logs).toContainEqual(expect.objectContaining({ level: "warn", message: "node did not answer" }));
    expect(monitor.metrics.render()).toContain('tempel_monitor_node_up{node="http://node-1.test"} 0');
  });
});

describe("publications", () => {
  it("a publication whose root is not the calendar's raises publication-mismatch with the proof", async () => {
    const { members, honest, nodes } = await cluster(2, 30);
    const forged = await forgery(members, honest, GENESIS + 3);
    const file = await publicationsFile([await publicationOf(forged, GENESIS + 10)], authority.signer);
    for (const node of nodes) node.file = file;
    const { monitor, alerts } = watch(nodes, members);
    await monitor.round();
    expect(alerts.map((a) => a.kind)).toEqual(["publication-mismatch"]);
    expect(alerts[0]!.evidence.found).toMatchObject({ time: GENESIS + 10 });
    expect(alerts[0]!.evidence.proof).toMatchObject({ from: GENESIS + 10, verdict: "older-root-mismatch" });
    expect(monitor.verifiedPublications).toEqual([]);
  });

  it("a file that changes a publication the monitor verified raises publications-rewritten", async () => {
    const { members, honest, nodes } = await cluster(2, 30);
    const original = await publicationsFile([await publicationOf(honest, GENESIS + 10)], authority.signer);
    for (const node of nodes) node.file = original;
    const { monitor, alerts } = watch(nodes, members, { publicationsIntervalMs: 1 });
    await monitor.round();
    expect(monitor.verifiedPublications).toHaveLength(1);
    const forged = await forgery(members, honest, GENESIS + 3);
    nodes[1]!.file = await publicationsFile([await publicationOf(forged, GENESIS + 10)], authority.signer);
    await monitor.round();
    expect(alerts.map((a) => a.kind)).toEqual(["publications-rewritten"]);
    expect(alerts[0]!.evidence.detail).toEqual({ reason: "root" });
  });

  it("a file signed by a key the authority did not certify raises publications-untrusted", async () => {
    const { members, honest, nodes } = await cluster(1, 30);
    nodes[0]!.file = await publicationsFile([await publicationOf(honest, GENESIS + 10)], stranger.signer);
    const { monitor, alerts } = watch(nodes, members);
    await monitor.round();
    expect(alerts.map((a) => a.kind)).toEqual(["publications-untrusted"]);
  });

  it("a publication after the newest certified root waits until a root covers it", async () => {
    const { members, honest, nodes } = await cluster(1, 30);
    nodes[0]!.lag = 5;
    nodes[0]!.file = await publicationsFile([await publicationOf(honest, GENESIS + 27)], authority.signer);
    const { monitor, alerts } = watch(nodes, members, { publicationsIntervalMs: 1 });
    await monitor.round();
    expect(monitor.verifiedPublications).toEqual([]);
    nodes[0]!.lag = 0;
    await monitor.round();
    expect(monitor.verifiedPublications).toHaveLength(1);
    expect(alerts).toEqual([]);
  });
});

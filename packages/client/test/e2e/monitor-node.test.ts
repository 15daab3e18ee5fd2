import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkCalendarConsistency, decodeCalendarChain, decodeTlv, fromHex } from "@tempel/proto";
import { Level } from "level";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bucket } from "../../../node/src/store/buckets.ts";
import { numberKey } from "../../../node/src/store/keys.ts";
import {
  initPublishingNodeDir,
  type PublishingNode,
  type PublishingNodeDir,
  publishedGenesis,
  startPublishingNode,
} from "../../../node/test/e2e/publication-harness.ts";
import { monitorCommand } from "../../src/cli/commands/monitor.ts";
import { TempelClient } from "../../src/index.ts";
import type { Alert } from "../../src/monitor/alert.ts";
import { Monitor } from "../../src/monitor/monitor.ts";

/**
 * The monitor against a real node (its calendar in LevelDB, publications every 5 seconds): a healthy
 * node under signing load raises nothing; a node whose stored calendar is edited by hand and that
 * keeps serving raises an alert carrying the roots and the proof.
 */

let dir: string;
let setup: PublishingNodeDir;
let node: PublishingNode;
let genesisFile: string;
let webhook: Server;
let webhookUrl: string;
const posted: Alert[] = [];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tempel-monitor-e2e-"));
  setup = await initPublishingNodeDir(dir, { intervalSeconds: 5 });
  // The start-up check is what refuses a tampered store; this node skips it, so that the test
  // shows the monitor catching a node that serves an altered calendar anyway.
  setup.config.store.startupCheckSeconds = 0;
  node = await startPublishingNode(setup.config, setup.publications);
  genesisFile = join(dir, "cluster-genesis.json");
  writeFileSync(genesisFile, JSON.stringify(publishedGenesis(node.genesis, setup.publications)));
  webhook = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      posted.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Alert);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, "127.0.0.1", resolve));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/alerts`;
});
afterAll(async () => {
  await node?.stop();
  await new Promise<void>((resolve) => webhook?.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** Until the node has certified a root and published once. */
async function untilPublished(): Promise<void> {
  for (let i = 0; i < 120 && node.service.file === undefined; i++) await sleep(250);
  expect(node.service.file).toBeDefined();
}

describe("tempel monitor against a node", () => {
  it("runs as a command: no alert for a healthy node under signing load, metrics served while it runs", async () => {
    await untilPublished();
    const client = new TempelClient({ endpoints: [node.url], agency: setup.init.agency });
    const lines: string[] = [];
    const load = (async () => {
      for (let i = 0; i < 8; i++) await client.signMany(Array.from({ length: 50 }, (_, j) => `${i}/${j}`));
    })();
    const command = monitorCommand(
      [
        "--genesis",
        genesisFile,
        "--rounds",
        "12",
        "--interval",
        "500",
        "--publications-interval",
        "1000",
        "--metrics-port",
        "0",
      ],
      { out: (text) => lines.push(text), err: (text) => lines.push(text) },
    );
    let metricsUrl: string | undefined;
    for (let i = 0; i < 40 && metricsUrl === undefined; i++) {
      await sleep(100);
      const started = lines
        .map((l) => JSON.parse(l) as { msg: string; metrics?: string })
        .find((l) => l.msg === "monitoring");
      metricsUrl = started?.metrics;
    }
    const scrape = await (await fetch(metricsUrl!)).text();
    expect(scrape).toContain("# TYPE tempel_monitor_alerts_total counter");
    await load;
    expect(await command).toBe(0);
    const records = lines.map((l) => JSON.parse(l) as { level: string; msg: string; alerts?: number });
    expect(records.filter((r) => r.level === "error")).toEqual([]);
    expect(records.at(-1)).toMatchObject({ msg: "stopped", alerts: 0 });
  });

  it("a node restarted on a hand-edited LevelDB leaf is caught in the next round, the alert carrying the proof", async () => {
    await untilPublished();
    const alerts: Alert[] = [];
    const monitor = new Monitor(
      {
        nodes: [node.url],
        trust: { members: node.genesis.members, quorum: node.genesis.quorum },
        webhookUrl,
      },
      { onAlert: (alert) => alerts.push(alert) },
    );
    await monitor.round();
    expect(alerts).toEqual([]);
    const seen = (await (await fetch(`${node.url}/v1/calendar/head`)).json()) as {
      certified: { time: number; root: string };
    };

    const port = Number(new URL(node.url).port);
    await node.stop();
    const db = new Level<Uint8Array, Uint8Array>(join(dir, "db"), {
      keyEncoding: "view",
      valueEncoding: "view",
    });
    const key = numberKey(Bucket.calendarLeaf, seen.certified.time);
    const leaf = (await db.get(key))!;
    leaf[leaf.length - 1]! ^= 0x01;
    await db.put(key, leaf);
    await db.close();
    node = await startPublishingNode(setup.config, setup.publications, port);

    for (let i = 0; i < 40 && alerts.length === 0; i++) {
      await sleep(250);
      await monitor.round();
    }
    expect(alerts.map((a) => a.kind)).toEqual(["rewritten-history"]);
    const { expected, found, proof } = alerts[0]!.evidence;
    expect(expected).toMatchObject({ node: node.url, time: seen.certified.time, root: seen.certified.root });
    expect(found!.time).toBeGreaterThan(seen.certified.time);
    const chain = decodeCalendarChain(decodeTlv(new Uint8Array(Buffer.from(proof!.chain, "base64"))));
    expect(
      checkCalendarConsistency(
        chain,
        { publicationTime: expected!.time, publishedHash: fromHex(expected!.root)! },
        { publicationTime: found!.time, publishedHash: fromHex(found!.root)! },
      ),
    ).toBe("older-root-mismatch");
    expect(posted).toEqual([JSON.parse(JSON.stringify(alerts[0]))]);
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { createLogger } from "../../src/logger/index.ts";
import { startNode } from "../../src/node.ts";
import { initTestNode } from "./node-fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "tempel-stop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("a node stops its components in the reverse of the order it started them, each once", async () => {
  const { config } = await initTestNode(dir);
  const lines: { msg: string; component?: string }[] = [];
  const logger = createLogger({
    level: "debug",
    format: "json",
    write: (line) => lines.push(JSON.parse(line)),
  });
  const node = await startNode(config, logger);
  await Promise.all([node.stop(), node.stop()]);
  await node.stop();
  const named = (msg: string) => lines.filter((line) => line.msg === msg).map((line) => line.component);
  const started = named("component started");
  expect(started).toEqual(["store", "tsa-signing", "network", "health", "agreement", "rounds", "api"]);
  expect(named("component stopped")).toEqual(started.toReversed());
});

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TempelClient } from "@tempel/client";
import { nodeHasher, nodeHttpTransport } from "@tempel/client/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../src/logger/logger.ts";
import { type RunningNode, startNode } from "../../src/node.ts";
import { initTestNode, randomImprint, TestClient } from "../e2e/node-fixtures.ts";

/**
 * Every @noble/hashes SHA-2 call made through proto (whose `nobleHasher` is what a function without
 * an injected hasher falls back to) is counted. Only modules Vitest loads are affected, so libp2p's and
 * @noble/curves' own hashing is not counted: what is left is the node's code and this test's clients,
 * which hash with nodeHasher.
 */
const noble = vi.hoisted(() => ({ calls: 0 }));
vi.mock("@noble/hashes/sha2.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("@noble/hashes/sha2.js")>();
  const counted = <F extends (message: Uint8Array) => Uint8Array>(hash: F): F =>
    Object.assign((message: Uint8Array) => {
      noble.calls++;
      return hash(message);
    }, hash);
  return {
    ...real,
    sha256: counted(real.sha256),
    sha384: counted(real.sha384),
    sha512: counted(real.sha512),
  };
});

let dir: string;
let node: RunningNode;
let client: TempelClient;
let json: TestClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tempel-hasher-"));
  const { init, config } = await initTestNode(dir);
  node = await startNode(config, silentLogger);
  client = new TempelClient({
    endpoints: [`http://127.0.0.1:${node.port}`],
    agency: init.agency,
    trust: { genesis: readFileSync(config.genesisFile, "utf8") },
    transport: nodeHttpTransport(),
    hasher: nodeHasher,
  });
  json = new TestClient(node.port, init.agency);
  // Constants computed once on first use (the calendar's empty roots) may use nobleHasher.
  await client.signMany([randomImprint(), randomImprint()].map((imprint) => ({ imprint })));
});

afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the node's request path", () => {
  it("hashes with the injected node:crypto hasher, never with the pure-JS fallback", async () => {
    noble.calls = 0;
    // KSI aggregator (PDU HMAC on decode and encode, the round's tree, the top tree), a batch.
    const signed = await client.signMany(Array.from({ length: 4 }, () => ({ imprint: randomImprint() })));
    const one = await client.sign({ imprint: randomImprint() });
    // KSI extender, and the checks of its answers.
    const extended = await client.extend(one, { to: "latest" });
    expect((await client.verify(extended, undefined, { policy: "calendar" })).result).toBe("OK");
    expect((await client.verify(signed[3]!, undefined, { policy: "key" })).result).toBe("OK");
    // JSON API: sign, and extend (the node verifies the signature against its calendar first).
    const [viaJson] = await json.signJson([randomImprint()]);
    const extendedViaJson = await json.postJson("/v1/extend", {
      signature: Buffer.from(one.encode()).toString("base64"),
    });
    expect(extendedViaJson.status, await extendedViaJson.clone().text()).toBe(200);
    expect(viaJson).toBeDefined();
    expect(noble.calls).toBe(0);
  });
});

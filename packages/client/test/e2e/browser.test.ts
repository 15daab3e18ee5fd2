import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type TestServer } from "./servers.ts";
import { type RunningTempelNode, startTempelNode, waitForCertifiedHead } from "./tempel-node.ts";

/**
 * The SDK core in a real browser: bundled by esbuild for the browser platform (which fails on any
 * Node-only import), served on 127.0.0.1, and run in headless Debian Chromium against a real node.
 * The page and the node are on different ports, so different origins: every POST the SDK sends
 * (content type application/ksi-request) goes through a CORS preflight the node must answer.
 */

const CHROMIUM = "/usr/bin/chromium";
const ENTRY = join(import.meta.dirname, "../../src/index.ts");

let node: RunningTempelNode;
let page: TestServer;
let browser: BrowserContext;
let profile: string;

const PAGE = `<!doctype html><meta charset="utf-8"><title>Tempel SDK</title><script type="module" src="/page.js"></script>`;

/** What the page does with the SDK; plain JavaScript, as a page of an agency's application would. */
const PAGE_SCRIPT = `
import { Signature, TempelClient } from "/tempel.js";

window.signAndVerify = async (nodeUrl, agency, genesis) => {
  const client = new TempelClient({ endpoints: [nodeUrl], agency, trust: { genesis } });
  const text = "signed in a browser";
  const fromBlob = await client.sign(new Blob([new TextEncoder().encode(text)]));
  const fromText = await client.sign(text);
  const decoded = Signature.decode(fromBlob.encode());
  return {
    agency: fromBlob.agency,
    sameHash: fromBlob.toJSON().inputHash === fromText.toJSON().inputHash,
    key: (await client.verify(fromBlob, text, { policy: "key" })).result,
    calendar: (await client.verify(fromText, text, { policy: "calendar" })).result,
    internal: (await decoded.verify(new Blob([text]), { policy: "internal" })).result,
    changed: (await client.verify(fromText, text + "!", { policy: "internal" })).code,
  };
};
`;

interface PageApi {
  signAndVerify(
    nodeUrl: string,
    agency: { loginId: string; key: string },
    genesis: string,
  ): Promise<Record<string, unknown>>;
}

async function bundle(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.contents;
}

describe.skipIf(!existsSync(CHROMIUM))(
  `the SDK in headless Chromium (${CHROMIUM}; apt-get install chromium)`,
  () => {
    beforeAll(async () => {
      const [started, script] = await Promise.all([startTempelNode(), bundle()]);
      node = started;
      page = await serve((request, response) => {
        request.resume();
        if (request.url === "/tempel.js") {
          response.writeHead(200, { "content-type": "text/javascript" }).end(script);
        } else if (request.url === "/page.js") {
          response.writeHead(200, { "content-type": "text/javascript" }).end(PAGE_SCRIPT);
        } else {
          response.writeHead(200, { "content-type": "text/html" }).end(PAGE);
        }
      });
      profile = await mkdtemp(join(tmpdir(), "tempel-chromium-"));
      browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      await waitForCertifiedHead(node.url);
    });

    afterAll(async () => {
      await browser?.close();
      await Promise.all([node?.stop(), page?.close()]);
      if (profile !== undefined) await rm(profile, { recursive: true, force: true });
    });

    it("signs a Blob and a string from another origin, verifies them with the cluster's keys and calendar, and rejects a changed document", async () => {
      const tab = await browser.newPage();
      await tab.goto(`${page.url}/`);
      const genesis = await readFile(node.genesisPath, "utf8");
      await tab.waitForFunction(() => "signAndVerify" in window);
      const outcome = await tab.evaluate(
        ([nodeUrl, agency, genesis]) =>
          (window as unknown as PageApi).signAndVerify(nodeUrl, agency, genesis),
        [node.url, node.agency, genesis] as const,
      );
      expect(outcome).toEqual({
        agency: node.agency.loginId,
        sameHash: true,
        key: "OK",
        calendar: "OK",
        internal: "OK",
        changed: "GEN-01",
      });
    });
  },
);

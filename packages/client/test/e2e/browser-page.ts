import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { type BrowserContext, chromium } from "playwright-core";
import { serve, type TestServer } from "./servers.ts";
import type { RunningTempelNode } from "./tempel-node.ts";

/**
 * The SDK in a real browser, as the browser tests drive it: a bundle made by esbuild for the browser
 * platform (which fails on any Node-only import), served on 127.0.0.1 with a page that signs and
 * verifies against a real node, in headless Debian Chromium. The page and the node are on different
 * ports, so different origins: every POST the SDK sends (content type application/ksi-request) goes
 * through a CORS preflight the node must answer.
 */

export const CHROMIUM = "/usr/bin/chromium";
export const HAS_CHROMIUM = existsSync(CHROMIUM);

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

/** What the page answers when everything works: both verifications OK, the changed text refused. */
export function expectedOutcome(node: RunningTempelNode): Record<string, unknown> {
  return {
    agency: node.agency.loginId,
    sameHash: true,
    key: "OK",
    calendar: "OK",
    internal: "OK",
    changed: "GEN-01",
  };
}

interface PageApi {
  signAndVerify(
    nodeUrl: string,
    agency: { loginId: string; key: string },
    genesis: string,
  ): Promise<Record<string, unknown>>;
}

/**
 * The SDK bundled as one ES module for browsers. `entry` is a module file, or `{ contents, resolveDir }`
 * for a module whose imports resolve from that folder (an app's node_modules); `conditions` are export
 * conditions to resolve packages with beside the bundler's own (the checkout's source condition).
 */
export async function bundleForBrowser(
  entry: string | { contents: string; resolveDir: string },
  conditions: string[] = [],
): Promise<Uint8Array> {
  const result = await build({
    conditions,
    ...(typeof entry === "string" ? { entryPoints: [entry] } : { stdin: { ...entry, loader: "js" } }),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.contents;
}

export interface BrowserPage {
  /** Open the page in a new tab and run its sign-and-verify against the node. */
  signAndVerify(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Serve `bundle` with the page and open Chromium on it; the node must be running. */
export async function openBrowserPage(bundle: Uint8Array, node: RunningTempelNode): Promise<BrowserPage> {
  const page: TestServer = await serve((request, response) => {
    request.resume();
    if (request.url === "/tempel.js") {
      response.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
    } else if (request.url === "/page.js") {
      response.writeHead(200, { "content-type": "text/javascript" }).end(PAGE_SCRIPT);
    } else {
      response.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    }
  });
  const profile = await mkdtemp(join(tmpdir(), "tempel-chromium-"));
  let browser: BrowserContext;
  try {
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
  } catch (error) {
    await page.close();
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    signAndVerify: async () => {
      const tab = await browser.newPage();
      await tab.goto(`${page.url}/`);
      const genesis = await readFile(node.genesisPath, "utf8");
      await tab.waitForFunction(() => "signAndVerify" in window);
      return tab.evaluate(
        ([nodeUrl, agency, genesis]) =>
          (window as unknown as PageApi).signAndVerify(nodeUrl, agency, genesis),
        [node.url, node.agency, genesis] as const,
      );
    },
    close: async () => {
      await browser.close();
      await page.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgencyBackend, startAgencyBackend } from "../../../../examples/browser/server.ts";
import { type RunningTempelNode, startTempelNode, waitForCertifiedHead } from "./tempel-node.ts";

/**
 * The example page of docs/sdk.md (examples/browser/) as an agency would run it: its server built and
 * started from the example's own code against a real node, the page loaded in headless Chromium. The
 * page talks to the node directly (cross-origin) only to read the calendar head, and signs through
 * the agency's server, so the agency's key never reaches the browser.
 */

const CHROMIUM = "/usr/bin/chromium";

let node: RunningTempelNode;
let backend: AgencyBackend;
let browser: BrowserContext;
let profile: string;

/** The page's result once it has settled on an answer after `action`. */
async function outcome(tab: Page, action: () => Promise<void>): Promise<Record<string, unknown>> {
  await tab.evaluate(() => {
    // Absent before the page is loaded.
    const result = document.getElementById("result");
    if (result !== null) delete result.dataset.state;
  });
  await action();
  await tab.waitForSelector("#result[data-state]", { timeout: 30_000 });
  const [state, text] = await tab.$eval("#result", (e) => [e.dataset.state, e.textContent ?? ""]);
  if (state !== "done") throw new Error(`the page reports an error: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

describe.skipIf(!existsSync(CHROMIUM))(
  `the browser example page in headless Chromium (${CHROMIUM}; apt-get install chromium)`,
  () => {
    beforeAll(async () => {
      node = await startTempelNode();
      backend = await startAgencyBackend({
        host: "127.0.0.1",
        port: 0,
        endpoints: [node.url],
        agency: node.agency,
        genesis: await readFile(node.genesisPath, "utf8"),
      });
      profile = await mkdtemp(join(tmpdir(), "tempel-chromium-"));
      browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
      });
      await waitForCertifiedHead(node.url);
    });

    afterAll(async () => {
      await browser?.close();
      await Promise.all([node?.stop(), backend?.close()]);
      if (profile !== undefined) await rm(profile, { recursive: true, force: true });
    });

    it("reads the node's head cross-origin, signs a file through the agency's server, verifies it with the members' keys and rejects a changed file", async () => {
      const tab = await browser.newPage();
      const loaded = await outcome(tab, () => tab.goto(`${backend.url}/`).then(() => undefined));
      expect(loaded).toMatchObject({ cluster: [node.url], certifiedUpTo: expect.any(Number) });

      const record = { name: "record.txt", mimeType: "text/plain", buffer: Buffer.from("record 42\n") };
      await tab.setInputFiles("#document", record);
      const signed = await outcome(tab, () => tab.click("#sign"));
      expect(signed).toMatchObject({
        signed: "record.txt",
        agency: node.agency.loginId,
        key: "OK",
        internal: "OK",
      });
      expect(await tab.isVisible("#download")).toBe(true);

      await tab.setInputFiles("#document", { ...record, buffer: Buffer.from("record 43\n") });
      const changed = await outcome(tab, () => tab.click("#verify"));
      expect(changed).toMatchObject({ verified: "record.txt", key: "GEN-01", internal: "GEN-01" });
      // The page's bundle carries no agency key: it never had one.
      const script = await (await fetch(`${backend.url}/main.js`)).text();
      expect(script).not.toContain(node.agency.key);
    });
  },
);

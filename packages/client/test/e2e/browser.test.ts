import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserPage,
  bundleForBrowser,
  CHROMIUM,
  expectedOutcome,
  HAS_CHROMIUM,
  openBrowserPage,
} from "./browser-page.ts";
import { type RunningTempelNode, startTempelNode, waitForCertifiedHead } from "./tempel-node.ts";

/** The SDK core from the checkout's sources, bundled for the browser, in headless Chromium. */

const ENTRY = join(import.meta.dirname, "../../src/index.ts");
/** The packages' export condition for their sources (docs/conventions.md, "Build"). */
const SOURCE_CONDITION = "tempel-source";

let node: RunningTempelNode;
let page: BrowserPage;

describe.skipIf(!HAS_CHROMIUM)(`the SDK in headless Chromium (${CHROMIUM}; apt-get install chromium)`, () => {
  beforeAll(async () => {
    const [started, bundle] = await Promise.all([
      startTempelNode(),
      bundleForBrowser(ENTRY, [SOURCE_CONDITION]),
    ]);
    node = started;
    page = await openBrowserPage(bundle, node);
    await waitForCertifiedHead(node.url);
  });

  afterAll(async () => {
    await page?.close();
    await node?.stop();
  });

  it("signs a Blob and a string from another origin, verifies them with the cluster's keys and calendar, and rejects a changed document", async () => {
    expect(await page.signAndVerify()).toEqual(expectedOutcome(node));
  });
});

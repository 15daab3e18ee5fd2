import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Imprint, type KsiSignature, toHex } from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InitResult } from "../../src/genesis/index.ts";
import { exited, initTestNode, randomImprint, sleep, spawnNode, TestClient } from "./node-fixtures.ts";

let dir: string;
let init: InitResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tempel-crash-"));
  ({ init } = await initTestNode(dir));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Answered {
  readonly imprint: Imprint;
  readonly signature: KsiSignature;
}

describe("kill -9 in the middle of signing", () => {
  it("loses no answered signature and changes no past calendar root", async () => {
    const first = await spawnNode(init.paths.config, ["--api-port", "0"]);
    const client = new TestClient(first.port, init.agency);
    const answered: Answered[] = [];
    const inFlight: Promise<void>[] = [];
    let lost = 0;
    const send = (imprints: Imprint[], sign: (i: Imprint[]) => Promise<KsiSignature[]>) => {
      const done = sign(imprints).then(
        (signatures) => {
          for (const [i, signature] of signatures.entries())
            answered.push({ imprint: imprints[i]!, signature });
        },
        () => {
          lost++; // not answered before the node died: may be lost
        },
      );
      inFlight.push(done);
    };
    const started = Date.now();
    while (Date.now() - started < 3_500) {
      send(Array.from({ length: 200 }, randomImprint), (i) => client.signJson(i));
      send(Array.from({ length: 16 }, randomImprint), (i) => client.signPdu(i));
      await sleep(50);
    }
    first.child.kill("SIGKILL");
    await exited(first.child);
    await Promise.all(inFlight);
    expect(answered.length).toBeGreaterThan(1000);
    expect(lost, "requests in flight when the node was killed").toBeGreaterThan(0);

    const second = await spawnNode(init.paths.config, ["--api-port", "0"]);
    try {
      const after = new TestClient(second.port, init.agency);
      const imprints = new Set(answered.map((a) => toHex(a.imprint)));
      expect(imprints.size).toBe(answered.length);
      const roots = new Map<number, string>();
      for (const { signature } of answered) {
        const { internal, calendar } = await after.verify(signature);
        expect(internal).toMatchObject({ result: "OK" });
        expect(calendar).toMatchObject({ result: "OK" });
        const published = signature.calendarAuthRecord!.publishedData;
        roots.set(published.publicationTime, toHex(published.publishedHash));
      }
      for (const [time, root] of roots) {
        const response = await fetch(`${after.base}/v1/calendar/chain?from=${time}&to=${time}`);
        expect(((await response.json()) as { root: string }).root).toBe(root);
      }
      const [fresh] = await after.signPdu([randomImprint()]);
      const { calendar } = await after.verify(fresh!);
      expect(calendar).toMatchObject({ result: "OK" });
    } finally {
      second.child.kill("SIGTERM");
      expect(await exited(second.child)).toBe(0);
    }
  });
});

import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { editToken, makeTestTsa, type TestTsa } from "../../../proto/test/unit/helpers/openssl-tsa.ts";
import { testPackPath } from "../../../proto/test/unit/helpers/testpack.ts";
import { type Run, tempel } from "../e2e/cli-process.ts";

/** `tempel verify` on RFC 3161 tokens that openssl ts -reply made, offline. */

const KSI = testPackPath("valid-signatures", "signature-extended.ksig");
const KSI_DIGEST = "11A700B0C8066C47ECBA05ED37BC14DCADB238552D86C659342D1D7E87B8772D";
const KSI_TIME = 1710452040;
const PUBLICATION = "AAAAAA-DF6NWU-2ANERL-ZQKP5E-WEEQEF-JT76EI-HLTKXG-FQKRZC-ZJJV4E-LAJNHZ-2WY22Z-C3V2JA";

let tsa: TestTsa;
/** A folder with no cluster description above it. */
let dir: string;
let ca: string;
const DOCUMENT = "contract.txt";

beforeAll(async () => {
  tsa = makeTestTsa();
  dir = await mkdtemp(join(tmpdir(), "tempel-tsr-"));
  ca = join(dir, "tsa-ca.pem");
  await writeFile(ca, tsa.caPem);
  await writeFile(join(dir, DOCUMENT), "the agreed text\n");
  const digest = createHash("sha256").update("the agreed text\n").digest("hex");
  await writeFile(join(dir, `${DOCUMENT}.tsr`), tsa.token(digest, tsa.tsa, { reply: true }));
  await writeFile(join(dir, "other.txt"), "another text\n");
  // A token over the test pack signature's hash, dated at its time, carrying it: a document known by
  // its hash only, signed by a TSA certificate that has expired since.
  const ksi = new Uint8Array(await readFile(KSI));
  const anchored = editToken(tsa.token(KSI_DIGEST, tsa.expired), {
    genTime: KSI_TIME,
    signWith: tsa.expired.keyPath,
    ksiSignature: ksi,
  });
  await writeFile(join(dir, "anchored.tsr"), anchored);
  await writeFile(join(dir, "altered.tsr"), editToken(anchored, { breakSignature: true }));
  await writeFile(join(dir, "junk.tsr"), new Uint8Array([0x30, 0x82, 0x01, 0x00, 1, 2, 3]));
});

afterAll(async () => {
  tsa?.remove();
  await rm(dir, { recursive: true, force: true });
});

/** `tempel verify` run as a user would, with none of the TEMPEL_* variables; the sources run as built. */
function verify(...args: string[]): Promise<Run> {
  return tempel(dir, ["verify", ...args], { env: { NODE_OPTIONS: process.env.NODE_OPTIONS } });
}

function json(run: Run, line = 0): Record<string, unknown> {
  return JSON.parse(run.stdout.trim().split("\n")[line]!) as Record<string, unknown>;
}

/** The runs the tests below look at, started together: each `tempel` process takes a second to load. */
const RUNS = {
  token: ["contract.txt", "--token", "contract.txt.tsr", "--tsa-ca", "CA"],
  // Several in one run, one JSON line each: a good token, an altered one, junk, a bare document.
  many: [
    "contract.txt.tsr",
    "altered.tsr",
    "junk.tsr",
    "other.txt",
    "--tsa-ca",
    "CA",
    "--pub-str",
    PUBLICATION,
    "--json",
  ],
  otherDocument: ["other.txt", "--token", "contract.txt.tsr", "--tsa-ca", "CA", "--json"],
  noCa: ["contract.txt.tsr"],
  expired: ["anchored.tsr", "--tsa-ca", "CA", "--pub-str", PUBLICATION],
  twoDocuments: ["contract.txt", "other.txt", "--token", "contract.txt.tsr"],
  badCa: ["contract.txt.tsr", "--tsa-ca", "other.txt"],
} as const;
const runs = {} as Record<keyof typeof RUNS, Run>;
let described: Run;

beforeAll(async () => {
  const names = Object.keys(RUNS) as (keyof typeof RUNS)[];
  const done = await Promise.all(
    names.map((name) => verify(...RUNS[name].map((arg) => (arg === "CA" ? ca : arg)))),
  );
  names.forEach((name, i) => {
    runs[name] = done[i]!;
  });
  // A cluster description naming the CA, as npm start writes it; its node need not run for this.
  const project = join(dir, "project");
  await mkdir(join(project, ".tempel"), { recursive: true });
  await writeFile(
    join(project, ".tempel", "cluster.json"),
    JSON.stringify({ nodes: [{ api: "http://127.0.0.1:9" }], tsaCaFile: "../../tsa-ca.pem" }),
  );
  described = await tempel(project, ["verify", join(dir, DOCUMENT), "--json"], {
    env: { NODE_OPTIONS: process.env.NODE_OPTIONS },
  });
}, 60_000);

describe("tempel verify on an RFC 3161 token", () => {
  it("checks FILE --token FILE.tsr against the TSA CA: the TSA key anchor holds, alone, and the text says the time rests on that key", () => {
    const run = runs.token;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^OK: the document existed at the token's time: proven by the TSA's key alone/,
    );
    expect(run.stdout).toContain("TSA key anchor HOLDS (TSA-OK)");
    expect(run.stdout).toContain("KSI anchor does not hold (KSI-ABSENT)");
  });

  it("finds the document beside FILE.tsr and reports in --json, one line per token", () => {
    expect(runs.many.stdout.trim().split("\n")).toHaveLength(3);
    expect(json(runs.many, 0)).toMatchObject({
      format: "rfc3161",
      result: "OK",
      code: null,
      token: `${DOCUMENT}.tsr`,
      document: DOCUMENT,
      heldBy: ["tsa"],
      imprint: { algorithm: "SHA-256" },
      tsaPolicy: "2.25.162000868886308349449106160060397384410.1.1",
      anchors: { tsa: { state: "held", code: "TSA-OK" }, ksi: { state: "not-held", code: "KSI-ABSENT" } },
    });
  });

  it("finds FILE.tsr beside FILE, with the TSA CA from the cluster description's tsaCaFile", () => {
    expect(described.code).toBe(0);
    expect(json(described)).toMatchObject({ result: "OK", heldBy: ["tsa"] });
  });

  it("fails a token checked against another document (exit 1)", () => {
    expect(runs.otherDocument.code).toBe(1);
    expect(json(runs.otherDocument)).toMatchObject({ result: "FAIL", code: "IMPRINT", heldBy: [] });
  });

  it("is inconclusive without a TSA CA or a KSI signature, and says to pass --tsa-ca (exit 4)", () => {
    expect(runs.noCa.code).toBe(4);
    expect(runs.noCa.stdout).toMatch(
      /^NA NO-ANCHOR: nothing wrong found, but neither anchor proves the time/,
    );
    expect(runs.noCa.stdout).toContain("next: pass --tsa-ca FILE");
  });

  it("holds on the KSI anchor alone when the TSA certificate has expired, and says the time stands without the TSA key", () => {
    const run = runs.expired;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "proven by the keyless KSI signature alone, which holds whatever became of the TSA's key",
    );
    expect(run.stdout).toContain("TSA key anchor does not hold (TSA-EXPIRED)");
    expect(run.stdout).toContain("KSI anchor HOLDS (KSI-OK)");
    expect(run.stdout).toContain("anchored to publication of 2024-03-14");
  });

  it("fails an altered token even though its KSI anchor holds, and bytes that are no token (exit 1)", () => {
    expect(runs.many.code).toBe(1);
    expect(json(runs.many, 1)).toMatchObject({
      token: "altered.tsr",
      result: "FAIL",
      code: "TSA-SIGNATURE",
      heldBy: ["ksi"],
    });
    expect(json(runs.many, 2)).toMatchObject({ token: "junk.tsr", result: "FAIL", code: "PARSE" });
  });

  it("takes --token with one document only, says where a document's signature was looked for, and refuses a TSA CA file that is no certificate (exit 2)", () => {
    expect(runs.twoDocuments.code).toBe(2);
    expect(runs.twoDocuments.stderr).toContain("--token goes with the one document");
    expect(runs.many.stderr).toContain("looked for other.txt.ksig and other.txt.tsr beside it");
    expect(runs.badCa.code).toBe(2);
    expect(runs.badCa.stderr).toContain("TSA CA file other.txt: ");
  });
});

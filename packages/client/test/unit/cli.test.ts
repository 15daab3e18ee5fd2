import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import {
  calendarChainOutput,
  decodePublicationString,
  ed25519PeerId,
  encodePublicationData,
  encodePublicationsFile,
  encodeSignature,
  encodeTlv,
  HashAlgorithm,
  hashImprint,
  type KsiSignature,
  toHex,
} from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testPackPath } from "../../../proto/test/unit/helpers/testpack.ts";
import {
  makeIdentity,
  SIGNATURE_OID,
  signDetachedCms,
  signRaw,
} from "../../../proto/test/unit/pki-fixtures.ts";
import { signedCalendar } from "../../../proto/test/unit/verification-fixtures.ts";
import { EXIT_CODES_HELP } from "../../src/cli/exit-codes.ts";
import { PUBLICATIONS_EMAIL, publicationsAuthority } from "../e2e/publications-fixture.ts";

const MAIN = join(import.meta.dirname, "../../src/cli/main.ts");

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Where `tempel` runs: an empty folder of its own, since it looks for a local cluster's
 * .tempel/cluster.json from its working folder up, and one in the checkout (`npm start`) would
 * give these offline runs endpoints to use.
 */
const CWD = mkdtempSync(join(tmpdir(), "tempel-cli-cwd-"));
afterAll(() => rm(CWD, { recursive: true, force: true }));

/** Runs `tempel` as a child process, as a user or a script would. */
function tempel(...args: string[]): Promise<Run> {
  return tempelIn(CWD, ...args);
}

function tempelIn(cwd: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The single JSON object a `--json` run prints. */
function json(run: Run): Record<string, unknown> {
  expect(run.stdout.trim().split("\n")).toHaveLength(1);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

const EXTENDED = testPackPath("valid-signatures", "signature-extended.ksig");
const EXTENDED_PUBLICATION =
  "AAAAAA-DF6NWU-2ANERL-ZQKP5E-WEEQEF-JT76EI-HLTKXG-FQKRZC-ZJJV4E-LAJNHZ-2WY22Z-C3V2JA";
const INT_04 = testPackPath(
  "internal-policy-signatures",
  "aggregation-chain",
  "invalid-signature-aggr-chain-aggr-time-int-value-wrong.tlv",
);
const UNPARSEABLE = testPackPath(
  "internal-policy-signatures",
  "aggregation-chain",
  "invalid-signature-aggr-chain-left-link-metadata-padding-wrong-order.tlv",
);
/** The input hash of signature-extended.ksig, as the pack's CSV states it. */
const EXTENDED_INPUT = "0111A700B0C8066C47ECBA05ED37BC14DCADB238552D86C659342D1D7E87B8772D";

describe("tempel", () => {
  it("--help lists the commands and the exit codes", async () => {
    const run = await tempel("--help");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("verify");
    expect(run.stdout).toContain("inspect");
    expect(run.stdout).toMatch(/4\s+NA/);
  });

  it("--version prints the version in @tempel/client's package.json", async () => {
    const manifest = JSON.parse(await readFile(join(import.meta.dirname, "../../package.json"), "utf8"));
    expect(await tempel("--version")).toMatchObject({ code: 0, stdout: `${manifest.version}\n`, stderr: "" });
  });

  it("every command's help shows the same exit code table as tempel --help", async () => {
    const runs = await Promise.all(
      ["--help", "sign", "verify", "extend", "inspect", "publications", "status", "monitor"].map((name) =>
        name === "--help" ? tempel(name) : tempel(name, "--help"),
      ),
    );
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(EXIT_CODES_HELP);
    }
    expect(EXIT_CODES_HELP).toMatch(/2 {2}usage: .*credentials refused/);
  });

  it("an unknown command is a usage error that points to --help", async () => {
    const run = await tempel("frobnicate");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("tempel --help");
  });

  it("help verify shows the verify options", async () => {
    const run = await tempel("help", "verify");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--publications-file");
  });
});

/** A signature of `content` that the internal policy can check: one aggregation chain, no calendar. */
function internalSignature(content: Uint8Array): KsiSignature {
  return {
    aggregationChains: [
      {
        aggregationTime: 1_700_000_000,
        chainIndex: [3n],
        inputHash: hashImprint(HashAlgorithm.SHA2_256, content),
        aggregationAlgorithm: HashAlgorithm.SHA2_256,
        links: [
          {
            direction: "left",
            levelCorrection: 0,
            sibling: { kind: "imprint", imprint: hashImprint(HashAlgorithm.SHA2_256, new Uint8Array(1)) },
          },
        ],
      },
    ],
  };
}

describe("tempel verify", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tempel-cli-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("--help documents the policies and exit codes", async () => {
    const run = await tempel("verify", "--help");
    expect(run.code).toBe(0);
    for (const word of ["--pub-str", "--policy", "calendar", "Exit codes"])
      expect(run.stdout).toContain(word);
  });

  it("verifies a signature against its publication string: OK, exit 0", async () => {
    const run = await tempel("verify", EXTENDED, "--pub-str", EXTENDED_PUBLICATION, "--json");
    expect(run.code).toBe(0);
    expect(json(run)).toMatchObject({ result: "OK", code: null, policy: "default" });
  });

  it("reports a broken signature with its KSI code: FAIL INT-04, exit 1", async () => {
    const run = await tempel("verify", INT_04, "--json");
    expect(run.code).toBe(1);
    expect(json(run)).toMatchObject({ result: "FAIL", code: "INT-04" });
  });

  it("reports bytes that are no signature as FAIL PARSE without a stack trace, exit 1", async () => {
    const run = await tempel("verify", UNPARSEABLE, "--json");
    expect(run.code).toBe(1);
    expect(json(run)).toMatchObject({ result: "FAIL", code: "PARSE" });
    expect(run.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it("is inconclusive, exit 4, when nothing to trust is given, and says what to pass", async () => {
    const run = await tempel("verify", EXTENDED);
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(/^NA GEN-02/);
    expect(run.stdout).toContain("next: pass --pub-str");
  });

  it("says calendar verification needs an extender: NA, exit 4", async () => {
    const run = await tempel("verify", EXTENDED, "--policy", "calendar", "--json");
    expect(run.code).toBe(4);
    expect(json(run)).toMatchObject({ result: "NA", code: "GEN-02" });
  });

  it("checks a document hash: OK for the signed one, GEN-01 and GEN-04 for others", async () => {
    const same = await tempel(
      "verify",
      EXTENDED,
      "--policy",
      "internal",
      "--document-hash",
      EXTENDED_INPUT,
      "--json",
    );
    expect(json(same)).toMatchObject({ result: "OK" });
    const other = `01${"00".repeat(32)}`;
    const wrong = await tempel(
      "verify",
      EXTENDED,
      "--policy",
      "internal",
      "--document-hash",
      other,
      "--json",
    );
    expect(wrong.code).toBe(1);
    expect(json(wrong)).toMatchObject({ code: "GEN-01" });
    const sha512 = `05${"00".repeat(64)}`;
    const algorithm = await tempel(
      "verify",
      EXTENDED,
      "--policy",
      "internal",
      "--document-hash",
      sha512,
      "--json",
    );
    expect(json(algorithm)).toMatchObject({ code: "GEN-04" });
  });

  it("finds FILE.ksig beside a document FILE and checks the document", async () => {
    const document = join(dir, "report.txt");
    const content = new TextEncoder().encode("quarterly report\n");
    await writeFile(document, content);
    await writeFile(`${document}.ksig`, encodeSignature(internalSignature(content)));
    const ok = await tempel("verify", document, "--policy", "internal", "--json");
    expect(ok.code).toBe(0);
    expect(json(ok)).toMatchObject({ result: "OK", document, signature: `${document}.ksig` });
    await writeFile(document, "quarterly report, edited\n");
    const edited = await tempel("verify", document, "--policy", "internal", "--json");
    expect(edited.code).toBe(1);
    expect(json(edited)).toMatchObject({ result: "FAIL", code: "GEN-01" });
  });

  it("checks the document beside a .ksig named on the command line and names it; --signature-only checks the signature alone", async () => {
    const document = join(dir, "invoice.txt");
    const content = new TextEncoder().encode("invoice 42\n");
    await writeFile(document, content);
    await writeFile(`${document}.ksig`, encodeSignature(internalSignature(content)));
    const ok = await tempel("verify", `${document}.ksig`, "--policy", "internal");
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`document:  ${document}`);
    await writeFile(document, "invoice 42, changed\n");
    const changed = await tempel("verify", `${document}.ksig`, "--policy", "internal", "--json");
    expect(changed.code).toBe(1);
    expect(json(changed)).toMatchObject({ result: "FAIL", code: "GEN-01", document });
    const alone = await tempel(
      "verify",
      `${document}.ksig`,
      "--policy",
      "internal",
      "--signature-only",
      "--json",
    );
    expect(alone.code).toBe(0);
    expect(json(alone)).not.toHaveProperty("document");
    const both = await tempel("verify", `${document}.ksig`, "--signature-only", "--document", document);
    expect(both.code).toBe(2);
  });

  it("says no signature was found, and where it looked, for a document without FILE.ksig: exit 2, not FAIL", async () => {
    const document = join(dir, "unsigned.txt");
    await writeFile(document, "never signed\n");
    const run = await tempel("verify", document, "--json");
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`no signature found for ${document}`);
    expect(run.stderr).toContain(`${document}.ksig`);
    const missing = await tempel("verify", join(dir, "nowhere.txt"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nowhere.txt.ksig");
  });

  it("shows when the document was signed, the agency and the publication the proof rests on, as text and JSON", async () => {
    const text = await tempel("verify", EXTENDED, "--pub-str", EXTENDED_PUBLICATION);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("signed at: 2024-03-14T21:34:00Z (1710452040)");
    expect(text.stdout).toMatch(/agency: {4}\S/);
    expect(text.stdout).toMatch(
      new RegExp(
        `anchored to: publication of \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z \\(\\d+\\), code ${EXTENDED_PUBLICATION}`,
      ),
    );
    const report = json(await tempel("verify", EXTENDED, "--pub-str", EXTENDED_PUBLICATION, "--json"));
    expect(report).toMatchObject({
      signedAt: { unix: 1_710_452_040, iso: "2024-03-14T21:34:00.000Z" },
      anchor: { kind: "publication", code: EXTENDED_PUBLICATION },
    });
    expect(report).toHaveProperty("agency");
  });

  it("verifies many files and a glob in one run, with a summary line and the worst result as the exit code", async () => {
    const batch = join(dir, "batch");
    await mkdir(batch);
    const inBatch = (...names: string[]) => names.map((name) => join(batch, name));
    const verifyAll = (...args: string[]) => tempel("verify", ...args, "--pub-str", EXTENDED_PUBLICATION);
    for (const name of ["a", "b"]) await copyFile(EXTENDED, join(batch, `${name}.ksig`));
    const good = await verifyAll(...inBatch("*.ksig"));
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain(join(batch, "a.ksig"));
    expect(good.stdout).toContain(join(batch, "b.ksig"));
    expect(good.stdout).toContain("2 checked: 2 OK");
    await copyFile(INT_04, join(batch, "c.ksig"));
    await writeFile(join(batch, "d.txt"), "no signature for me\n");
    const mixed = await verifyAll(...inBatch("*.ksig", "d.txt"), "--json");
    expect(mixed.code).toBe(1);
    const lines = mixed.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { result: string });
    expect(lines.map((line) => line.result)).toEqual(["OK", "OK", "FAIL"]);
    expect(mixed.stderr).toContain("no signature found for");
    const noSignature = await verifyAll(...inBatch("a.ksig", "d.txt"));
    expect(noSignature.code).toBe(2);
    expect(noSignature.stdout).toContain("2 checked: 1 OK, 1 without a signature");
    expect((await tempel("verify", join(batch, "*.none"))).code).toBe(2);
    // A signature whose document cannot be read is reported with the others, not the end of the run.
    await mkdir(join(batch, "e.txt"));
    await copyFile(EXTENDED, join(batch, "e.txt.ksig"));
    const unreadable = await verifyAll(...inBatch("a.ksig", "e.txt"));
    expect(unreadable.code).toBe(2);
    expect(unreadable.stdout).toContain("2 checked: 1 OK, 1 unreadable");
    expect(unreadable.stderr).toContain("cannot read document");
  });

  it("refuses a publications file whose signature nothing can check (no --trust-anchor, no genesis authority): exit 2, never OK", async () => {
    const file = join(dir, "publications.bin");
    const publishedData = decodePublicationString(EXTENDED_PUBLICATION);
    const bytes = await encodePublicationsFile(
      {
        header: { version: 1, creationTime: publishedData.publicationTime + 86_400 },
        certificates: [],
        publications: [{ publishedData, references: [], repositoryUris: [] }],
      },
      () => new Uint8Array([0x30, 0x00]),
    );
    await writeFile(file, bytes);
    // A file anyone could have written, with a publication that matches the signature.
    const run = await tempel("verify", EXTENDED, "--publications-file", file, "--json");
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("nothing to check its signature against");
    expect(run.stderr).toContain("--trust-anchor FILE");
    expect(run.stderr).toContain("--config FILE");
    const untrusted = await tempel("verify", EXTENDED, "--publications-file", file, "--trust-anchor", file);
    expect(untrusted.code).toBe(2);
    expect(untrusted.stderr).toContain("cannot be used");
  });

  it("rejects bad arguments with exit 2 and a message", async () => {
    const cases: string[][] = [
      ["verify", EXTENDED, "--bogus"],
      ["verify"],
      ["verify", EXTENDED, "--policy", "trust-me"],
      ["verify", EXTENDED, "--level", "256"],
      ["verify", EXTENDED, "--pub-str", "AAAAAA-NOT-A-CODE"],
      ["verify", EXTENDED, "--document-hash", "zz"],
      ["verify", EXTENDED, "--document", EXTENDED, "--document-hash", EXTENDED_INPUT],
      ["verify", EXTENDED, "--publications-file", EXTENDED, "--cnstr", "E=x@y"],
      ["verify", join(dir, "missing.ksig")],
    ];
    const runs = await Promise.all(cases.map((args) => tempel(...args)));
    runs.forEach((run, i) => {
      expect(run.code, cases[i]!.join(" ")).toBe(2);
      expect(run.stderr, cases[i]!.join(" ")).toMatch(/^tempel verify: /);
    });
  });
});

/**
 * Issue #14's attack through the CLI: a document dated 2001, its calendar root authenticated only by
 * member 0's calendar key, whose certificate the cluster's (genuine, checked) publications file lists.
 */
describe("tempel verify with the cluster's genesis", () => {
  let dir: string;
  const paths = { signature: "", file: "", anchor: "", cluster: "" };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tempel-cli-genesis-"));
    const keys = [0, 1, 2].map(() => ed25519.getPublicKey(ed25519.utils.randomSecretKey()));
    const genesis = {
      version: 1,
      members: keys.map((key) => ({ id: ed25519PeerId(key), publicKey: toHex(key) })),
      quorum: 2,
    };
    const memberKey = await makeIdentity({
      kind: "RSA",
      commonName: "member 0's calendar key",
      serial: 40,
      notBefore: new Date("2000-01-01Z"),
      notAfter: new Date("2040-01-01Z"),
    });
    const certificateId = new Uint8Array([9, 9, 9, 9]);
    const authority = await publicationsAuthority();
    const file = await encodePublicationsFile(
      {
        header: { version: 1, creationTime: Math.floor(Date.now() / 1000) },
        certificates: [{ id: certificateId, der: memberKey.der }],
        publications: [],
      },
      (bytes) => signDetachedCms(authority.signer, [authority.signer, authority.ca], bytes),
    );
    const forged = await signedCalendar({ genesisTime: 978_307_200 });
    const chain = forged.signature.calendarChain!;
    const root = { publicationTime: chain.publicationTime, publishedHash: calendarChainOutput(chain) };
    const signature: KsiSignature = {
      ...forged.signature,
      calendarAuthRecord: {
        publishedData: root,
        signatureData: {
          signatureType: SIGNATURE_OID.RSA,
          signatureValue: await signRaw(memberKey, encodeTlv(encodePublicationData(root))),
          certificateId,
        },
      },
    };
    paths.signature = join(dir, "contract-2001.ksig");
    paths.file = join(dir, "publications.bin");
    paths.anchor = join(dir, "ca.der");
    paths.cluster = join(dir, "cluster.json");
    await writeFile(paths.signature, encodeSignature(signature));
    await writeFile(paths.file, file);
    await writeFile(paths.anchor, authority.ca.der);
    await writeFile(join(dir, "genesis.json"), JSON.stringify(genesis));
    // The same members, with the publications authority that signed the file named in the genesis.
    const pem = Buffer.from(authority.ca.der).toString("base64").replace(/.{64}/g, "$&\n");
    await writeFile(
      join(dir, "genesis-authority.json"),
      JSON.stringify({
        ...genesis,
        publications: {
          intervalSeconds: 300,
          authority: {
            certificate: `-----BEGIN CERTIFICATE-----\n${pem}\n-----END CERTIFICATE-----\n`,
            email: PUBLICATIONS_EMAIL,
          },
        },
      }),
    );
    await writeFile(
      paths.cluster,
      JSON.stringify({ nodes: [{ api: "http://127.0.0.1:1" }], genesis: "genesis.json" }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const fileArgs = () => [
    "--publications-file",
    paths.file,
    "--trust-anchor",
    paths.anchor,
    "--cnstr",
    `E=${PUBLICATIONS_EMAIL}`,
  ];

  it("a root only one member's calendar key authenticates is NA TEM-01, exit 4, and the CLI says why", async () => {
    for (const policy of ["key", "default"]) {
      const run = await tempel(
        "verify",
        paths.signature,
        "--config",
        paths.cluster,
        "--policy",
        policy,
        ...fileArgs(),
      );
      expect(run.code, run.stderr).toBe(4);
      expect(run.stdout).toContain(
        "NA TEM-01: Calendar root not certified by a quorum of the cluster's members",
      );
      expect(run.stdout).toContain("one member's key");
      expect(run.stdout).toContain("next: the cluster's quorum has not certified this calendar root");
    }
  });

  it("takes the genesis from --genesis, or from .tempel/trust.json above the working folder, with no cluster: NA TEM-01 as with it", async () => {
    const run = await tempel(
      "verify",
      paths.signature,
      "--genesis",
      join(dir, "genesis.json"),
      "--policy",
      "key",
      "--json",
      ...fileArgs(),
    );
    expect(run.code, run.stderr).toBe(4);
    expect(json(run)).toMatchObject({ result: "NA", code: "TEM-01" });
    const project = join(dir, "project");
    await mkdir(join(project, ".tempel"), { recursive: true });
    await mkdir(join(project, "deep", "below"), { recursive: true });
    await writeFile(join(project, ".tempel", "trust.json"), JSON.stringify({ genesis: "../genesis.json" }));
    await copyFile(join(dir, "genesis.json"), join(project, "genesis.json"));
    const found = await tempelIn(
      join(project, "deep", "below"),
      "verify",
      paths.signature,
      "--policy",
      "key",
      "--json",
      ...fileArgs(),
    );
    expect(found.code, found.stderr).toBe(4);
    expect(json(found)).toMatchObject({ result: "NA", code: "TEM-01" });
  });

  it("offline, uses the publications file the trust file kept, checked against the genesis' authority, and refuses one signed by anyone else", async () => {
    const kept = join(dir, "kept");
    await mkdir(join(kept, ".tempel"), { recursive: true });
    await copyFile(join(dir, "genesis-authority.json"), join(kept, ".tempel", "genesis.json"));
    await copyFile(paths.file, join(kept, ".tempel", "publications.bin"));
    await writeFile(
      join(kept, ".tempel", "trust.json"),
      JSON.stringify({ genesis: "genesis.json", publicationsFile: "publications.bin" }),
    );
    const run = await tempelIn(kept, "verify", paths.signature, "--policy", "key", "--json");
    expect(run.code, run.stderr).toBe(4);
    expect(json(run)).toMatchObject({
      code: "TEM-01",
      publicationsFile: { path: join(kept, ".tempel", "publications.bin"), signature: "verified" },
    });
    // A file signed under a CA the genesis does not name is not trusted because the trust file names it.
    const stranger = await publicationsAuthority();
    await writeFile(
      join(kept, ".tempel", "publications.bin"),
      await encodePublicationsFile(
        {
          header: { version: 1, creationTime: Math.floor(Date.now() / 1000) },
          certificates: [],
          publications: [],
        },
        (bytes) => signDetachedCms(stranger.signer, [stranger.signer, stranger.ca], bytes),
      ),
    );
    const forged = await tempelIn(kept, "verify", paths.signature, "--policy", "key");
    expect(forged.code).toBe(2);
    expect(forged.stderr).toContain("cannot be used");
  });

  it("without the genesis the same signature verifies as KSI says: OK by any one listed key", async () => {
    const run = await tempel("verify", paths.signature, "--policy", "key", "--json", ...fileArgs());
    expect(run.code, run.stderr).toBe(0);
    expect(json(run)).toMatchObject({ result: "OK", publicationsFile: { signature: "verified" } });
  });
});

describe("tempel inspect", () => {
  it("shows times in ISO 8601, the chains and the publication record", async () => {
    const run = await tempel("inspect", EXTENDED);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("signed at:    2024-03-14T21:34:00Z (1710452040)");
    expect(run.stdout).toContain("calendar chain:");
    expect(run.stdout).toContain(EXTENDED_PUBLICATION);
    expect(run.stdout).toContain(EXTENDED_INPUT.toLowerCase());
  });

  it("--json prints the signature as JSON", async () => {
    const run = await tempel("inspect", EXTENDED, "--json");
    expect(run.code).toBe(0);
    const signature = JSON.parse(run.stdout) as { inputHash: string; aggregationChains: unknown[] };
    expect(signature.inputHash).toBe(EXTENDED_INPUT.toLowerCase());
    expect(signature.aggregationChains.length).toBeGreaterThan(0);
  });

  it("says a file is not a signature with exit 1", async () => {
    const run = await tempel("inspect", UNPARSEABLE);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("is not a KSI signature");
  });
});

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { decodeSignature, encodePublicationString, HashAlgorithm, hashImprint, toHex } from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { editToken, makeTestTsa } from "../../../proto/test/unit/helpers/openssl-tsa.ts";
import { TempelClient } from "../../src/index.ts";
import { type Run, tempel, writeClusterFile } from "./cli-process.ts";
import {
  PUBLICATIONS_EMAIL,
  type PublicationsAuthority,
  publicationsAuthority,
  publicationsFile,
  servePublications,
} from "./publications-fixture.ts";
import { deadEndpoint, type TestServer } from "./servers.ts";
import { type RunningTempelNode, startTempelNode, waitForCertifiedHead } from "./tempel-node.ts";

let node: RunningTempelNode;
let authority: PublicationsAuthority;
let publications: TestServer;
let published: Uint8Array = new Uint8Array(0);
/** A folder with .tempel/cluster.json describing the node, as `npm start` leaves it. */
let project: string;
/** A folder with no cluster description above it. */
let elsewhere: string;
let anchor: string;

function inProject(...args: string[]): Promise<Run> {
  return tempel(project, args);
}

function publicationArgs(): string[] {
  return ["--publications-url", `${publications.url}/publications.bin`, "--trust-anchor", anchor];
}

/** Publish the newest certified root after `time` in the served publications file; its code. */
async function publishAfter(time: number): Promise<string> {
  const sdk = new TempelClient({ endpoints: [node.url] });
  for (;;) {
    const certified = (await sdk.head()).certified;
    if (certified !== undefined && certified.time > time) {
      const publication = { publicationTime: certified.time, publishedHash: certified.root };
      published = await publicationsFile(authority, [publication]);
      return encodePublicationString(publication);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  [node, authority] = await Promise.all([startTempelNode(), publicationsAuthority()]);
  publications = await servePublications(() => published);
  project = await mkdtemp(join(tmpdir(), "tempel-cli-"));
  elsewhere = await mkdtemp(join(tmpdir(), "tempel-cli-bare-"));
  await writeClusterFile(project, node);
  anchor = join(project, "ca.der");
  await writeFile(anchor, authority.ca.der);
  await waitForCertifiedHead(node.url);
});

afterAll(async () => {
  await Promise.all([node?.stop(), publications?.close()]);
  await Promise.all([project, elsewhere].map((dir) => dir && rm(dir, { recursive: true, force: true })));
});

describe("tempel sign, verify, extend, verify", () => {
  it("signs a file into FILE.ksig, verifies it, extends it to the latest root and to a publication, verifies again", async () => {
    const file = join(project, "minutes.txt");
    await writeFile(file, "minutes of the meeting\n");
    const signed = await inProject("sign", "minutes.txt");
    expect(signed).toMatchObject({ code: 0 });
    expect(signed.stdout).toContain("signed minutes.txt → minutes.txt.ksig");
    expect(signed.stdout).toContain(`for ${node.agency.loginId}`);
    expect(await inProject("verify", "minutes.txt", "--policy", "internal")).toMatchObject({ code: 0 });
    expect((await inProject("inspect", "minutes.txt.ksig")).stdout).toContain(
      `requested by: ${node.agency.loginId}`,
    );

    const latest = await inProject("extend", "minutes.txt.ksig");
    expect(latest).toMatchObject({ code: 0 });
    expect(latest.stdout).toContain("certified by 1 cluster member");
    expect(await inProject("verify", "minutes.txt", "--policy", "internal")).toMatchObject({ code: 0 });

    const signedAt = JSON.parse((await inProject("inspect", "minutes.txt.ksig", "--json")).stdout)
      .aggregationTime.unix;
    const code = await publishAfter(signedAt);
    const toPublication = await inProject(
      "extend",
      "minutes.txt.ksig",
      "--to",
      "publication",
      ...publicationArgs(),
    );
    expect(toPublication).toMatchObject({ code: 0 });
    expect(toPublication.stdout).toContain(`published as ${code}`);
    const verified = await inProject("verify", "minutes.txt", "--pub-str", code, "--json");
    expect(verified).toMatchObject({ code: 0 });
    expect(JSON.parse(verified.stdout)).toMatchObject({ result: "OK", policy: "default" });
    await writeFile(file, "minutes of the meeting, amended\n");
    expect(await inProject("verify", "minutes.txt", "--pub-str", code)).toMatchObject({ code: 1 });
  });

  it("signs standard input into -o FILE, verifies, extends and verifies again", async () => {
    const data = new TextEncoder().encode("streamed from a pipe\n".repeat(1000));
    await writeFile(join(project, "piped.txt"), data);
    const signed = await tempel(project, ["sign", "-", "-o", "piped.ksig"], { stdin: data });
    expect(signed).toMatchObject({ code: 0 });
    expect(signed.stdout).toContain("tempel verify piped.ksig --document FILE");
    const document = ["--document", "piped.txt", "--policy", "internal"];
    expect(await inProject("verify", "piped.ksig", ...document)).toMatchObject({ code: 0 });
    expect(await inProject("extend", "piped.ksig", "--json")).toMatchObject({ code: 0 });
    expect(await inProject("verify", "piped.ksig", ...document)).toMatchObject({ code: 0 });
  });

  it("signs a given imprint, writes the signature to standard output, verifies, extends and verifies again", async () => {
    const imprint = toHex(hashImprint(HashAlgorithm.SHA2_256, new TextEncoder().encode("hashed elsewhere")));
    const signed = await inProject("sign", "--hash", imprint, "-o", "-");
    expect(signed).toMatchObject({ code: 0 });
    expect(signed.stderr).toContain("1 signature in");
    await writeFile(join(project, "imprint.ksig"), signed.output);
    const document = ["--document-hash", imprint, "--policy", "internal"];
    expect(await inProject("verify", "imprint.ksig", ...document)).toMatchObject({ code: 0 });
    const extended = await inProject("extend", "imprint.ksig", "--json");
    expect(extended).toMatchObject({ code: 0 });
    expect(JSON.parse(extended.stdout)).toMatchObject({ signature: "imprint.ksig", quorumCertificate: true });
    expect(await inProject("verify", "imprint.ksig", ...document)).toMatchObject({ code: 0 });
  });

  it("signs many files in one go and reports each as JSON", async () => {
    const names = Array.from({ length: 12 }, (_, i) => `batch-${i}.txt`);
    await Promise.all(names.map((name, i) => writeFile(join(project, name), `file ${i}`)));
    const signed = await inProject("sign", ...names, "--json");
    expect(signed).toMatchObject({ code: 0 });
    const report = JSON.parse(signed.stdout) as {
      signed: { input: string; signature: string; agency: string }[];
    };
    expect(report.signed.map((s) => s.signature)).toEqual(names.map((name) => `${name}.ksig`));
    for (const name of names) expect(existsSync(join(project, `${name}.ksig`))).toBe(true);
    expect(await inProject("verify", names[7]!, "--policy", "internal")).toMatchObject({ code: 0 });
  });

  it("verifies a fresh signature against the quorum certificate, naming the signing time, the agency and k of N members", async () => {
    await writeFile(join(project, "fresh.txt"), "signed and checked at once\n");
    expect(await inProject("sign", "fresh.txt")).toMatchObject({ code: 0 });
    const run = await inProject("verify", "fresh.txt.ksig");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("document:  fresh.txt");
    expect(run.stdout).toMatch(/signed at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+\)/);
    expect(run.stdout).toContain(`agency:    ${node.agency.loginId}`);
    expect(run.stdout).toMatch(
      /anchored to: quorum certificate of the calendar root at .*: 1 of 1 members \(quorum 1\)/,
    );
  });

  it("verifies offline, far from any cluster description, with the genesis a single node's tempel-node init wrote (--genesis)", async () => {
    await writeFile(join(project, "offline.txt"), "to be checked where no cluster is\n");
    expect(await inProject("sign", "offline.txt")).toMatchObject({ code: 0 });
    const copy = join(elsewhere, "offline.txt");
    await writeFile(copy, "to be checked where no cluster is\n");
    await writeFile(`${copy}.ksig`, await readFile(join(project, "offline.txt.ksig")));
    const untrusted = await tempel(elsewhere, ["verify", "offline.txt"]);
    expect(untrusted.code).toBe(4);
    const run = await tempel(elsewhere, ["verify", "offline.txt", "--genesis", node.genesisPath]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^OK/);
    expect(run.stdout).toContain("1 of 1 members (quorum 1)");
  });

  it("verifies an RFC 3161 token carrying the node's KSI signature on both anchors, the KSI one by the quorum; openssl ts -verify still accepts the token", async () => {
    const text = "time-stamped by a TSA and by the cluster\n";
    await writeFile(join(project, "tsa.txt"), text);
    expect(await inProject("sign", "tsa.txt", "-o", "tsa.ksig")).toMatchObject({ code: 0 });
    const ksi = new Uint8Array(await readFile(join(project, "tsa.ksig")));
    // The token a Tempel TSA would give: openssl's, at the signature's round, carrying it.
    const tsa = makeTestTsa();
    try {
      const token = editToken(tsa.token(createHash("sha256").update(text).digest("hex"), tsa.tsa), {
        genTime: decodeSignature(ksi).aggregationChains[0]!.aggregationTime,
        signWith: tsa.tsa.keyPath,
        ksiSignature: ksi,
      });
      await writeFile(join(project, "tsa.txt.tsr"), token);
      await writeFile(join(project, "tsa-ca.pem"), tsa.caPem);
      const run = await inProject("verify", "tsa.txt.tsr", "--tsa-ca", "tsa-ca.pem");
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain("proven by both anchors");
      expect(run.stdout).toMatch(
        /KSI anchor HOLDS .*quorum certificate of the calendar root at .*: 1 of 1 members/,
      );
      expect(run.stdout).toContain(`agency ${node.agency.loginId}`);
      await promisify(execFile)(
        "openssl",
        ["ts", "-verify", "-data", "tsa.txt", "-in", "tsa.txt.tsr", "-token_in", "-CAfile", "tsa-ca.pem"],
        { cwd: project },
      );
    } finally {
      tsa.remove();
    }
  });

  it("keeps the cluster description's agency credentials when --endpoint names the nodes", async () => {
    await writeFile(join(project, "endpoint.txt"), "signed through a named endpoint");
    const run = await inProject("sign", "endpoint.txt", "--endpoint", node.url);
    expect(run.code, run.stderr).toBe(0);
  });

  it("gives every time in --json as Unix seconds and ISO 8601: sign, verify, extend, status, publications", async () => {
    await writeFile(join(project, "times.txt"), "when was this?");
    const time = { unix: expect.any(Number), iso: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/) };
    const signed = JSON.parse((await inProject("sign", "times.txt", "--json")).stdout);
    expect(signed.signed[0].aggregationTime).toEqual(time);
    const verified = JSON.parse((await inProject("verify", "times.txt", "--json")).stdout);
    expect(verified.signedAt).toEqual(time);
    const extended = JSON.parse((await inProject("extend", "times.txt.ksig", "--json")).stdout);
    expect(extended).toMatchObject({ aggregationTime: time, publicationTime: time });
    const status = JSON.parse((await inProject("status", "--json")).stdout);
    expect(status.nodes[0].head).toEqual(time);
    await publishAfter(0);
    const listed = JSON.parse((await inProject("publications", "--json", ...publicationArgs())).stdout);
    expect(listed.created).toEqual(time);
    expect(listed.publications[0].time).toEqual(time);
  });

  it("finds the cluster through TEMPEL_* variables where no cluster description is", async () => {
    await writeFile(join(elsewhere, "env.txt"), "configured by environment");
    const env = {
      TEMPEL_ENDPOINTS: node.url,
      TEMPEL_LOGIN: node.agency.loginId,
      TEMPEL_KEY: node.agency.key,
    };
    expect(await tempel(elsewhere, ["sign", "env.txt"], { env })).toMatchObject({ code: 0 });
    const config = join(project, ".tempel", "cluster.json");
    expect(await tempel(elsewhere, ["status", "--config", config])).toMatchObject({ code: 0 });
  });
});

describe("the agency key", () => {
  it("signs with the key from --key-file, without the warning --key draws", async () => {
    await writeFile(join(elsewhere, "keyed.txt"), "signed with a key file");
    const keyFile = join(elsewhere, "agency.key");
    await writeFile(keyFile, `${node.agency.key}\n`, { mode: 0o600 });
    const agency = ["--endpoint", node.url, "--login", node.agency.loginId];
    const fromFile = await tempel(elsewhere, ["sign", "keyed.txt", ...agency, "--key-file", keyFile]);
    expect(fromFile).toMatchObject({ code: 0 });
    expect(fromFile.stderr).not.toContain("warning");
    const fromFlag = await tempel(elsewhere, [
      "sign",
      "keyed.txt",
      "--force",
      ...agency,
      "--key",
      node.agency.key,
    ]);
    expect(fromFlag).toMatchObject({ code: 0 });
    expect(fromFlag.stderr).toContain("warning: --key puts the agency key where other users");
  });
});

describe("tempel sign errors", () => {
  it("says how to name a cluster when there is none (exit 2)", async () => {
    await writeFile(join(elsewhere, "lonely.txt"), "no cluster here");
    const run = await tempel(elsewhere, ["sign", "lonely.txt"]);
    expect(run).toMatchObject({ code: 2 });
    expect(run.stderr).toContain("--endpoint URL");
    expect(run.stderr).toContain("npm start");
  });

  it("refuses to overwrite a signature unless --force (exit 2)", async () => {
    await writeFile(join(project, "twice.txt"), "signed twice");
    expect(await inProject("sign", "twice.txt")).toMatchObject({ code: 0 });
    const again = await inProject("sign", "twice.txt");
    expect(again).toMatchObject({ code: 2 });
    expect(again.stderr).toContain("--force");
    expect(await inProject("sign", "twice.txt", "--force")).toMatchObject({ code: 0 });
  });

  it("--skip-existing signs only the files without a signature; with --force it is a usage error (exit 2)", async () => {
    await writeFile(join(project, "kept.txt"), "signed before");
    await writeFile(join(project, "new.txt"), "not signed yet");
    expect(await inProject("sign", "kept.txt", "--force")).toMatchObject({ code: 0 });
    const before = await readFile(join(project, "kept.txt.ksig"));
    const refused = await inProject("sign", "kept.txt", "new.txt");
    expect(refused).toMatchObject({ code: 2 });
    expect(refused.stderr).toContain("--skip-existing");
    expect(existsSync(join(project, "new.txt.ksig"))).toBe(false);
    const skipping = await inProject("sign", "kept.txt", "new.txt", "--skip-existing");
    expect(skipping.code, skipping.stderr).toBe(0);
    expect(skipping.stdout).toContain("signed new.txt → new.txt.ksig");
    expect(skipping.stdout).toContain("1 skipped");
    expect(await readFile(join(project, "kept.txt.ksig"))).toEqual(before);
    expect(existsSync(join(project, "new.txt.ksig"))).toBe(true);
    expect(await inProject("sign", "kept.txt", "--skip-existing", "--force")).toMatchObject({ code: 2 });
  });

  it("reports refused credentials with what to check (exit 2)", async () => {
    await writeFile(join(project, "key.txt"), "wrong key");
    const run = await inProject("sign", "key.txt", "--key", "not-the-key", "--force");
    expect(run).toMatchObject({ code: 2 });
    expect(run.stderr).toContain("0x0102");
    expect(run.stderr).toContain("--key");
  });

  it("reports an unreachable cluster (exit 3)", async () => {
    await writeFile(join(project, "down.txt"), "nobody home");
    const { loginId, key } = node.agency;
    const run = await inProject(
      "sign",
      "down.txt",
      "--endpoint",
      await deadEndpoint(),
      "--login",
      loginId,
      "--key",
      key,
    );
    expect(run).toMatchObject({ code: 3 });
    expect(run.stderr).toContain("Check that the cluster is running");
  });

  it("refuses missing files, bad imprints and stdin without -o (exit 2)", async () => {
    expect(await inProject("sign", "missing.txt")).toMatchObject({ code: 2 });
    expect(await inProject("sign", "--hash", "01abcd", "-o", "x.ksig")).toMatchObject({ code: 2 });
    expect(await inProject("sign", "-")).toMatchObject({ code: 2 });
  });
});

describe("tempel extend errors", () => {
  it("fails on a file that is no signature (exit 1)", async () => {
    await writeFile(join(project, "not-a.ksig"), "plain text");
    expect(await inProject("extend", "not-a.ksig")).toMatchObject({ code: 1 });
  });

  it("needs trust anchors to extend to a publication (exit 2) and a publication after the signature (exit 4)", async () => {
    await publishAfter(0);
    await writeFile(join(project, "late.txt"), "signed after the last publication");
    expect(await inProject("sign", "late.txt", "--force")).toMatchObject({ code: 0 });
    const anchorless = await inProject(
      "extend",
      "late.txt.ksig",
      "--to",
      "publication",
      "--publications-url",
      "http://x",
    );
    expect(anchorless).toMatchObject({ code: 2 });
    expect(anchorless.stderr).toContain("--trust-anchor");
    const tooEarly = await inProject("extend", "late.txt.ksig", "--to", "publication", ...publicationArgs());
    expect(tooEarly).toMatchObject({ code: 4 });
    expect(tooEarly.stderr).toContain("no publication after the signing second");
  });

  it("refuses an unreadable --to (exit 2)", async () => {
    expect(await inProject("extend", "late.txt.ksig", "--to", "next tuesday")).toMatchObject({ code: 2 });
  });

  it("refuses a --to time before the signing time as bad input (exit 2), not as an unavailable cluster", async () => {
    const run = await inProject("extend", "late.txt.ksig", "--to", "2020-01-01T00:00:00Z");
    expect(run).toMatchObject({ code: 2 });
    expect(run.stderr).toContain("only to a later time");
  });
});

describe("tempel publications", () => {
  it("lists the checked publications, prints the newest code with --pub-str, and refuses another signer (exit 1)", async () => {
    const code = await publishAfter(0);
    const listed = await inProject(
      "publications",
      ...publicationArgs(),
      "--cnstr",
      `E=${PUBLICATIONS_EMAIL}`,
    );
    expect(listed).toMatchObject({ code: 0 });
    expect(listed.stdout).toContain("signature checked");
    expect(listed.stdout).toContain(code);
    expect(await inProject("publications", "--pub-str", ...publicationArgs())).toMatchObject({
      code: 0,
      stdout: `${code}\n`,
    });
    const json = JSON.parse((await inProject("publications", "--json", ...publicationArgs())).stdout);
    expect(json.publications[0]).toMatchObject({ code, references: ["Tempel test gazette, page 1"] });
    const wrongEmail = await inProject(
      "publications",
      ...publicationArgs(),
      "--cnstr",
      "E=someone@else.test",
    );
    expect(wrongEmail).toMatchObject({ code: 1 });
  });

  it("needs to know the file's signer: a trust anchor or a genesis naming the authority (exit 2)", async () => {
    const run = await inProject("publications");
    expect(run).toMatchObject({ code: 2 });
    expect(run.stderr).toContain("--trust-anchor");
  });
});

describe("tempel status", () => {
  it("shows each node's readiness, role, leader and head, as text and JSON", async () => {
    const text = await inProject("status");
    expect(text).toMatchObject({ code: 0 });
    expect(text.stdout).toContain("1 member, quorum 1");
    expect(text.stdout).toMatch(/ready {2}leader/);
    const json = JSON.parse((await inProject("status", "--json")).stdout) as {
      nodes: Record<string, unknown>[];
    };
    expect(json.nodes[0]).toMatchObject({ endpoint: node.url, ready: true, role: "leader", lag: 0 });
  });

  it("lists a dead node as DOWN beside a live one, and exits 3 when none answers", async () => {
    const dead = await deadEndpoint();
    const mixed = await inProject("status", "--endpoint", node.url, "--endpoint", dead);
    expect(mixed).toMatchObject({ code: 0 });
    expect(mixed.stdout).toContain(`${dead}  DOWN`);
    expect(await inProject("status", "--endpoint", dead)).toMatchObject({ code: 3 });
  });
});

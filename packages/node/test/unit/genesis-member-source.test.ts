import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { genesisToJson } from "../../src/genesis/genesis.ts";
import { type InitResult, initDataDir } from "../../src/genesis/index.ts";
import { readMemberProposal } from "../../src/genesis/member-source.ts";
import { mergeGenesis } from "../../src/genesis/merge.ts";
import { IdentityError } from "../../src/identity/errors.ts";

const NOW = 1_790_000_000;

let dir: string;
let a: InitResult;
let b: InitResult;

function init(name: string, port: number): Promise<InitResult> {
  return initDataDir({
    dataDir: join(dir, name),
    httpHost: "127.0.0.1",
    httpPort: port,
    apiUrl: `http://127.0.0.1:${port}`,
    p2pAddrs: [`/ip4/127.0.0.1/tcp/${port + 1000}`],
    now: NOW,
  });
}

/** A copy of member a's data folder to spoil. */
function copyOfA(name: string): string {
  const copy = join(dir, name);
  cpSync(join(dir, "a"), copy, { recursive: true });
  return copy;
}

function proposalError(path: string): IdentityError {
  try {
    readMemberProposal(path);
  } catch (error) {
    if (error instanceof IdentityError) return error;
    throw error;
  }
  throw new Error("expected an IdentityError");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tempel-member-source-"));
  [a, b] = await Promise.all([init("a", 3101), init("b", 3102)]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("readMemberProposal", () => {
  it("reads the member of a data folder made by init, with its publication schedule", () => {
    const proposal = readMemberProposal(join(dir, "a"));
    expect(proposal.source).toBe(join(dir, "a"));
    expect(proposal.member).toEqual(a.genesis.members[0]);
    expect(proposal.publications).toEqual(a.genesis.publications);
  });

  it("picks the folder's own member when its genesis already lists the whole cluster", () => {
    const folder = copyOfA("a-with-cluster-genesis");
    const cluster = mergeGenesis([readMemberProposal(join(dir, "b")), readMemberProposal(folder)], {
      genesisTime: NOW,
    });
    writeFileSync(join(folder, "genesis.json"), JSON.stringify(genesisToJson(cluster)));
    expect(readMemberProposal(folder).member).toEqual(a.genesis.members[0]);
  });

  it("reads a member from the genesis file its init wrote, as a remote member sends it", () => {
    const proposal = readMemberProposal(b.paths.genesis);
    expect(proposal.source).toBe(b.paths.genesis);
    expect(proposal.member).toEqual(b.genesis.members[0]);
  });

  it("refuses a genesis file that lists several members", () => {
    const file = join(dir, "two-members.json");
    const two = mergeGenesis([readMemberProposal(join(dir, "a")), readMemberProposal(join(dir, "b"))], {
      genesisTime: NOW,
    });
    writeFileSync(file, JSON.stringify(genesisToJson(two)));
    const error = proposalError(file);
    expect(error.code).toBe("GENESIS_MEMBER");
    expect(error.message).toContain("lists 2 members");
  });

  it("refuses a folder whose node has already run: its store is bound to another genesis", () => {
    const folder = copyOfA("a-has-run");
    mkdirSync(join(folder, "db"));
    expect(proposalError(folder).code).toBe("GENESIS_MEMBER_HAS_RUN");
  });

  it("refuses a folder whose genesis does not name its node key", () => {
    const folder = copyOfA("a-with-b-genesis");
    cpSync(b.paths.genesis, join(folder, "genesis.json"));
    const error = proposalError(folder);
    expect(error.code).toBe("GENESIS_MEMBER");
    expect(error.message).toContain(`its node key (${a.nodeId}) is not a member`);
  });

  it("refuses a folder whose genesis lists another certificate than the folder's", () => {
    const folder = copyOfA("a-with-b-certificate");
    const json = JSON.parse(readFileSync(a.paths.genesis, "utf8")) as {
      members: { certificate: string }[];
    };
    json.members[0]!.certificate = b.genesis.members[0]!.certificatePem;
    writeFileSync(join(folder, "genesis.json"), JSON.stringify(json));
    const error = proposalError(folder);
    expect(error.code).toBe("GENESIS_MEMBER");
    expect(error.message).toContain("is not the certificate");
  });

  it("refuses a path that does not exist", () => {
    const error = proposalError(join(dir, "missing"));
    expect(error.code).toBe("GENESIS_MEMBER");
    expect(error.message).toContain("cannot read member");
  });
});

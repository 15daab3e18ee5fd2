import { certificateFromPem, type PublicationsAuthority } from "@tempel/proto";
import { beforeAll, describe, expect, it } from "vitest";
import { type GenesisMember, genesisHash, genesisToJson, parseGenesis } from "../../src/genesis/genesis.ts";
import type { MemberProposal } from "../../src/genesis/member-source.ts";
import { byzantineTolerance, majorityOf, mergeGenesis } from "../../src/genesis/merge.ts";
import { createCalendarCertificate } from "../../src/identity/calendar-signer.ts";
import { IdentityError } from "../../src/identity/errors.ts";
import { generateNodeIdentity } from "../../src/identity/node-key.ts";

const NOW = 1_790_000_000;
const SCHEDULE = { schedule: { dayOfMonth: 15 } };

let certificatePem: string;
let proposals: MemberProposal[];

/** A member as `tempel-node init` proposes it, on its own loopback ports. */
async function proposal(index: number): Promise<MemberProposal> {
  const { identity } = await generateNodeIdentity();
  const member: GenesisMember = {
    id: identity.id,
    publicKey: identity.publicKey,
    multiaddrs: [`/ip4/127.0.0.1/tcp/${4100 + index}`],
    apiUrl: `http://127.0.0.1:${3100 + index}`,
    certificatePem,
  };
  return { source: `node-${index}`, member, publications: SCHEDULE };
}

/** An authority as a genesis names it; any certificate serves as its CA in these tests. */
function authority(email: string): PublicationsAuthority {
  return { caCertificate: certificateFromPem(certificatePem), email };
}

function withMember(base: MemberProposal, change: Partial<GenesisMember>): MemberProposal {
  return { ...base, member: { ...base.member, ...change } };
}

function mergeError(run: () => unknown): IdentityError {
  try {
    run();
  } catch (error) {
    if (error instanceof IdentityError) return error;
    throw error;
  }
  throw new Error("expected an IdentityError");
}

beforeAll(async () => {
  // One certificate serves every member here: merging checks certificates only for their validity.
  ({ certificatePem } = await createCalendarCertificate("genesis merge test", NOW));
  proposals = await Promise.all([1, 2, 3, 4, 5].map(proposal));
});

describe("mergeGenesis", () => {
  it("lists the members sorted by peer id, so any argument order gives the same genesis", () => {
    const three = proposals.slice(0, 3);
    const forward = mergeGenesis(three, { genesisTime: NOW });
    const backward = mergeGenesis([...three].reverse(), { genesisTime: NOW });
    const ids = forward.members.map((m) => m.id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids)).toEqual(new Set(three.map((p) => p.member.id)));
    expect(genesisHash(backward)).toEqual(genesisHash(forward));
  });

  it("writes what every node's start-up parser reads back unchanged", () => {
    const genesis = mergeGenesis(proposals.slice(0, 3), { genesisTime: NOW, quorum: 3 });
    expect(parseGenesis(genesisToJson(genesis), "test")).toEqual(genesis);
    expect(genesis).toMatchObject({ genesisTime: NOW, quorum: 3, roundSeconds: 1, publications: SCHEDULE });
  });

  it("defaults the quorum to the smallest majority", () => {
    expect([1, 2, 3, 4, 5].map(majorityOf)).toEqual([1, 2, 2, 3, 3]);
    for (const n of [1, 2, 3, 4, 5]) {
      expect(mergeGenesis(proposals.slice(0, n), { genesisTime: NOW }).quorum).toBe(majorityOf(n));
    }
  });

  it("refuses a quorum that is not a majority of the members or exceeds them", () => {
    const five = proposals.slice(0, 5);
    for (const quorum of [0, 2, 6]) {
      const error = mergeError(() => mergeGenesis(five, { genesisTime: NOW, quorum }));
      expect(error.code).toBe("GENESIS_INVALID");
      expect(error.details).toEqual({ field: "quorum" });
    }
    expect(mergeGenesis(five, { genesisTime: NOW, quorum: 5 }).quorum).toBe(5);
  });

  it("refuses the same member twice, naming both sources", () => {
    const [a, b] = proposals;
    const twice = { ...a!, source: "copy-of-node-1" };
    const error = mergeError(() => mergeGenesis([a!, b!, twice], { genesisTime: NOW }));
    expect(error.code).toBe("GENESIS_MEMBER_DUPLICATE");
    expect(error.message).toContain("node-1 and copy-of-node-1 have the same peer id");
  });

  it("refuses two members on one p2p address, however the address is written", () => {
    const [a, b] = proposals;
    const sameAddress = withMember(b!, { multiaddrs: [`/ip4/127.0.0.1/tcp/4101/p2p/${b!.member.id}`] });
    const error = mergeError(() => mergeGenesis([a!, sameAddress], { genesisTime: NOW }));
    expect(error.code).toBe("GENESIS_MEMBER_DUPLICATE");
    expect(error.message).toContain("same p2p address 127.0.0.1/4101");
  });

  it("refuses two members with one API URL", () => {
    const [a, b] = proposals;
    const sameUrl = withMember(b!, { apiUrl: `${a!.member.apiUrl}/` });
    const error = mergeError(() => mergeGenesis([a!, sameUrl], { genesisTime: NOW }));
    expect(error.code).toBe("GENESIS_MEMBER_DUPLICATE");
    expect(error.message).toContain("same API URL");
  });

  it.each([
    ["/ip4/0.0.0.0/tcp/4101", "wildcard address"],
    ["/ip6/::/tcp/4101", "wildcard address"],
    ["/ip4/127.0.0.1/tcp/0", "no TCP port"],
    ["/ip4/127.0.0.1/udp/4101/quic-v1", "no TCP port"],
    ["/tcp/4101", "does not start with an IP address or DNS name"],
    [
      "/ip4/127.0.0.1/tcp/4101/p2p/12D3KooWGzA4mCmwhdfTk7BzEbZL4ZmH6QGDoxo6DUcnCsR9jYJN",
      "other than the member's own /p2p/ id",
    ],
  ])("refuses the member address %s that peers cannot dial", (address, problem) => {
    const member = withMember(proposals[0]!, { multiaddrs: [address] });
    const error = mergeError(() => mergeGenesis([member], { genesisTime: NOW }));
    expect(error.code).toBe("GENESIS_MEMBER_ADDRESS");
    expect(error.message).toContain(`node-1: ${address} `);
    expect(error.message).toContain(problem);
  });

  it("accepts DNS and IPv6 addresses and the member's own peer id", () => {
    const member = withMember(proposals[0]!, {
      multiaddrs: ["/dns4/node1.example/tcp/4101", `/ip6/::1/tcp/4101/p2p/${proposals[0]!.member.id}`],
    });
    expect(mergeGenesis([member], { genesisTime: NOW }).members[0]!.multiaddrs).toHaveLength(2);
  });

  it("refuses a genesis time at which a member's certificate is not valid", () => {
    const beforeCertificate = NOW - 2 * 3600;
    const error = mergeError(() => mergeGenesis(proposals.slice(0, 3), { genesisTime: beforeCertificate }));
    expect(error.code).toBe("GENESIS_MEMBER_CERTIFICATE");
    expect(error.message).toContain("node-1: its certificate is valid from");
    const afterCertificate = NOW + 11 * 366 * 86_400;
    expect(
      mergeError(() => mergeGenesis(proposals.slice(0, 3), { genesisTime: afterCertificate })).code,
    ).toBe("GENESIS_MEMBER_CERTIFICATE");
  });

  it("takes the members' common publication schedule unless one is given", () => {
    const [a, b] = proposals;
    const other = { ...b!, publications: { schedule: { dayOfMonth: 1 } } };
    const error = mergeError(() => mergeGenesis([a!, other], { genesisTime: NOW }));
    expect(error.code).toBe("GENESIS_PUBLICATIONS");
    const chosen = mergeGenesis([a!, other], { genesisTime: NOW, schedule: { intervalSeconds: 3600 } });
    expect(chosen.publications).toEqual({ schedule: { intervalSeconds: 3600 } });
  });

  it("keeps the publications authority a member's genesis names, with the chosen schedule", () => {
    const [a, b, c] = proposals;
    const named = { ...b!, publications: { ...SCHEDULE, authority: authority("publications@east") } };
    const genesis = mergeGenesis([a!, named, c!], { genesisTime: NOW, schedule: { dayOfMonth: 2 } });
    expect(genesis.publications).toEqual({
      schedule: { dayOfMonth: 2 },
      authority: authority("publications@east"),
    });
  });

  it("refuses members naming different publications authorities unless one is given", () => {
    const [a, b] = proposals;
    const east = { ...a!, publications: { ...SCHEDULE, authority: authority("publications@east") } };
    const west = { ...b!, publications: { ...SCHEDULE, authority: authority("publications@west") } };
    const error = mergeError(() => mergeGenesis([east, west], { genesisTime: NOW }));
    expect(error.code).toBe("GENESIS_PUBLICATIONS_AUTHORITY");
    expect(error.message).toContain("members node-1 and node-2 name different publications authorities");
    const chosen = mergeGenesis([east, west], { genesisTime: NOW, authority: authority("ops@north") });
    expect(chosen.publications.authority).toEqual(authority("ops@north"));
  });

  it("derives a cluster id that changes with the members and the genesis time", () => {
    const three = proposals.slice(0, 3);
    const id = mergeGenesis(three, { genesisTime: NOW }).clusterId;
    expect(id).toMatch(/^tempel-[0-9a-f]{12}$/);
    expect(mergeGenesis([...three].reverse(), { genesisTime: NOW }).clusterId).toBe(id);
    expect(mergeGenesis(three, { genesisTime: NOW + 1 }).clusterId).not.toBe(id);
    expect(mergeGenesis(proposals.slice(0, 4), { genesisTime: NOW }).clusterId).not.toBe(id);
  });

  it("uses a given cluster id and refuses one the genesis format does not allow", () => {
    const three = proposals.slice(0, 3);
    expect(mergeGenesis(three, { genesisTime: NOW, clusterId: "agency-east" }).clusterId).toBe("agency-east");
    const error = mergeError(() => mergeGenesis(three, { genesisTime: NOW, clusterId: "Agency East" }));
    expect(error.code).toBe("GENESIS_INVALID");
    expect(error.details).toEqual({ field: "clusterId" });
  });

  it("refuses an empty member list", () => {
    expect(mergeError(() => mergeGenesis([], { genesisTime: NOW })).code).toBe("GENESIS_MEMBER");
  });
});

describe("byzantineTolerance", () => {
  it("counts the malicious members two quorums' overlap outnumbers", () => {
    expect(byzantineTolerance(3, 2)).toBe(0);
    expect(byzantineTolerance(5, 3)).toBe(0);
    expect(byzantineTolerance(4, 3)).toBe(1);
    expect(byzantineTolerance(7, 5)).toBe(2);
    expect(byzantineTolerance(3, 3)).toBe(2);
    expect(byzantineTolerance(1, 1)).toBe(0);
  });
});

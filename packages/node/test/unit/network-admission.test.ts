import { generateKeyPair } from "@libp2p/crypto/keys";
import type { MultiaddrConnection, PeerId } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import { beforeAll, describe, expect, it } from "vitest";
import { Admission } from "../../src/network/admission.ts";
import { PeerPenalties } from "../../src/network/penalties.ts";

let member: PeerId;
let other: PeerId;
let outsider: PeerId;

beforeAll(async () => {
  [member, other, outsider] = await Promise.all(
    [0, 1, 2].map(async () => peerIdFromPrivateKey(await generateKeyPair("Ed25519"))),
  );
});

function admission() {
  const penalties = new PeerPenalties({ graylistAfter: 2, windowMs: 60_000 });
  return { penalties, admission: new Admission([member.toString(), other.toString()], penalties) };
}

/** Every gater check that names a peer, in one verdict per check. */
async function denials(a: Admission, peer: PeerId): Promise<boolean[]> {
  const gater = a.connectionGater();
  const connection = {} as MultiaddrConnection;
  return Promise.all([
    gater.denyDialPeer!(peer),
    gater.denyDialMultiaddr!(multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${peer}`)),
    gater.denyInboundEncryptedConnection!(peer, connection),
    gater.denyOutboundEncryptedConnection!(peer, connection),
    gater.denyInboundUpgradedConnection!(peer, connection),
    gater.denyOutboundUpgradedConnection!(peer, connection),
  ]);
}

describe("network admission", () => {
  it("lets members through every check and denies everyone else at every check", async () => {
    const { admission: a } = admission();
    expect(await denials(a, member)).toEqual(Array(6).fill(false));
    expect(await denials(a, outsider)).toEqual(Array(6).fill(true));
  });

  it("allows dialling an address that names no peer: the handshake check decides", () => {
    const { admission: a } = admission();
    expect(a.connectionGater().denyDialMultiaddr!(multiaddr("/ip4/127.0.0.1/tcp/1"))).toBe(false);
  });

  it("keeps only members' addresses in the peer store", () => {
    const { admission: a } = admission();
    const gater = a.connectionGater();
    const address = multiaddr("/ip4/127.0.0.1/tcp/1");
    expect(gater.filterMultiaddrForPeer!(member, address)).toBe(true);
    expect(gater.filterMultiaddrForPeer!(outsider, address)).toBe(false);
  });

  it("denies blocked members until released and reports what changed", async () => {
    const { admission: a } = admission();
    expect(a.setBlocked([member.toString()])).toEqual({ blocked: [member.toString()], released: [] });
    expect(await denials(a, member)).toEqual(Array(6).fill(true));
    expect(await denials(a, other)).toEqual(Array(6).fill(false));
    expect(a.setBlocked([other.toString()])).toEqual({
      blocked: [other.toString()],
      released: [member.toString()],
    });
    expect(await denials(a, member)).toEqual(Array(6).fill(false));
    // A blocked member keeps its addresses: it comes back after healing.
    expect(a.connectionGater().filterMultiaddrForPeer!(other, multiaddr("/ip4/127.0.0.1/tcp/1"))).toBe(true);
  });

  it("denies a graylisted member", async () => {
    const { admission: a, penalties } = admission();
    penalties.record(member.toString());
    expect(a.isAdmitted(member.toString())).toBe(true);
    penalties.record(member.toString());
    expect(a.isAdmitted(member.toString())).toBe(false);
    expect(await denials(a, member)).toEqual(Array(6).fill(true));
  });
});

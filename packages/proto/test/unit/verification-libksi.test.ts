import { beforeAll, describe, it } from "vitest";
import { calendarChainOutput } from "../../src/calendar/index.ts";
import { HashAlgorithm } from "../../src/hash/algorithms.ts";
import type { PublicationsFile } from "../../src/publication/index.ts";
import { encodePublicationData } from "../../src/signature/publication-data.ts";
import type { KsiSignature, PublicationData } from "../../src/signature/types.ts";
import { encodeTlv } from "../../src/tlv/codec.ts";
import {
  defaultPolicy,
  internalPolicy,
  keyPolicy,
  publicationsFilePolicy,
  userPublicationPolicy,
  verifySignature,
} from "../../src/verification/index.ts";
import { makeIdentity, SIGNATURE_OID, signRaw } from "./pki-fixtures.ts";
import {
  expectResult,
  imprintOf,
  PUBLISHED_AT,
  publicationsFileOf,
  SIGNED_AT,
  type SignedCalendar,
  signedCalendar,
} from "./verification-fixtures.ts";

/**
 * Verdicts where libksi (src/ksi/policy.c, verification_rule.c) decides differently from what a
 * straightforward reading of the KSI rules gives: each case is built from a Tempel-made signature
 * with one thing changed, and expects libksi's result and code. docs/verification.md has the table.
 */

const CERTIFICATE_ID = new Uint8Array([0x51, 0x0e, 0x70, 0x01]);

describe("hash functions deprecated at publication time (SHA-1 from 2016-07-01)", () => {
  let sha1: SignedCalendar;
  beforeAll(async () => {
    // Every round after the signing second is a SHA-1 hash, so the extended chain's left links,
    // and the root they reach, are SHA-1 steps at a publication time long after 2016-07-01.
    sha1 = await signedCalendar({ laterRounds: HashAlgorithm.SHA1 });
  });

  it("leave the internal policy OK: SHA-1 is deprecated, not obsolete (INT-16 is for obsolete ones)", async () => {
    expectResult(await verifySignature(sha1.extended, {}, internalPolicy), "OK", null);
  });

  it("make a publication record the user's publication confirms inconclusive (GEN-02), not OK", async () => {
    const options = { userPublication: sha1.publication };
    expectResult(await verifySignature(sha1.extended, options, userPublicationPolicy), "NA", "GEN-02");
  });

  it("still let a different user publication hash fail first (PUB-04)", async () => {
    const other = { userPublication: { ...sha1.publication, publishedHash: imprintOf("not published") } };
    expectResult(await verifySignature(sha1.extended, other, userPublicationPolicy), "FAIL", "PUB-04");
  });

  it("make a publication record the publications file confirms inconclusive (GEN-02), not OK", async () => {
    const file = await publicationsFileOf([sha1.publication]);
    expectResult(
      await verifySignature(sha1.extended, { publicationsFile: file }, publicationsFilePolicy),
      "NA",
      "GEN-02",
    );
  });

  it("leave the default policy inconclusive: publications file NA, then key-based NA", async () => {
    const file = await publicationsFileOf([sha1.publication]);
    expectResult(await verifySignature(sha1.extended, { publicationsFile: file }), "NA", "GEN-02");
  });

  it("make an extension to the publication inconclusive, by user publication or by file", async () => {
    const extending = { extender: sha1.extender, extendingAllowed: true };
    expectResult(
      await verifySignature(
        sha1.signature,
        { ...extending, userPublication: sha1.publication },
        userPublicationPolicy,
      ),
      "NA",
      "GEN-02",
    );
    const file = await publicationsFileOf([sha1.publication]);
    expectResult(
      await verifySignature(sha1.signature, { ...extending, publicationsFile: file }, publicationsFilePolicy),
      "NA",
      "GEN-02",
    );
  });
});

describe("a user publication that the signature's calendar chain does not lead to", () => {
  let made: SignedCalendar;
  let forked: KsiSignature;
  beforeAll(async () => {
    made = await signedCalendar();
    // The same calendar except for the signing second's root: a calendar chain to the published
    // second that the real calendar never had, and no record that says so.
    const fork = await signedCalendar({ document: "a document the calendar never recorded" });
    forked = {
      aggregationChains: fork.extended.aggregationChains,
      calendarChain: fork.extended.calendarChain,
    };
  });

  it("passes the internal policy: the chain is consistent in itself", async () => {
    expectResult(await verifySignature(forked, {}, internalPolicy), "OK", null);
  });

  it("says PUB-03 once the extender's chain reaches the publication from another input", async () => {
    const options = { userPublication: made.publication, extender: made.extender, extendingAllowed: true };
    expectResult(await verifySignature(forked, options, userPublicationPolicy), "FAIL", "PUB-03");
    expectResult(await verifySignature(forked, options, defaultPolicy), "FAIL", "PUB-03");
  });

  it("is inconclusive when extending is not permitted, as libksi is (it never compares its own chain)", async () => {
    const options = { userPublication: made.publication, extender: made.extender };
    expectResult(await verifySignature(forked, options, userPublicationPolicy), "NA", "GEN-02");
  });
});

describe("user publication of the signing second itself", () => {
  let made: SignedCalendar;
  let atSigning: PublicationData;
  beforeAll(async () => {
    made = await signedCalendar();
    atSigning = { publicationTime: SIGNED_AT, publishedHash: await made.calendar.rootAt(SIGNED_AT) };
  });

  it("is inconclusive: a user publication must come after the signature", async () => {
    const options = { userPublication: atSigning, extender: made.extender, extendingAllowed: true };
    expectResult(await verifySignature(made.signature, options, userPublicationPolicy), "NA", "GEN-02");
  });

  it("is suitable in a publications file, whose nearest publication may be that second", async () => {
    const file = await publicationsFileOf([atSigning]);
    const options = { publicationsFile: file, extender: made.extender, extendingAllowed: true };
    expectResult(await verifySignature(made.signature, options, publicationsFilePolicy), "OK", null);
  });
});

describe("publications file with two publications for the signature's second", () => {
  it("confirms a publication record that either of them matches, and says PUB-05 when none does", async () => {
    const made = await signedCalendar();
    const other = { ...made.publication, publishedHash: imprintOf("another root") };
    const both = await publicationsFileOf([other, made.publication]);
    expectResult(
      await verifySignature(made.extended, { publicationsFile: both }, publicationsFilePolicy),
      "OK",
      null,
    );
    const wrong = await publicationsFileOf([other]);
    expectResult(
      await verifySignature(made.extended, { publicationsFile: wrong }, publicationsFilePolicy),
      "FAIL",
      "PUB-05",
    );
  });
});

describe("default policy with a user publication", () => {
  let made: SignedCalendar;
  let certified: KsiSignature;
  let file: PublicationsFile;
  beforeAll(async () => {
    made = await signedCalendar();
    const chain = made.signature.calendarChain!;
    const root = { publicationTime: chain.publicationTime, publishedHash: calendarChainOutput(chain) };
    const identity = await makeIdentity({
      kind: "RSA",
      commonName: "calendar signer",
      serial: 31,
      notBefore: new Date("2020-01-01Z"),
      notAfter: new Date("2040-01-01Z"),
    });
    certified = {
      ...made.signature,
      calendarAuthRecord: {
        publishedData: root,
        signatureData: {
          signatureType: SIGNATURE_OID.RSA,
          signatureValue: await signRaw(identity, encodeTlv(encodePublicationData(root))),
          certificateId: CERTIFICATE_ID,
        },
      },
    };
    file = await publicationsFileOf([], [{ id: CERTIFICATE_ID, der: identity.der }]);
  });

  it("falls back to the key-based policy when only the publications file cannot decide", async () => {
    expectResult(await verifySignature(certified, { publicationsFile: file }, keyPolicy), "OK", null);
    expectResult(await verifySignature(certified, { publicationsFile: file }, defaultPolicy), "OK", null);
  });

  it("does not fall back to keys when the user's publication cannot decide: it stays inconclusive", async () => {
    const options = { publicationsFile: file, userPublication: made.publication };
    expectResult(await verifySignature(certified, options, defaultPolicy), "NA", "GEN-02");
  });
});

describe("internal policy order and NA/FAIL as libksi gives them", () => {
  let made: SignedCalendar;
  beforeAll(async () => {
    made = await signedCalendar();
  });

  it("checks a calendar auth record's hash (INT-08) before its time (INT-06)", async () => {
    const chain = made.signature.calendarChain!;
    const wrong: KsiSignature = {
      ...made.signature,
      calendarAuthRecord: {
        publishedData: { publicationTime: chain.publicationTime + 1, publishedHash: imprintOf("x") },
        signatureData: {
          signatureType: SIGNATURE_OID.RSA,
          signatureValue: new Uint8Array(8),
          certificateId: CERTIFICATE_ID,
        },
      },
    };
    expectResult(await verifySignature(wrong, {}, internalPolicy), "FAIL", "INT-08");
    const lateOnly: KsiSignature = {
      ...wrong,
      calendarAuthRecord: {
        ...wrong.calendarAuthRecord!,
        publishedData: {
          publicationTime: chain.publicationTime + 1,
          publishedHash: calendarChainOutput(chain),
        },
      },
    };
    expectResult(await verifySignature(lateOnly, {}, internalPolicy), "FAIL", "INT-06");
  });

  it("is inconclusive with INT-05 when the calendar chain's links lead to no single leaf", async () => {
    const chain = made.signature.calendarChain!;
    const extra = { direction: "left" as const, sibling: imprintOf("beyond the root") };
    const noLeaf: KsiSignature = {
      ...made.signature,
      calendarChain: { ...chain, links: [...chain.links, extra] },
    };
    expectResult(await verifySignature(noLeaf, {}, internalPolicy), "NA", "INT-05");
  });

  it("fails with INT-05 when the links lead to another second than the chain's", async () => {
    const own = made.signature.calendarChain!;
    // The next second's path, relabelled as the signing second's, from the signing second's input.
    const next = await made.calendar.chain(SIGNED_AT + 1, PUBLISHED_AT);
    const shifted: KsiSignature = {
      ...made.signature,
      calendarChain: { ...next, aggregationTime: own.aggregationTime, inputHash: own.inputHash },
    };
    expectResult(await verifySignature(shifted, {}, internalPolicy), "FAIL", "INT-05");
  });
});

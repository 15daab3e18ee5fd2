import { describe, expect, it } from "vitest";
import { PeerPenalties } from "../../src/network/penalties.ts";

function penalties() {
  const clock = { now: 0 };
  return { clock, penalties: new PeerPenalties({ graylistAfter: 3, windowMs: 1_000 }, () => clock.now) };
}

describe("network peer penalties", () => {
  it("graylists a peer once it reaches the threshold within the window", () => {
    const { clock, penalties: p } = penalties();
    expect(p.record("a")).toBe(1);
    clock.now = 400;
    expect(p.record("a")).toBe(2);
    expect(p.isGraylisted("a")).toBe(false);
    clock.now = 900;
    expect(p.record("a")).toBe(3);
    expect(p.isGraylisted("a")).toBe(true);
    expect(p.isGraylisted("b")).toBe(false);
  });

  it("admits the peer again when its oldest offence leaves the window", () => {
    const { clock, penalties: p } = penalties();
    for (const t of [0, 100, 200]) {
      clock.now = t;
      p.record("a");
    }
    clock.now = 999;
    expect(p.isGraylisted("a")).toBe(true);
    clock.now = 1_000;
    expect(p.isGraylisted("a")).toBe(false);
    // Two offences are still recent: one more graylists it again.
    expect(p.record("a")).toBe(3);
    expect(p.isGraylisted("a")).toBe(true);
  });

  it("does not graylist offences spread wider than the window", () => {
    const { clock, penalties: p } = penalties();
    for (let t = 0; t < 10_000; t += 600) {
      clock.now = t;
      p.record("a");
      expect(p.isGraylisted("a")).toBe(false);
    }
  });
});

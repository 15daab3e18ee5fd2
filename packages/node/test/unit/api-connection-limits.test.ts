import { describe, expect, it } from "vitest";
import { clientOf } from "../../src/api/connection-limits.ts";

describe("clientOf", () => {
  it("counts an IPv4 client by its address, also when reported IPv4-mapped", () => {
    expect(clientOf("192.0.2.7")).toBe("192.0.2.7");
    expect(clientOf("::ffff:192.0.2.7")).toBe("192.0.2.7");
  });

  it("counts an IPv6 client by its /64, however the address is written", () => {
    const one = clientOf("2001:db8:0:1::1");
    for (const same of ["2001:db8:0:1:ffff:ffff:ffff:ffff", "2001:0db8:0000:0001::", "2001:DB8:0:1:0:0:0:9"])
      expect(clientOf(same), same).toBe(one);
    expect(clientOf("2001:db8:0:2::1")).not.toBe(one);
    expect(clientOf("::1")).toBe(clientOf("0:0:0:0:0:0:0:1"));
    expect(clientOf("::1:2:3:4:192.0.2.1")).toBe(clientOf("0:0:1:2:3:4:c000:201"));
  });
});

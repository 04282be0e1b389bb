import { describe, expect, it } from "vitest";
import { token } from "../../sdk/bus/nats/names.js";
import { storeKey } from "../../sdk/bus/shared-store.js";

// Run ids and role names become NATS tokens and KV keys; two different names must never share one.
describe.each([
  ["token (streams, subjects, consumers)", token],
  ["storeKey (shared-store key prefixes)", storeKey],
])("%s", (_name, escape) => {
  it("keeps plain names, hexes the rest", () => {
    expect(escape("judge_2")).toBe("judge_2");
    expect(escape("a.b")).toBe("x612e62");
    expect(escape("x")).toBe("x");
    expect(escape("xyz")).toBe("xyz");
  });

  it("hexes a name that looks hexed, so it does not meet the name it would decode to", () => {
    expect(escape("x612e62")).not.toBe(escape("a.b"));
    expect(escape("x612e62")).toBe(`x${Buffer.from("x612e62").toString("hex")}`);
    const names = ["a.b", "x612e62", "x", "x0", "a", "x61", "é", "xc3a9"];
    expect(new Set(names.map(escape)).size).toBe(names.length);
  });
});

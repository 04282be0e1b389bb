/**
 * Reading a JetStream delivery's count and time from its ack subject (`deliveryInfo` in
 * sdk/bus/nats/nats-delivery.ts), in both subject formats the server uses. On a real server the bus
 * contract (nats-bus.test.ts) checks the same fields through redeliveries and publish times.
 */
import { describe, expect, it } from "vitest";
import { deliveryInfo } from "../../sdk/bus/nats/nats-delivery.js";

describe("deliveryInfo", () => {
  it("reads the delivery count and publish time of the 9-token subject", () => {
    expect(deliveryInfo("$JS.ACK.MATRIX_run.role_a.3.118.120.1765071234567891234.5")).toEqual({
      deliveryCount: 3,
      timestampNanos: 1765071234567891234,
    });
  });

  it("reads them after the domain and account hash, with or without the random token at the end", () => {
    const expected = { deliveryCount: 2, timestampNanos: 1765071234000000000 };
    expect(deliveryInfo("$JS.ACK._.ACCHASH.MATRIX_run.role_a.2.7.9.1765071234000000000.0")).toEqual(expected);
    expect(deliveryInfo("$JS.ACK.hub.ACCHASH.MATRIX_run.role_a.2.7.9.1765071234000000000.0.r4nd0m")).toEqual(expected);
  });

  it("leaves any other subject to the client's parser", () => {
    expect(deliveryInfo("_INBOX.abc.def")).toBeUndefined();
    expect(deliveryInfo("$JS.ACK.MATRIX_run.role_a.three.118.120.1765071234567891234.5")).toBeUndefined();
    expect(deliveryInfo("$JS.NAK.MATRIX_run.role_a.3.118.120.1765071234567891234.5")).toBeUndefined();
    // 10 and 13 tokens: neither layout.
    expect(deliveryInfo("$JS.ACK.x.MATRIX_run.role_a.3.118.120.1765071234567891234.5")).toBeUndefined();
    expect(deliveryInfo("$JS.ACK.hub.ACCHASH.MATRIX_run.role_a.2.7.9.1765071234000000000.0.r4nd0m.x")).toBeUndefined();
  });
});

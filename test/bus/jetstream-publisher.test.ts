/**
 * The hop publisher (`sdk/bus/nats/jetstream-publisher.ts`) on a real nats-server: a publish settles
 * with the server's ack for that message, many in flight share one reply subscription, a repeated
 * `Nats-Msg-Id` is stored once, a subject no stream takes and a reply that never comes are retryable
 * errors, and closing fails what is still waiting.
 *
 * Where you are: `test/bus/`. The publisher under the whole bus is covered by nats-bus.test.ts and
 * the runs over NATS; here each of its answers is provoked on purpose.
 */
import {
  DiscardPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { beforeAll, expect, it } from "vitest";
import { MatrixError } from "../../sdk/errors.js";
import { JetStreamPublisher } from "../../sdk/bus/nats/jetstream-publisher.js";
import { describeWithNats, natsConnectionForSuite } from "../helpers/nats-server.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describeWithNats("JetStream hop publisher", () => {
  const suite = natsConnectionForSuite();
  let jsm: JetStreamManager;
  beforeAll(async () => {
    jsm = await jetstreamManager(suite.nc);
    await jsm.streams.add({
      name: "PUB",
      subjects: ["pub.>"],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
    });
  });

  it("stores every message of a burst once, in order of publishing, and drops a repeated msgID", async () => {
    const publisher = new JetStreamPublisher(suite.nc);
    const before = (await jsm.streams.info("PUB")).state.messages;
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => publisher.publish(`pub.${i % 3}`, bytes(`m${i}`), `id-${i}`, 5000)),
    );
    // A redelivered hop publishes its successor again under the same id: the server keeps one.
    await publisher.publish("pub.0", bytes("m7 again"), "id-7", 5000);
    const info = await jsm.streams.info("PUB");
    expect(info.state.messages - before).toBe(500);
    const first = await jsm.streams.getMessage("PUB", { seq: info.state.first_seq });
    const last = await jsm.streams.getMessage("PUB", { seq: info.state.last_seq });
    expect([new TextDecoder().decode(first!.data), new TextDecoder().decode(last!.data)]).toEqual(["m0", "m499"]);
    publisher.close();
  });

  it("rejects a subject no stream takes with a retryable error (a stream not created yet, or gone)", async () => {
    const publisher = new JetStreamPublisher(suite.nc);
    const error = await publisher.publish("nowhere.x", bytes("lost?"), "n-1", 5000).catch((e: unknown) => e);
    expect(MatrixError.isInstance(error) && error.code).toBe("bus");
    expect((error as MatrixError).isRetryable).toBe(true);
    expect((error as Error).message).toMatch(/503/);
    publisher.close();
  });

  it("rejects a message the stream refuses with the server's error (a full stream that discards new ones)", async () => {
    await jsm.streams.add({
      name: "FULL",
      subjects: ["full.>"],
      storage: StorageType.Memory,
      max_msgs: 1,
      discard: DiscardPolicy.New,
    });
    const publisher = new JetStreamPublisher(suite.nc);
    await publisher.publish("full.a", bytes("first"), "f-1", 5000);
    const error = await publisher.publish("full.a", bytes("second"), "f-2", 5000).catch((e: unknown) => e);
    expect(MatrixError.isInstance(error) && error.code).toBe("bus");
    expect((error as Error).message).toMatch(/refused the message: maximum messages exceeded/);
    expect((await jsm.streams.info("FULL")).state.messages).toBe(1);
    publisher.close();
    await jsm.streams.delete("FULL");
  });

  it("sends writes queued alongside with the next burst, and drops them once closed", async () => {
    const seen: string[] = [];
    const watch = suite.nc.subscribe("side.>", {
      callback: (_error, msg) => {
        seen.push(msg.subject);
      },
    });
    const publisher = new JetStreamPublisher(suite.nc);
    publisher.alongside(() => suite.nc.publish("side.ack"));
    // Not at once: it waits for the burst (the next turn of the event loop), with the publishes.
    expect(seen).toEqual([]);
    await publisher.publish("pub.1", bytes("with an ack"), "a-1", 5000);
    await suite.nc.flush();
    expect(seen).toEqual(["side.ack"]);
    publisher.close();
    publisher.alongside(() => suite.nc.publish("side.late"));
    await new Promise((resolve) => setImmediate(resolve));
    await suite.nc.flush();
    expect(seen).toEqual(["side.ack"]);
    watch.unsubscribe();
  });

  it("times out, retryably, when nobody acks (a responder that is not JetStream stays silent)", async () => {
    const silent = suite.nc.subscribe("silent.x");
    const publisher = new JetStreamPublisher(suite.nc, 50);
    const started = Date.now();
    const error = await publisher.publish("silent.x", bytes("hello?"), "s-1", 300).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/timed out/);
    expect((error as MatrixError).isRetryable).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    silent.unsubscribe();
    publisher.close();
  });

  it("fails what is still waiting when closed, and refuses new publishes", async () => {
    const silent = suite.nc.subscribe("silent.y");
    const publisher = new JetStreamPublisher(suite.nc);
    const waiting = publisher.publish("silent.y", bytes("x"), "c-1", 60_000).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    publisher.close();
    expect(((await waiting) as Error).message).toMatch(/closed before JetStream acked/);
    await expect(publisher.publish("pub.0", bytes("y"), "c-2", 1000)).rejects.toThrow(/closed/);
    silent.unsubscribe();
  });
});

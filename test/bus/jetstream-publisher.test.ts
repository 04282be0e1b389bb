/**
 * The hop publisher (`sdk/bus/nats/jetstream-publisher.ts`) on a real nats-server: a publish settles
 * with the server's ack for that message, many in flight share one reply subscription, a repeated
 * `Nats-Msg-Id` is stored once, a subject no stream takes and a reply that never comes are retryable
 * errors, a bad message fails alone, acks of deliveries go out with the next burst, and closing fails
 * what is still waiting. Every case runs through both writers of a burst (protocol-burst.ts): one
 * buffer of protocol, and the client's own publish and ack.
 *
 * Where you are: `test/bus/`. The publisher under the whole bus is covered by nats-bus.test.ts and
 * the runs over NATS; here each of its answers is provoked on purpose.
 */
import {
  AckPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { beforeAll, describe, expect, it } from "vitest";
import { MatrixError } from "../../sdk/errors.js";
import { JetStreamPublisher } from "../../sdk/bus/nats/jetstream-publisher.js";
import { protocolBurstFor } from "../../sdk/bus/nats/protocol-burst.js";
import { describeWithNats, natsConnectionForSuite } from "../helpers/nats-server.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

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

  it("writes bursts as one buffer with the pinned client (an update without its protocol handler fails here)", () => {
    expect(protocolBurstFor(suite.nc).kind).toBe("buffer");
    expect(protocolBurstFor(suite.nc, { viaClient: true }).kind).toBe("client");
  });

  describe.each([
    { writer: "one buffer per burst", viaClient: false, tag: "b" },
    { writer: "the client's publish and ack", viaClient: true, tag: "c" },
  ])("through $writer", ({ viaClient, tag }) => {
    const publisherFor = (sweepEveryMs?: number) => new JetStreamPublisher(suite.nc, { viaClient, sweepEveryMs });

    it("stores every message of a burst once, in order of publishing, and drops a repeated msgID", async () => {
      const publisher = publisherFor();
      const before = (await jsm.streams.info("PUB")).state.messages;
      await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          publisher.publish(`pub.${tag}.${i % 3}`, bytes(`m${i}`), `${tag}-${i}`, 5000),
        ),
      );
      // A redelivered hop publishes its successor again under the same id: the server keeps one.
      await publisher.publish(`pub.${tag}.0`, bytes("m7 again"), `${tag}-7`, 5000);
      const info = await jsm.streams.info("PUB");
      expect(info.state.messages - before).toBe(500);
      const first = await jsm.streams.getMessage("PUB", { seq: before + 1 });
      const last = await jsm.streams.getMessage("PUB", { seq: info.state.last_seq });
      expect([text(first!.data), text(last!.data)]).toEqual(["m0", "m499"]);
      expect(first!.header.get("Nats-Msg-Id")).toBe(`${tag}-0`);
      publisher.close();
    });

    it("sends a msgID that is not a plain header value escaped, one to one, and the payload byte for byte", async () => {
      const publisher = publisherFor();
      const payload = new Uint8Array([0, 13, 10, 255, ...bytes("é\r\nHPUB x 1 2\r\n")]);
      await publisher.publish(`pub.${tag}.odd`, payload, ` ${tag} line\nbreak `, 5000);
      const stored = await jsm.streams.getMessage("PUB", { last_by_subj: `pub.${tag}.odd` });
      expect([...stored!.data]).toEqual([...payload]);
      expect(stored!.header.get("Nats-Msg-Id")).toBe(`x${Buffer.from(` ${tag} line\nbreak `).toString("hex")}`);
      publisher.close();
    });

    it("fails only the bad message of a burst: whitespace in the subject, or over the server's max_payload", async () => {
      const publisher = publisherFor();
      const before = (await jsm.streams.info("PUB")).state.messages;
      const huge = new Uint8Array((suite.nc.info?.max_payload ?? 1024 * 1024) + 1);
      const [good, spaced, tooBig, alsoGood] = await Promise.allSettled([
        publisher.publish(`pub.${tag}.ok`, bytes("fine"), `${tag}-ok-1`, 5000),
        publisher.publish(`pub.${tag} spaced`, bytes("bad subject"), `${tag}-bad-1`, 5000),
        publisher.publish(`pub.${tag}.big`, huge, `${tag}-big-1`, 5000),
        publisher.publish(`pub.${tag}.ok`, bytes("fine too"), `${tag}-ok-2`, 5000),
      ]);
      expect([good.status, alsoGood.status]).toEqual(["fulfilled", "fulfilled"]);
      expect(spaced.status === "rejected" && MatrixError.isInstance(spaced.reason) && spaced.reason.code).toBe("bus");
      expect(tooBig.status === "rejected" && (tooBig.reason as Error).message).toMatch(/max_payload/);
      expect((await jsm.streams.info("PUB")).state.messages - before).toBe(2);
      publisher.close();
    });

    it("rejects a subject no stream takes with a retryable error (a stream not created yet, or gone)", async () => {
      const publisher = publisherFor();
      const error = await publisher.publish(`nowhere.${tag}`, bytes("lost?"), "n-1", 5000).catch((e: unknown) => e);
      expect(MatrixError.isInstance(error) && error.code).toBe("bus");
      expect((error as MatrixError).isRetryable).toBe(true);
      expect((error as Error).message).toMatch(/503/);
      publisher.close();
    });

    it("rejects a message the stream refuses with the server's error (a full stream that discards new ones)", async () => {
      await jsm.streams.add({
        name: `FULL_${tag}`,
        subjects: [`full.${tag}.>`],
        storage: StorageType.Memory,
        max_msgs: 1,
        discard: DiscardPolicy.New,
      });
      const publisher = publisherFor();
      await publisher.publish(`full.${tag}.a`, bytes("first"), "f-1", 5000);
      const error = await publisher.publish(`full.${tag}.a`, bytes("second"), "f-2", 5000).catch((e: unknown) => e);
      expect(MatrixError.isInstance(error) && error.code).toBe("bus");
      expect((error as Error).message).toMatch(/refused the message: maximum messages exceeded/);
      expect((await jsm.streams.info(`FULL_${tag}`)).state.messages).toBe(1);
      publisher.close();
      await jsm.streams.delete(`FULL_${tag}`);
    });

    it("acks deliveries with the next burst, not at once, and not at all once closed", async () => {
      const stream = `ACKS_${tag}`;
      await jsm.streams.add({ name: stream, subjects: [`acks.${tag}.>`], storage: StorageType.Memory });
      await jsm.consumers.add(stream, { durable_name: "c", ack_policy: AckPolicy.Explicit, ack_wait: 60e9 });
      const js = jetstream(suite.nc);
      for (let i = 0; i < 3; i++) await js.publish(`acks.${tag}.x`, bytes(`d${i}`));
      const consumer = await js.consumers.get(stream, "c");
      const [first, second, third] = [(await consumer.next())!, (await consumer.next())!, (await consumer.next())!];
      const pending = async () => (await jsm.consumers.info(stream, "c")).num_ack_pending;
      expect(await pending()).toBe(3);

      const publisher = publisherFor();
      const sent = () => suite.nc.stats().outMsgs;
      const before = sent();
      publisher.ack(first);
      publisher.ack(second);
      // The acks wait for the burst (the next turn of the event loop), which here carries a publish too.
      expect(sent()).toBe(before);
      await publisher.publish(`pub.${tag}.with-acks`, bytes("with two acks"), `${tag}-acks`, 5000);
      // Two acks and a publish, counted as the client counts what it sends (the buffer writer keeps count).
      expect(sent() - before).toBe(3);
      await suite.nc.flush();
      expect(await pending()).toBe(1);

      publisher.close();
      publisher.ack(third);
      await new Promise((resolve) => setImmediate(resolve));
      await suite.nc.flush();
      expect(await pending()).toBe(1);
      await jsm.streams.delete(stream);
    });

    it("times out, retryably, when nobody acks (a responder that is not JetStream stays silent)", async () => {
      const silent = suite.nc.subscribe(`silent.${tag}.x`);
      const publisher = publisherFor(50);
      const started = Date.now();
      const error = await publisher.publish(`silent.${tag}.x`, bytes("hello?"), "s-1", 300).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/timed out/);
      expect((error as MatrixError).isRetryable).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      silent.unsubscribe();
      publisher.close();
    });

    it("fails what is still waiting when closed, and refuses new publishes", async () => {
      const silent = suite.nc.subscribe(`silent.${tag}.y`);
      const publisher = publisherFor();
      const waiting = publisher.publish(`silent.${tag}.y`, bytes("x"), "c-1", 60_000).catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 50));
      publisher.close();
      expect(((await waiting) as Error).message).toMatch(/closed before JetStream acked/);
      await expect(publisher.publish(`pub.${tag}.0`, bytes("y"), "c-2", 1000)).rejects.toThrow(/closed/);
      silent.unsubscribe();
    });
  });
});

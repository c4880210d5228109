import { NatsServer, versionAtLeast } from "@jetflow/test-harness";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { RawPublisher } from "./raw-publisher.js";
import { adminConnection, createStream } from "./test-helpers.js";

const payload = (i: number) => new TextEncoder().encode(`{bad ${i}`);

describe("RawPublisher (dead letters)", () => {
  it("to a subject a stream captures: acked, each id stored once, none lost across a server restart", async () => {
    await using server = await NatsServer.start();
    const nc = await adminConnection(server);
    try {
      await createStream(nc, "DLQ", ["dlq.>"]);
      const jsm = await jetstreamManager(nc);
      const publisher = new RawPublisher(nc, jetstream(nc), jsm);
      const sends: Promise<void>[] = [];
      for (let i = 1; i <= 2_000; i++) {
        sends.push(publisher.publish("dlq.x", payload(i), { "Jetflow-Sequence": String(i) }, `r:${i}`));
        if (i === 1_000) await server.restart();
      }
      // The same ids again (a replay after a restart of the pipeline): the stream keeps one of each.
      for (let i = 1_901; i <= 2_000; i++)
        sends.push(publisher.publish("dlq.x", payload(i), { "Jetflow-Sequence": String(i) }, `r:${i}`));
      await Promise.all(sends);
      const info = await jsm.streams.info("DLQ");
      // 2.9 forgets the duplicate window of the messages stored before its restart, so a publish
      // retried across it may be stored twice there; 2.10+ rebuilds the window on recovery.
      if (versionAtLeast(server.version, 2, 10)) expect(info.state.messages).toBe(2_000);
      const seen = new Set<string>();
      const consumer = await jetstream(nc).consumers.get("DLQ");
      const messages = await consumer.fetch({ max_messages: info.state.messages, expires: 10_000 });
      let read = 0;
      for await (const m of messages) {
        seen.add(m.headers?.get("Jetflow-Sequence") ?? "");
        if (++read === info.state.messages) break;
      }
      expect(seen.size).toBe(2_000);
    } finally {
      await nc.close();
    }
  });

  it("to a subject no stream captures: a plain publish a subscriber receives", async () => {
    await using server = await NatsServer.start();
    const nc = await adminConnection(server);
    try {
      const sub = nc.subscribe("plain.dlq", { max: 1 });
      const publisher = new RawPublisher(nc, jetstream(nc), await jetstreamManager(nc));
      await publisher.publish("plain.dlq", payload(1), { "Jetflow-Error": "two\nlines" }, "r:1");
      for await (const m of sub) {
        expect(m.string()).toBe("{bad 1");
        expect(m.headers?.get("Jetflow-Error")).toBe("two lines");
      }
    } finally {
      await nc.close();
    }
  });
});

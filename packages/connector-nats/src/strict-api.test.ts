import { type NatsServer, startStrictServer } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsSource } from "./nats-source.js";
import { adminConnection, collect, configFor, createStream, load } from "./test-helpers.js";

/**
 * Every consumer and stream configuration jetflow can produce, created on the newest installed
 * server with JetStream's strict API on (2.12+ rejects a field it does not know): whatever
 * server the suite runs against, this one runs against the newest.
 */
describe("strict JetStream API on the newest server", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await startStrictServer();
    nc = await adminConnection(server);
    await createStream(nc, "STRICT", ["strict.>"]);
    await load(nc, "STRICT", "strict.a", 10);
    await load(nc, "STRICT", "strict.b", 10, { expectTotal: 20 });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });

  it("is strict: a field the server does not know is refused", async () => {
    const r = await nc.request(
      "$JS.API.CONSUMER.CREATE.STRICT.probe",
      JSON.stringify({ stream_name: "STRICT", config: { name: "probe", ack_policy: "none", not_a_field: 1 } }),
    );
    expect(new TextDecoder().decode(r.data)).toMatch(/unknown field/);
  });

  // Every consumer.* option set, so every field consumerConfig() can send is sent.
  const everyOption = {
    "consumer.description": "every option",
    "consumer.max_batch": "500",
    "consumer.max_bytes": "1048576",
    "consumer.max_waiting": "64",
    "consumer.max_expires.sec": "30",
    "consumer.inactive_threshold.sec": "60",
    "consumer.replay_policy": "instant",
    "consumer.sample_frequency": "50",
    "consumer.headers_only": "false",
    "consumer.num_replicas": "1",
    "consumer.memory_storage": "true",
  };
  // ...and those that need acks, on the consumers that ack.
  const ackOptions = { "consumer.ack_wait.sec": "30", "consumer.max_ack_pending": "1000", "consumer.max_deliver": "5" };
  const starts: Record<string, string>[] = [
    { "scan.startup.mode": "earliest" },
    { "scan.startup.mode": "latest" },
    { "scan.startup.mode": "timestamp_millis", "scan.startup.timestamp.millis": "1000" },
    { "scan.startup.mode": "sequence", "scan.startup.sequence": "3" },
  ];
  const consumers: [string, Record<string, string>][] = [
    ["ephemeral", {}],
    ["durable, ack all", { ...ackOptions, "consumer.durable_name": "strict_durable" }],
    [
      "durable, explicit acks with backoff",
      {
        ...ackOptions,
        "consumer.durable_name": "strict_backoff",
        "consumer.ack_policy": "explicit",
        "consumer.backoff.sec": "1,2",
      },
    ],
    ["named, no acks", { "consumer.name": "strict_named", "consumer.ack_policy": "none" }],
  ];
  for (const subject of ["strict.a", "strict.a,strict.b"]) {
    for (const [kind, options] of consumers) {
      for (const start of starts) {
        it(`creates ${kind} consumers of '${subject}' with every option, ${Object.values(start).join(" ")}`, async () => {
          const config = configFor(server, "STRICT", subject, { ...everyOption, ...options, ...start });
          const source = await NatsSource.open(config);
          const reading = source.batches$.subscribe();
          await source.caughtUp();
          reading.unsubscribe();
          await source.drop();
        });
      }
      it(`reads through ${kind} consumers of '${subject}'`, async () => {
        const source = await NatsSource.open(configFor(server, "STRICT", subject, options));
        const n = subject.includes(",") ? 20 : 10;
        expect((await collect(source, (c) => c.sequences.length >= n)).sequences).toHaveLength(n);
        await source.drop();
      });
    }
  }

  it("creates the stream of allow_create_stream with every limit", async () => {
    const source = await NatsSource.open(
      configFor(server, "STRICT_NEW", "strict_new.>", {
        allow_create_stream: "true",
        max_bytes: "10485760",
        max_messages: "1000",
        max_messages_per_subject: "100",
        max_consumers: "10",
        max_message_size: "65536",
      }),
    );
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info("STRICT_NEW")).config.max_msgs).toBe(1000);
    await source.drop();
  });
});

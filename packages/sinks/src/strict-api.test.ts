import { connectOptions, type NatsServer, startStrictServer, unknownFieldReply } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsSink } from "./nats-sink.js";
import { resolveSinkOptions, type SinkFormat } from "./sink-options.js";
import { change, columns } from "./test-support.js";

/**
 * Every stream and KV configuration a sink can produce, created on the newest installed server
 * with JetStream's strict API on (2.12+ refuses a field it does not know), then written through:
 * whatever server the suite runs against, this one runs against the newest.
 */
describe("sinks on the strict JetStream API of the newest server", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await startStrictServer();
    nc = await connect(connectOptions(server.client));
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });

  const cols = columns({ id: "integer", region: "varchar" });
  const rows = [
    [1, "eu"],
    [2, "us"],
    [3, "eu"],
  ];

  async function runSink(name: string, w: Record<string, string>, format: SinkFormat): Promise<NatsSink> {
    const config = resolveSinkOptions({ server_url: server.url, connect_mode: "plain", ...w }, format);
    const sink = new NatsSink(name, config);
    sink.bind({ name: "t", columns: cols, key: ["id"], appendOnly: format === "plain" });
    await sink.open();
    sink.restored();
    await sink.resetIfFresh();
    sink.onChange(change(cols, rows));
    sink.seal();
    sink.committed();
    await sink.drained();
    await sink.close();
    return sink;
  }

  it("is strict: a stream field the server does not know is refused", async () => {
    expect(await unknownFieldReply(nc)).toMatch(/unknown field/);
  });

  const formats: SinkFormat[] = ["plain", "upsert", "debezium"];
  for (const format of formats) {
    it(`creates the stream of allow_create_stream with every limit (FORMAT ${format}, {col} subject)`, async () => {
      const stream = `STRICT_${format.toUpperCase()}`;
      await runSink(
        `s_${format}`,
        {
          connector: "nats",
          subject: `strict_${format}.{region}`,
          allow_create_stream: "true",
          stream,
          max_bytes: "10485760",
          max_messages: "1000",
          max_messages_per_subject: "100",
          max_consumers: "10",
          max_message_size: "65536",
        },
        format,
      );
      const info = await (await jetstreamManager(nc)).streams.info(stream);
      expect(info.config).toMatchObject({
        subjects: [`strict_${format}.*`],
        max_bytes: 10485760,
        max_msgs: 1000,
        max_msgs_per_subject: 100,
        max_consumers: 10,
        max_msg_size: 65536,
        allow_atomic: true,
      });
      expect(info.state.messages).toBe(rows.length);
    });
  }

  it("creates the stream of allow_create_stream with no limits, named after the sink", async () => {
    await runSink("bare_sink", { connector: "nats", subject: "strict_bare", allow_create_stream: "true" }, "plain");
    expect((await (await jetstreamManager(nc)).streams.info("BARE_SINK")).state.messages).toBe(rows.length);
  });

  it("creates the KV bucket of a nats_kv sink and writes every key", async () => {
    await runSink("kv_sink", { connector: "nats_kv", bucket: "strict_kv" }, "upsert");
    const kv = await new Kvm(nc).open("strict_kv");
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    expect(keys.sort()).toEqual(["1", "2", "3"]);
  });
});

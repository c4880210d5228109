import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { connectOptions, NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SinkError } from "./errors.js";
import { NatsSink } from "./nats-sink.js";
import { resolveSinkOptions, type SinkFormat } from "./sink-options.js";
import { change, columns } from "./test-support.js";

let server: NatsServer;
let nc: NatsConnection;
beforeAll(async () => {
  server = await NatsServer.start();
  nc = await connect({ ...connectOptions(server.client), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

const cols = columns({ id: "integer", name: "varchar" });

function sinkOf(name: string, w: Record<string, string>, format: SinkFormat = "plain"): NatsSink {
  const config = resolveSinkOptions({ connector: "nats", server_url: server.url, connect_mode: "plain", ...w }, format);
  const sink = new NatsSink(name, config);
  sink.bind({ name: "t", columns: cols, key: ["id"], appendOnly: format === "plain" });
  return sink;
}

async function read(
  stream: string,
): Promise<{ subject: string; data: string; op: string | undefined; id: string | undefined }[]> {
  const js = jetstream(nc);
  const info = await (await jetstreamManager(nc)).streams.info(stream);
  const consumer = await js.consumers.get(stream);
  const out = [];
  for (let i = 0; i < info.state.messages; i++) {
    const m = await consumer.next({ expires: 2000 });
    if (m === null) break;
    out.push({
      subject: m.subject,
      data: m.string(),
      op: m.headers?.get("Jetflow-Op") || undefined,
      id: m.headers?.get("Nats-Msg-Id"),
    });
  }
  return out;
}

describe("NatsSink", () => {
  it("publishes a sealed epoch only after commit; publishing it again after a crash is dropped by dedup", async () => {
    await (await jetstreamManager(nc)).streams.add({ name: "PLAIN", subjects: ["plain.out"] });
    const sink = sinkOf("p", { subject: "plain.out" });
    await sink.open();
    sink.restored();
    sink.onChange(
      change(cols, [
        [1, "a"],
        [2, "b"],
      ]),
    );
    sink.seal();
    // The "checkpoint" holding the sealed epoch: a copy of the store as it would be restored.
    const checkpoint = sink.store.checkpoint(true);
    expect((await read("PLAIN")).length).toBe(0);
    sink.committed();
    await sink.drained();
    expect(sink.pending).toBe(0);
    await sink.close();

    // A crash after the publish, before the next checkpoint recorded the epoch as done.
    const again = sinkOf("p", { subject: "plain.out" });
    again.store.restore([checkpoint]);
    again.restored();
    expect(again.pending).toBe(2);
    await again.open();
    again.committed();
    await again.drained();
    again.onChange(change(cols, [[3, "c"]]));
    again.seal();
    again.committed();
    await again.drained();
    await again.close();
    const got = await read("PLAIN");
    expect(got.map((m) => m.data)).toEqual(['{"id":1,"name":"a"}', '{"id":2,"name":"b"}', '{"id":3,"name":"c"}']);
    expect(got[0]?.id).toMatch(/^[0-9a-f-]{36}:p:0:0$/);
    expect(got[2]?.id).toMatch(/:p:1:0$/);
  });

  it("upsert: headers say upsert or delete; {col} subjects", async () => {
    await (await jetstreamManager(nc)).streams.add({ name: "UPS", subjects: ["ups.>"] });
    const sink = sinkOf("u", { subject: "ups.{name}" }, "upsert");
    await sink.open();
    sink.restored();
    sink.onChange(
      change(cols, [
        [1, "a.b"],
        [2, "c"],
      ]),
    );
    sink.onChange(change(cols, [[2, "c"]], [-1]));
    sink.seal();
    sink.committed();
    await sink.drained();
    await sink.close();
    expect(await read("UPS")).toMatchObject([
      { subject: "ups.a=2Eb", data: '{"id":1,"name":"a.b"}', op: "upsert" },
      { subject: "ups.c", data: '{"id":2}', op: "delete" },
    ]);
  });

  it("a KV sink puts rows by key and deletes retracted ones", async () => {
    const config = resolveSinkOptions({
      connector: "nats_kv",
      server_url: server.url,
      connect_mode: "plain",
      bucket: "rows",
    });
    const sink = new NatsSink("kv", config);
    sink.bind({ name: "t", columns: cols, key: ["id", "name"], appendOnly: false });
    // A key of an earlier run: a sink starting without state empties the bucket first.
    const before = await new Kvm(nc).create("rows");
    await before.put("9.stale", "{}");
    await sink.open();
    sink.restored();
    await sink.resetIfFresh();
    sink.onChange(
      change(cols, [
        [1, "a b"],
        [2, "c"],
      ]),
    );
    sink.seal();
    sink.committed();
    sink.onChange(change(cols, [[2, "c"]], [-1]));
    sink.seal();
    sink.committed();
    await sink.drained();
    await sink.close();
    const kv = await new Kvm(nc).open("rows");
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    expect(keys).toEqual(["1.a=20b"]);
    expect((await kv.get("1.a=20b"))?.string()).toBe('{"id":1,"name":"a b"}');
  });

  it("a subject no stream captures is a clear error at open; allow_create_stream creates one", async () => {
    await expect(sinkOf("m", { subject: "nowhere.x" }).open()).rejects.toThrow(SinkError);
    await expect(sinkOf("m", { subject: "nowhere.x" }).open()).rejects.toThrow(
      /no JetStream stream captures subject 'nowhere.x'/,
    );
    const sink = sinkOf("m", {
      subject: "made.{name}",
      allow_create_stream: "true",
      stream: "MADE",
      max_messages: "100",
    });
    await sink.open();
    await sink.close();
    const info = await (await jetstreamManager(nc)).streams.info("MADE");
    expect(info.config.subjects).toEqual(["made.*"]);
    expect(info.config.max_msgs).toBe(100);
  });
});

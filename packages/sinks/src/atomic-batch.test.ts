import { connectOptions, NatsServer, newestServerBinary, versionAtLeast } from "@jetflow/test-harness";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DeliveryCounters } from "./deliver.js";
import { NatsSink, type SinkDelivery } from "./nats-sink.js";
import { resolveSinkOptions } from "./sink-options.js";
import { change, columns } from "./test-support.js";

const cols = columns({ id: "integer", name: "varchar" });
const rowsOf = (from: number, n: number) => Array.from({ length: n }, (_, i) => [from + i, `n${from + i}`]);

/** One checkpoint epoch through a sink: the rows in, sealed, committed, and every ack awaited. */
async function deliverEpoch(sink: NatsSink, rows: readonly unknown[][]): Promise<void> {
  sink.onChange(change(cols, rows));
  sink.seal();
  sink.committed();
  await sink.drained();
}

/** Counters a test can read. */
function tally() {
  const t = { published: 0, failed: 0, retried: 0, batches: 0 };
  const counters: DeliveryCounters = {
    published: (n) => {
      t.published += n;
    },
    failed: (n) => {
      t.failed += n;
    },
    retried: (n) => {
      t.retried += n;
    },
    batches: (n) => {
      t.batches += n;
    },
  };
  return { t, counters };
}

// The suite's server (2.9 unless JETFLOW_NATS_SERVER says otherwise) and the newest installed.
for (const which of ["the suite's server", "the newest server"] as const) {
  describe(`atomic batch publish on ${which}`, () => {
    let server: NatsServer;
    let nc: NatsConnection;
    let atomic: boolean;
    beforeAll(async () => {
      server = await NatsServer.start(which === "the newest server" ? { binary: newestServerBinary().binary } : {});
      atomic = versionAtLeast(server.version, 2, 12);
      nc = await connect({ ...connectOptions(server.client), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    });
    afterAll(async () => {
      await nc?.close();
      await server?.dispose();
    });

    function sinkOf(name: string, w: Record<string, string>, counters: DeliveryCounters, delivered?: SinkDelivery[]) {
      const config = resolveSinkOptions(
        { connector: "nats", server_url: server.url, connect_mode: "plain", ...w },
        "plain",
      );
      const sink = new NatsSink(name, config, {
        counters,
        ...(delivered === undefined ? {} : { onDelivered: (d: SinkDelivery) => delivered.push(d) }),
      });
      sink.bind({ name: "t", columns: cols, key: undefined, appendOnly: true });
      return sink;
    }

    async function ids(stream: string): Promise<string[]> {
      const info = await (await jetstreamManager(nc)).streams.info(stream);
      const consumer = await jetstream(nc).consumers.get(stream);
      const out: string[] = [];
      const it = await consumer.fetch({ max_messages: info.state.messages, expires: 5000 });
      for await (const m of it) {
        out.push(m.headers?.get("Nats-Msg-Id") ?? "");
        if (out.length === info.state.messages) break;
      }
      return out;
    }

    it("an epoch larger than a batch lands exactly once, as batches where the server has them", async () => {
      const { t, counters } = tally();
      const delivered: SinkDelivery[] = [];
      const sink = sinkOf(
        "big",
        { subject: "big.out", allow_create_stream: "true", stream: "BIG" },
        counters,
        delivered,
      );
      await sink.open();
      expect(sink.atomicBatch).toBe(atomic);
      const info = await (await jetstreamManager(nc)).streams.info("BIG");
      expect(info.config.allow_atomic === true).toBe(atomic);
      sink.restored();
      await deliverEpoch(sink, rowsOf(0, 2500));
      await deliverEpoch(sink, rowsOf(2500, 10));
      await sink.close();
      const got = await ids("BIG");
      expect(got).toHaveLength(2510);
      expect(new Set(got).size).toBe(2510);
      expect(got[0]).toMatch(/:big:0:0$/);
      expect(got[2509]).toMatch(/:big:1:9$/);
      expect(t).toEqual({ published: 2510, failed: 0, retried: 0, batches: atomic ? 4 : 0 });
      const mode = atomic ? "atomic" : "one_by_one";
      expect(delivered).toEqual([
        { epoch: 0, messages: 2500, mode },
        { epoch: 1, messages: 10, mode },
      ]);
    });

    it("a replay after a crash (the same epoch again) adds nothing: refused batches are resent one by one", async () => {
      const sink = sinkOf("re", { subject: "re.out", allow_create_stream: "true", stream: "RE" }, tally().counters);
      await sink.open();
      sink.restored();
      sink.onChange(change(cols, rowsOf(0, 1500)));
      sink.seal();
      const checkpoint = sink.store.checkpoint(true);
      sink.committed();
      await sink.drained();
      await sink.close();

      const { t, counters } = tally();
      const again = sinkOf("re", { subject: "re.out" }, counters);
      again.store.restore([checkpoint]);
      again.restored();
      await again.open();
      again.committed();
      await again.drained();
      // New changes after the replay still go as batches.
      await deliverEpoch(again, rowsOf(1500, 5));
      await again.close();
      const got = await ids("RE");
      expect(got).toHaveLength(1505);
      expect(new Set(got).size).toBe(1505);
      // Acked duplicates count as published; the replayed batches were refused, not committed.
      expect(t).toMatchObject({ published: 1505, failed: 0, batches: atomic ? 1 : 0 });
    });

    it("a nats-server restart while batches are in flight: every message lands exactly once", async () => {
      const { t, counters } = tally();
      const sink = sinkOf("rs", { subject: "rs.out", allow_create_stream: "true", stream: "RS" }, counters);
      await sink.open();
      sink.restored();
      sink.onChange(change(cols, rowsOf(0, 30_000)));
      sink.seal();
      sink.committed();
      await server.restart();
      await sink.drained();
      await sink.close();
      const info = await retrying(async () => (await jetstreamManager(nc)).streams.info("RS"));
      expect(info.state.messages).toBe(30_000);
      expect(new Set(await ids("RS")).size).toBe(30_000);
      expect(t.published).toBe(30_000);
      if (atomic) expect(t.batches).toBeGreaterThan(0);
    });

    it("a stream missing while publishing: failed and retried are counted, and every message lands once it is back", async () => {
      const jsm = await jetstreamManager(nc);
      const { t, counters } = tally();
      const sink = sinkOf("gone", { subject: "gone.out", allow_create_stream: "true", stream: "GONE" }, counters);
      await sink.open();
      expect(sink.atomicBatch).toBe(atomic);
      await jsm.streams.delete("GONE");
      sink.restored();
      sink.onChange(change(cols, rowsOf(0, 1500)));
      sink.seal();
      sink.committed();
      await vi.waitFor(() => expect(t.retried).toBeGreaterThan(0), { timeout: 30_000, interval: 50 });
      expect(t.published).toBe(0);
      // Back, without allow_atomic: on 2.12+ the batches are refused (10174) and go one by one.
      await jsm.streams.add({ name: "GONE", subjects: ["gone.out"] });
      await sink.drained();
      await sink.close();
      expect(sink.atomicBatch).toBe(false);
      expect(new Set(await ids("GONE")).size).toBe(1500);
      expect(t.published).toBe(1500);
      expect(t.failed).toBeGreaterThan(0);
      expect(t.batches).toBe(0);
    });

    it("a stream without allow_atomic gets one message at a time", async () => {
      await (await jetstreamManager(nc)).streams.add({ name: "PLAINSTREAM", subjects: ["plainstream.out"] });
      const { t, counters } = tally();
      const sink = sinkOf("ps", { subject: "plainstream.out" }, counters);
      await sink.open();
      expect(sink.atomicBatch).toBe(false);
      sink.restored();
      await deliverEpoch(sink, rowsOf(0, 1200));
      await sink.close();
      expect(new Set(await ids("PLAINSTREAM")).size).toBe(1200);
      expect(t).toEqual({ published: 1200, failed: 0, retried: 0, batches: 0 });
    });

    it.runIf(which === "the newest server")(
      "a process killed mid-batch leaves nothing behind: the epoch's replay lands whole, once",
      async () => {
        const sink = sinkOf(
          "half",
          { subject: "half.out", allow_create_stream: "true", stream: "HALF" },
          tally().counters,
        );
        await sink.open();
        sink.restored();
        sink.onChange(change(cols, rowsOf(0, 800)));
        sink.seal();
        const checkpoint = sink.store.checkpoint(true);
        const { instance } = sink.store.get("meta") as { instance: string };
        await sink.close();
        // What a killed process had sent: the first 500 messages of the batch, no commit.
        const dying = await connect(connectOptions(server.client));
        for (let i = 0; i < 500; i++) {
          const h = headers();
          h.set("Nats-Msg-Id", `${instance}:half:0:${i}`);
          h.set("Nats-Batch-Id", "killed");
          h.set("Nats-Batch-Sequence", String(i + 1));
          dying.publish("half.out", `{"id":${i},"name":"n${i}"}`, { headers: h });
        }
        await dying.flush();
        await dying.close();
        expect((await (await jetstreamManager(nc)).streams.info("HALF")).state.messages).toBe(0);

        const { t, counters } = tally();
        const again = sinkOf("half", { subject: "half.out" }, counters);
        again.store.restore([checkpoint]);
        again.restored();
        await again.open();
        again.committed();
        await again.drained();
        await again.close();
        const got = await ids("HALF");
        expect(got).toHaveLength(800);
        expect(new Set(got).size).toBe(800);
        expect(t).toMatchObject({ published: 800, batches: 1, failed: 0 });
      },
    );

    it.runIf(which === "the newest server")(
      "a stream whose allow_atomic is turned off behind the sink's back: the rest goes one by one",
      async () => {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({ name: "OFF", subjects: ["off.out"], allow_atomic: true });
        const { t, counters } = tally();
        const sink = sinkOf("off", { subject: "off.out" }, counters);
        await sink.open();
        expect(sink.atomicBatch).toBe(true);
        const info = await jsm.streams.info("OFF");
        await jsm.streams.update("OFF", { ...info.config, allow_atomic: false });
        sink.restored();
        await deliverEpoch(sink, rowsOf(0, 1200));
        await sink.close();
        expect(sink.atomicBatch).toBe(false);
        expect(new Set(await ids("OFF")).size).toBe(1200);
        expect(t).toMatchObject({ published: 1200, batches: 0 });
      },
    );
  });
}

async function retrying<T>(f: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      if (attempt === 50) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

import { jetstreamManager } from "@nats-io/jetstream";
import { NatsServer } from "@jetflow/test-harness";
import { describe, expect, it } from "vitest";
import { StreamNotFoundError } from "./errors.js";
import { NatsSource } from "./nats-source.js";
import type { SourceStatus } from "./source-status.js";
import {
  adminConnection,
  blockFor,
  collect,
  configFor,
  createStream,
  freezableProxy,
  load,
  nextStatus,
  range,
  waitForStream,
  whenConnected,
} from "./test-helpers.js";

describe("resilience", () => {
  for (const durable of [false, true]) {
    it(`survives a server restart mid-stream with no loss and no duplicate (${durable ? "durable" : "ephemeral"})`, async () => {
      await using server = await NatsServer.start();
      const nc = await adminConnection(server);
      await createStream(nc, "RST", ["rst.>"]);
      await load(nc, "RST", "rst.a", 20_000, { expectTotal: 20_000 });
      const extra = durable ? { "consumer.durable_name": "rst_reader" } : {};
      const source = await NatsSource.open(configFor(server, "RST", "rst.a", extra), {
        maxBatchRows: 100,
        pullMessages: 500,
      });
      const statuses: SourceStatus[] = [];
      source.status$.subscribe((s) => statuses.push(s));
      let restart: Promise<void> | undefined;
      let atDisconnect = -1;
      const reconnected = nextStatus(source, (s) => s.type === "connected" && atDisconnect >= 0);
      void nextStatus(source, (s) => s.type === "disconnected").then(() => {
        atDisconnect = got.length;
      });
      const got: number[] = [];
      const done = collect(source, (c) => {
        for (let i = got.length; i < c.sequences.length; i++) got.push(c.sequences[i]!);
        if (got.length >= 2_000 && restart === undefined) restart = server.restart();
        // A slow subscriber: the backlog cannot drain while the server restarts.
        if (atDisconnect < 0) blockFor(3);
        return got.length >= 21_000;
      });
      await reconnected;
      await restart;
      await whenConnected(nc);
      // Messages published after the restart arrive too.
      await load(nc, "RST", "rst.a", 1_000, { from: 20_000 });
      await waitForStream(nc, "RST", 21_000);
      const c = await done;
      expect(atDisconnect).toBeGreaterThan(0);
      expect(atDisconnect).toBeLessThan(20_000);
      expect(c.sequences).toEqual(range(1, 21_000));
      expect(c.payloads[20_999]).toBe("rst.a:20999");
      const types = statuses.map((s) => s.type);
      expect(types).toContain("consumer_recreated");
      expect(types.indexOf("disconnected")).toBeGreaterThan(0);
      expect(types.lastIndexOf("connected")).toBeGreaterThan(types.indexOf("disconnected"));
      await source.drop();
      await nc.close();
    });
  }

  it("recreates a consumer deleted under it, at the right sequence", async () => {
    await using server = await NatsServer.start();
    const nc = await adminConnection(server);
    await createStream(nc, "DEL", ["del.>"]);
    await load(nc, "DEL", "del.a", 5_000, { expectTotal: 5_000 });
    const source = await NatsSource.open(configFor(server, "DEL", "del.a"), {
      maxBatchRows: 100,
      pullMessages: 200,
      pullExpiresMs: 1_000,
    });
    const jsm = await jetstreamManager(nc);
    const [info] = await jsm.consumers.list("DEL").next();
    const name = info!.name;
    const recreated = nextStatus(
      source,
      (s): s is Extract<SourceStatus, { type: "consumer_recreated" }> => s.type === "consumer_recreated",
    );
    let deleted: Promise<boolean> | undefined;
    let atDelete = 0;
    const done = collect(source, (c) => {
      if (c.sequences.length >= 1_000 && deleted === undefined) {
        atDelete = c.sequences.length;
        deleted = jsm.consumers.delete("DEL", name);
      }
      if (deleted !== undefined && c.sequences.length < 5_000) blockFor(2);
      return c.sequences.length >= 5_000;
    });
    const status = await recreated;
    expect(status.consumer).toBe(name);
    expect(status.fromSequence).toBeGreaterThan(atDelete);
    expect(status.fromSequence).toBeLessThanOrEqual(5_001);
    const c = await done;
    expect(c.sequences).toEqual(range(1, 5_000));
    await source.stop();
    await nc.close();
  });

  it("reports missed heartbeats when the server goes silent, then continues without loss or duplicate", async () => {
    await using server = await NatsServer.start();
    const nc = await adminConnection(server);
    await createStream(nc, "HB", ["hb.>"]);
    await load(nc, "HB", "hb.a", 100, { expectTotal: 100 });
    const proxy = await freezableProxy(server.port);
    // runtime.servers replaces server_url (the CLI's --server).
    const source = await NatsSource.open(configFor(server, "HB", "hb.a"), {
      servers: [proxy.url],
      pullExpiresMs: 1_000,
    });
    const missed = nextStatus(source, (s) => s.type === "heartbeats_missed");
    let frozen = false;
    const all = collect(source, (c) => {
      if (c.sequences.length >= 100 && !frozen) {
        frozen = true;
        proxy.freeze();
      }
      return c.sequences.length >= 150;
    });
    const status = await missed;
    expect(status).toMatchObject({ type: "heartbeats_missed" });
    await load(nc, "HB", "hb.a", 50, { from: 100, expectTotal: 150 });
    proxy.thaw();
    expect((await all).sequences).toEqual(range(1, 150));
    await source.stop();
    await proxy.close();
    await nc.close();
  });

  it("reports a deleted stream on status$, and fails batches$ when a new stream of that name replaces it", async () => {
    await using server = await NatsServer.start();
    const nc = await adminConnection(server);
    await createStream(nc, "GONE", ["gone.>"]);
    await load(nc, "GONE", "gone.a", 10, { expectTotal: 10 });
    const source = await NatsSource.open(configFor(server, "GONE", "gone.a"), { pullExpiresMs: 1_000 });
    const failed = new Promise<unknown>((resolve) => {
      source.batches$.subscribe({ error: resolve });
    });
    const missing = nextStatus(source, (s) => s.type === "error" && s.error.code === "STREAM_NOT_FOUND");
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete("GONE");
    await missing;
    await createStream(nc, "GONE", ["gone.>"]);
    const err = await failed;
    expect(err).toBeInstanceOf(StreamNotFoundError);
    expect((err as Error).message).toContain("created again");
    await source.stop();
    await nc.close();
  });

  it("ack() whose connection drops before the server confirms resolves and reports it: the checkpoint stands", async () => {
    await using server = await NatsServer.start();
    const nc = await adminConnection(server);
    await createStream(nc, "ACKLOST", ["acklost.>"]);
    await load(nc, "ACKLOST", "acklost.a", 50, { expectTotal: 50 });
    const proxy = await freezableProxy(server.port);
    const source = await NatsSource.open(configFor(server, "ACKLOST", "acklost.a", { "consumer.durable_name": "al" }), {
      servers: [proxy.url],
    });
    expect((await collect(source, (c) => c.sequences.length >= 50)).sequences).toEqual(range(1, 50));
    const reported = nextStatus(source, (s) => s.type === "error" && /sending acks/.test(s.error.message));
    proxy.freeze(); // the acks and the flush's PING leave, the PONG never comes back
    const acking = source.ack(new Map([["acklost.a", 50]]));
    await proxy.close(); // ...and the connection drops
    await expect(acking).resolves.toBeUndefined();
    await reported;
    await source.stop();
    await nc.close();
  });
});

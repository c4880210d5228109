import { jetstreamManager } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { NatsSource } from "./nats-source.js";
import {
  blockFor,
  collect,
  configFor,
  createStream,
  load,
  range,
  waitForStream,
  sharedServer,
} from "./test-helpers.js";

const nats = sharedServer(async ({ nc }) => {
  await createStream(nc, "BAT", ["bat.>"]);
  await load(nc, "BAT", "bat.a", 1_000, { expectTotal: 1_000 });
});

describe("batching", () => {
  it("emits one batch per maxBatchRows messages at most", async () => {
    const source = await NatsSource.open(configFor(nats.server, "BAT", "bat.a"), { maxBatchRows: 64 });
    const got = await collect(source, (c) => c.sequences.length >= 1_000, { keep: true });
    expect(got.sequences).toEqual(range(1, 1_000));
    expect(Math.max(...got.batches.map((b) => b.length))).toBeLessThanOrEqual(64);
    // A backlog fills batches: most are full.
    expect(got.batches.filter((b) => b.length === 64).length).toBeGreaterThanOrEqual(10);
    await source.stop();
  });

  it("emits a batch once it holds maxBatchBytes of payload", async () => {
    await createStream(nats.nc, "BIG", ["big.>"]);
    const payload = new Uint8Array(1_000).fill(65);
    for (let i = 0; i < 100; i++) nats.nc.publish("big.a", payload);
    await nats.nc.flush();
    await waitForStream(nats.nc, "BIG", 100);
    const source = await NatsSource.open(configFor(nats.server, "BIG", "big.a"), { maxBatchBytes: 10_000 });
    const got = await collect(source, (c) => c.sequences.length >= 100, { keep: true });
    expect(got.sequences).toEqual(range(1, 100));
    expect(Math.max(...got.batches.map((b) => b.length))).toBeLessThanOrEqual(10);
    await source.stop();
  });

  it("emits a lone live message after the linger time (no row or byte limit reached)", async () => {
    const source = await NatsSource.open(configFor(nats.server, "BAT", "bat.live", { "scan.startup.mode": "latest" }), {
      lingerMs: 20,
    });
    const got = collect(source, (c) => c.sequences.length >= 1, { keep: true });
    await load(nats.nc, "BAT", "bat.live", 1, { prefix: "one" });
    const c = await got;
    expect(c.payloads).toEqual(["one0"]);
    expect(c.batches).toHaveLength(1);
    await source.stop();
  });

  it("keeps headers when asked (INCLUDE header) and leaves them out otherwise", async () => {
    await createStream(nats.nc, "HDR", ["hdr.>"]);
    const h = headers();
    h.append("trace-id", "abc");
    h.append("tag", "x");
    h.append("tag", "y");
    nats.nc.publish("hdr.a", "with", { headers: h });
    nats.nc.publish("hdr.a", "without");
    await nats.nc.flush();
    await waitForStream(nats.nc, "HDR", 2);
    const withHeaders = await NatsSource.open(configFor(nats.server, "HDR", "hdr.a"), { keepHeaders: true });
    const got = await collect(withHeaders, (c) => c.sequences.length >= 2, { keep: true });
    const hs = got.batches.flatMap((b) => b.headers ?? []);
    expect(hs[0]?.get("trace-id")).toEqual(["abc"]);
    expect(hs[0]?.get("tag")).toEqual(["x", "y"]);
    expect(hs[1]).toBeUndefined();
    await withHeaders.stop();
    const plain = await NatsSource.open(configFor(nats.server, "HDR", "hdr.a"));
    const got2 = await collect(plain, (c) => c.sequences.length >= 2, { keep: true });
    expect(got2.batches.every((b) => b.headers === undefined)).toBe(true);
    await plain.stop();
  });

  it("emits the batch holding the last pre-open message before caughtUp() resolves; lag() counts what is left", async () => {
    const source = await NatsSource.open(configFor(nats.server, "BAT", "bat.a"), { maxBatchRows: 100 });
    expect(source.lag()).toBe(1_000);
    let caught = false;
    let caughtWhenLastSeen: boolean | undefined;
    void source.caughtUp().then(() => {
      caught = true;
    });
    await collect(source, (c) => {
      if (c.sequences.includes(1_000) && caughtWhenLastSeen === undefined) caughtWhenLastSeen = caught;
      return c.sequences.length >= 1_000;
    });
    await source.caughtUp();
    expect(caughtWhenLastSeen).toBe(false);
    expect(caught).toBe(true);
    expect(source.lag()).toBe(0);
    await source.stop();
  });

  it("caughtUp() rejects when the source stops first", async () => {
    const source = await NatsSource.open(configFor(nats.server, "BAT", "bat.a"));
    const waiting = source.caughtUp();
    await source.stop();
    await expect(waiting).rejects.toThrow(/stopped/);
    await expect(source.caughtUp()).rejects.toThrow(/stopped/);
  });

  it("pauses when the last subscriber leaves and resumes after what was emitted: no loss, no duplicate", async () => {
    const source = await NatsSource.open(configFor(nats.server, "BAT", "bat.a"), {
      maxBatchRows: 50,
      pullMessages: 100,
    });
    const seen: number[] = [];
    for (let round = 0; seen.length < 1_000 && round < 100; round++) {
      const c = await collect(source, (x) => x.sequences.length >= 120 || seen.length + x.sequences.length >= 1_000);
      seen.push(...c.sequences);
    }
    expect(seen).toEqual(range(1, 1_000));
    await source.stop();
  });

  it("pulls only as fast as a slow subscriber drains: in flight stays within the pull size", async () => {
    await createStream(nats.nc, "SLOW", ["slow.>"]);
    await load(nats.nc, "SLOW", "slow.a", 3_000, { expectTotal: 3_000 });
    const pull = 200;
    const source = await NatsSource.open(configFor(nats.server, "SLOW", "slow.a"), {
      maxBatchRows: 50,
      pullMessages: pull,
    });
    const jsm = await jetstreamManager(nats.nc);
    const [info] = await jsm.consumers.list("SLOW").next();
    let emitted = 0;
    let worst = 0;
    let checks = 0;
    let checking = false;
    const done = collect(source, (c) => {
      emitted = c.sequences[c.sequences.length - 1] ?? 0;
      blockFor(2);
      if (!checking) {
        checking = true;
        void jsm.consumers.info("SLOW", info!.name).then((ci) => {
          // Delivered by the server but not yet emitted: pulled ahead of the subscriber.
          worst = Math.max(worst, ci.delivered.stream_seq - emitted);
          checks++;
          checking = false;
        });
      }
      return c.sequences.length >= 3_000;
    });
    const c = await done;
    expect(c.sequences).toEqual(range(1, 3_000));
    expect(checks).toBeGreaterThan(5);
    // At most one pull (plus the batch being built) ahead, however large the backlog.
    expect(worst).toBeLessThanOrEqual(pull + 50);
    await source.stop();
  });

  it("publishes raw payloads with headers (dead letters) on its connection", async () => {
    await createStream(nats.nc, "DLQ", ["dlq.>"]);
    const source = await NatsSource.open(configFor(nats.server, "BAT", "bat.a"));
    await source.publish("dlq.bad", new TextEncoder().encode("{broken"), {
      "Jetflow-Error": "bad\\njson",
      "Jetflow-Sequence": "7",
    });
    await waitForStream(nats.nc, "DLQ", 1);
    const jsm = await jetstreamManager(nats.nc);
    const m = await jsm.streams.getMessage("DLQ", { seq: 1 });
    expect(new TextDecoder().decode(m!.data)).toBe("{broken");
    expect(m!.header.get("Jetflow-Sequence")).toBe("7");
    await source.stop();
  });
});

import { versionAtLeast } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { NatsSource } from "./nats-source.js";
import {
  type Collected,
  collect,
  configFor,
  createStream,
  load,
  range,
  waitForStream,
  sharedServer,
} from "./test-helpers.js";

const nats = sharedServer();

/** Per consumer key, the highest offset in what was collected: what a checkpoint would hold. */
function offsetsOf(c: Collected): Map<string, number> {
  const out = new Map<string, number>();
  for (const b of c.batches) for (const [k, v] of b.offsets) out.set(k, Math.max(out.get(k) ?? 0, v));
  return out;
}

async function ackFloor(stream: string, consumer: string, expected: number): Promise<number> {
  const jsm = await jetstreamManager(nats.nc);
  let floor = -1;
  for (let i = 0; i < 200; i++) {
    floor = (await jsm.consumers.info(stream, consumer)).ack_floor.stream_seq;
    if (floor === expected) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return floor;
}

describe("resume from checkpointed offsets", () => {
  it("starts each consumer right after its offset: no loss, no duplicate", async () => {
    await createStream(nats.nc, "RES", ["res.>"]);
    for (let i = 0; i < 200; i++) nats.nc.publish(i % 2 === 0 ? "res.a" : "res.b", `${i}`);
    await nats.nc.flush();
    await waitForStream(nats.nc, "RES", 200);
    const first = await NatsSource.open(configFor(nats.server, "RES", "res.a,res.b"), {
      maxBatchRows: 16,
      pullMessages: 20,
    });
    const c1 = await collect(first, (c) => c.sequences.length >= 50 && new Set(c.subjects).size === 2, { keep: true });
    await first.stop();
    const offsets = offsetsOf(c1);
    expect([...offsets.keys()].sort()).toEqual(["res.a", "res.b"]);
    // What was emitted up to the offsets, per subject.
    const done = new Set(c1.sequences.filter((s, i) => s <= offsets.get(c1.subjects[i]!)!));
    for (let i = 200; i < 300; i++) nats.nc.publish(i % 2 === 0 ? "res.a" : "res.b", `${i}`);
    await nats.nc.flush();
    await waitForStream(nats.nc, "RES", 300);
    const second = await NatsSource.open(configFor(nats.server, "RES", "res.a,res.b"), { offsets });
    const rest = done.size;
    const c2 = await collect(second, (c) => c.sequences.length >= 300 - rest);
    await second.caughtUp();
    for (const [i, s] of c2.sequences.entries()) expect(s).toBeGreaterThan(offsets.get(c2.subjects[i]!)!);
    expect([...done, ...c2.sequences].sort((x, y) => x - y)).toEqual(range(1, 300));
    await second.stop();
  });

  it("batch offsets hold every consumer's position, so a quiet subject resumes where it was (latest start)", async () => {
    await createStream(nats.nc, "QUIET", ["quiet.>"]);
    await load(nats.nc, "QUIET", "quiet.a", 5);
    await load(nats.nc, "QUIET", "quiet.b", 5, { expectTotal: 10 });
    const config = configFor(nats.server, "QUIET", "quiet.a,quiet.b", { "scan.startup.mode": "latest" });
    const first = await NatsSource.open(config);
    const got = collect(first, (c) => c.sequences.length >= 1, { keep: true });
    await load(nats.nc, "QUIET", "quiet.a", 1, { from: 5 });
    const offsets = offsetsOf(await got);
    // 2.10+: one multi-filter consumer, one position for both subjects; 2.9: one per subject.
    const multi = versionAtLeast(nats.server.version, 2, 10);
    expect(offsets).toEqual(
      new Map([
        ["quiet.a", 11],
        ["quiet.b", multi ? 11 : 10],
      ]),
    );
    await first.stop();
    // Published to the quiet subject while the source was down: read after a restart, not skipped.
    await load(nats.nc, "QUIET", "quiet.b", 1, { from: 5, expectTotal: 12 });
    const second = await NatsSource.open(config, { offsets });
    expect(second.lag()).toBe(1);
    expect((await collect(second, (c) => c.sequences.length >= 1)).sequences).toEqual([12]);
    await second.stop();
  });

  it("an offset at the end is caught up at once", async () => {
    await createStream(nats.nc, "RESEND", ["resend.>"]);
    await load(nats.nc, "RESEND", "resend.a", 10, { expectTotal: 10 });
    const source = await NatsSource.open(configFor(nats.server, "RESEND", "resend.a"), {
      offsets: new Map([["resend.a", 10]]),
    });
    await source.caughtUp();
    const got = collect(source, (c) => c.sequences.length >= 1);
    await load(nats.nc, "RESEND", "resend.a", 1, { from: 10 });
    expect((await got).sequences).toEqual([11]);
    await source.stop();
  });
});

describe("durable consumers", () => {
  it("ack only on ack() (AckPolicy all: the last one), and resume where acked without offsets", async () => {
    await createStream(nats.nc, "DUR", ["dur.>"]);
    await load(nats.nc, "DUR", "dur.a", 100, { expectTotal: 100 });
    const config = configFor(nats.server, "DUR", "dur.a", { "consumer.durable_name": "dur_reader" });
    const source = await NatsSource.open(config, { maxBatchRows: 10 });
    const c = await collect(source, (x) => x.sequences.length >= 100);
    expect(c.sequences).toEqual(range(1, 100));
    const jsm = await jetstreamManager(nats.nc);
    const info = await jsm.consumers.info("DUR", "dur_reader");
    expect(info.ack_floor.stream_seq).toBe(0);
    expect(info.num_ack_pending).toBe(100);
    expect(info.config.ack_policy).toBe("all");
    await source.ack(new Map([["dur.a", 60]]));
    expect(await ackFloor("DUR", "dur_reader", 60)).toBe(60);
    await source.ack(new Map([["dur.a", 70]]));
    expect(await ackFloor("DUR", "dur_reader", 70)).toBe(70);
    await source.stop();
    // The durable consumer outlives stop() and resumes after what was acked.
    expect((await jsm.consumers.info("DUR", "dur_reader")).name).toBe("dur_reader");
    const again = await NatsSource.open(config);
    const c2 = await collect(again, (x) => x.sequences.length >= 30);
    await again.caughtUp();
    expect(c2.sequences).toEqual(range(71, 100));
    // A checkpoint is authoritative over the consumer's own position, either way.
    await again.stop();
    const behind = await NatsSource.open(config, { offsets: new Map([["dur.a", 40]]) });
    expect((await collect(behind, (x) => x.sequences.length >= 60)).sequences).toEqual(range(41, 100));
    await behind.stop();
    const ahead = await NatsSource.open(config, { offsets: new Map([["dur.a", 90]]) });
    expect((await collect(ahead, (x) => x.sequences.length >= 10)).sequences).toEqual(range(91, 100));
    await ahead.drop();
    await expect(jsm.consumers.info("DUR", "dur_reader")).rejects.toThrow(/not found/);
  });

  it("several subjects: one durable consumer (2.10+) or one each named after the durable name and the subject (2.9)", async () => {
    await createStream(nats.nc, "DURM", ["durm.>"]);
    await load(nats.nc, "DURM", "durm.a", 5);
    await load(nats.nc, "DURM", "durm.b", 5, { expectTotal: 10 });
    const config = configFor(nats.server, "DURM", "durm.a,durm.b", { "consumer.durable_name": "multi" });
    const source = await NatsSource.open(config);
    const c = await collect(source, (x) => x.sequences.length >= 10);
    expect([...c.sequences].sort((a, b) => a - b)).toEqual(range(1, 10));
    await source.ack(
      new Map([
        ["durm.a", 5],
        ["durm.b", 10],
      ]),
    );
    const jsm = await jetstreamManager(nats.nc);
    const names: string[] = [];
    for await (const ci of jsm.consumers.list("DURM")) names.push(ci.name);
    if (versionAtLeast(nats.server.version, 2, 10)) {
      expect(names).toEqual(["multi"]);
    } else {
      expect(names.sort()).toHaveLength(2);
      expect(names.every((n) => n.startsWith("multi_durm_"))).toBe(true);
    }
    await source.stop();
    // Reopened, both resume after their acks: nothing left.
    const again = await NatsSource.open(config);
    await again.caughtUp();
    expect(again.lag()).toBe(0);
    await again.drop();
    expect((await jsm.streams.info("DURM")).state.consumer_count).toBe(0);
  });

  it("explicit ack policy acks each delivery up to the offset", async () => {
    await createStream(nats.nc, "DUREX", ["durex.>"]);
    await load(nats.nc, "DUREX", "durex.a", 50, { expectTotal: 50 });
    const config = configFor(nats.server, "DUREX", "durex.a", {
      "consumer.durable_name": "durex_reader",
      "consumer.ack_policy": "explicit",
    });
    const source = await NatsSource.open(config);
    await collect(source, (x) => x.sequences.length >= 50);
    await source.ack(new Map([["durex.a", 25]]));
    expect(await ackFloor("DUREX", "durex_reader", 25)).toBe(25);
    const jsm = await jetstreamManager(nats.nc);
    expect((await jsm.consumers.info("DUREX", "durex_reader")).num_ack_pending).toBe(25);
    await source.drop();
  });

  it("drop() after stop() still removes the durable consumer", async () => {
    await createStream(nats.nc, "DURDROP", ["durdrop.>"]);
    const source = await NatsSource.open(
      configFor(nats.server, "DURDROP", "durdrop.a", { "consumer.durable_name": "dd" }),
    );
    await source.stop();
    const jsm = await jetstreamManager(nats.nc);
    expect((await jsm.streams.info("DURDROP")).state.consumer_count).toBe(1);
    await source.drop();
    expect((await jsm.streams.info("DURDROP")).state.consumer_count).toBe(0);
  });

  it("ack() on an ephemeral consumer (ack policy none) sends nothing", async () => {
    await createStream(nats.nc, "EPHACK", ["ephack.>"]);
    await load(nats.nc, "EPHACK", "ephack.a", 5, { expectTotal: 5 });
    const source = await NatsSource.open(configFor(nats.server, "EPHACK", "ephack.a"));
    await collect(source, (x) => x.sequences.length >= 5);
    await source.ack(new Map([["ephack.a", 5]]));
    const jsm = await jetstreamManager(nats.nc);
    const [info] = await jsm.consumers.list("EPHACK").next();
    expect(info?.config.ack_policy).toBe("none");
    await source.stop();
  });
});

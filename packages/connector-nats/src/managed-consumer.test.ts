import type { JetflowError } from "@jetflow/core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import type { NatsSourceConfig } from "./config.js";
import { type ConsumerContext, type ConsumerListener, type Delivery, ManagedConsumer } from "./managed-consumer.js";
import { resolveReadPath } from "./read-path.js";
import { featuresOf } from "./server-features.js";
import type { SourceStatus } from "./source-status.js";
import { configFor, createStream, load, range, sharedServer, waitForStream } from "./test-helpers.js";

const nats = sharedServer();

/** A listener that records what a consumer hands over and marks each message emitted at once. */
class Recorder implements ConsumerListener {
  readonly seqs: number[] = [];
  readonly statuses: SourceStatus[] = [];
  readonly fatal: JetflowError[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  onMessage(c: ManagedConsumer, _m: Delivery, _subject: string, seq: number): void {
    this.seqs.push(seq);
    c.markEmitted(seq);
    for (const w of this.waiters.filter((w) => this.seqs.length >= w.n)) w.resolve();
  }
  onReachedEnd(): void {}
  onStatus(s: SourceStatus): void {
    this.statuses.push(s);
  }
  onFatal(e: JetflowError): void {
    this.fatal.push(e);
  }
  received(n: number): Promise<void> {
    if (this.seqs.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

async function contextFor(config: NatsSourceConfig): Promise<ConsumerContext> {
  const jsm = await jetstreamManager(nats.nc);
  const info = await jsm.streams.info(config.stream);
  return {
    nc: nats.nc,
    jsm,
    js: jetstream(nats.nc),
    config,
    secrets: [],
    pullMessages: 100,
    expiresMs: 1_000,
    openLastSeq: info.state.last_seq,
    streamCreated: info.created,
    features: featuresOf(nats.nc),
    readPath: resolveReadPath(undefined),
  };
}

describe("ManagedConsumer", () => {
  it("moves through ready, running, paused and stopped, handing every message over once", async () => {
    await createStream(nats.nc, "MC", ["mc.>"]);
    await load(nats.nc, "MC", "mc.a", 50, { expectTotal: 50 });
    const config = configFor(nats.server, "MC", "mc.a");
    const rec = new Recorder();
    const c = new ManagedConsumer(await contextFor(config), rec, ["mc.a"], "mc_phases");
    expect(c.phase).toBe("paused");
    await c.open(new Map());
    expect(c.phase).toBe("ready"); // created, never consumed from
    c.start();
    expect(c.phase).toBe("running");
    await rec.received(50);
    c.pause();
    expect(c.phase).toBe("paused");
    await load(nats.nc, "MC", "mc.a", 10, { from: 50, expectTotal: 60 });
    c.start(); // recreated after the emitted messages
    expect(c.phase).toBe("running");
    await rec.received(60);
    await c.stop(true);
    expect(c.phase).toBe("stopped");
    c.start();
    expect(c.phase).toBe("stopped"); // for good
    expect(rec.seqs).toEqual(range(1, 60));
    expect(rec.fatal).toEqual([]);
  });

  it("resumes after checkpointed offsets, skipping per subject what each had handled", async () => {
    await createStream(nats.nc, "MCF", ["mcf.>"]);
    for (let i = 1; i <= 30; i++) nats.nc.publish(i % 2 === 0 ? "mcf.a" : "mcf.b", `${i}`);
    await nats.nc.flush();
    await waitForStream(nats.nc, "MCF", 30);
    // A checkpoint of per-subject consumers: mcf.a was at 20, mcf.b at 11.
    const offsets = new Map([
      ["mcf.a", 20],
      ["mcf.b", 11],
    ]);
    const config = configFor(nats.server, "MCF", "mcf.a,mcf.b");
    const rec = new Recorder();
    const ctx = await contextFor(config);
    // One consumer for both subjects, as on 2.10+ (on 2.9 one per subject, as the source does it).
    const keys = ctx.features.multiFilter ? [["mcf.a", "mcf.b"]] : [["mcf.a"], ["mcf.b"]];
    const consumers = keys.map((k, i) => new ManagedConsumer(ctx, rec, k, `mcf_${i}`));
    for (const c of consumers) await c.open(offsets);
    for (const c of consumers) c.start();
    const expected = range(12, 30).filter((s) => (s % 2 === 0 ? s > 20 : s > 11));
    await rec.received(expected.length);
    for (const c of consumers) await c.stop(true);
    expect([...rec.seqs].sort((a, b) => a - b)).toEqual(expected);
  });

  it("a durable consumer deleted behind its back is recreated from the checkpointed sequence: complete and exact", async () => {
    await createStream(nats.nc, "MCD", ["mcd.>"]);
    await load(nats.nc, "MCD", "mcd.a", 40, { expectTotal: 40 });
    const config = configFor(nats.server, "MCD", "mcd.a", { "consumer.durable_name": "mcd_reader" });
    const rec = new Recorder();
    const c = new ManagedConsumer(await contextFor(config), rec, ["mcd.a"], "mcd_reader");
    await c.open(new Map());
    c.start();
    await rec.received(40);
    expect(c.ack(25)).toBe(1); // a checkpoint covered 1..25 (AckPolicy all: one ack)
    await nats.nc.flush();
    const jsm = await jetstreamManager(nats.nc);
    await jsm.consumers.delete("MCD", "mcd_reader");
    await load(nats.nc, "MCD", "mcd.a", 20, { from: 40, expectTotal: 60 });
    await rec.received(60);
    const recreated = rec.statuses.find((s) => s.type === "consumer_recreated");
    expect(recreated).toEqual({ type: "consumer_recreated", consumer: "mcd_reader", fromSequence: 26 });
    // 26..40 came again from the server and were dropped as duplicates: each handed over once.
    expect(rec.seqs).toEqual(range(1, 60));
    await c.stop(true);
  });
});

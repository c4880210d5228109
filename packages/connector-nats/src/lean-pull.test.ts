import { AckPolicy, type ConsumerConfig, jetstreamManager } from "@nats-io/jetstream";
import { NatsServer } from "@jetflow/test-harness";
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import { describe, expect, it, vi } from "vitest";
import { DeliveryInfo } from "./delivery-info.js";
import { LeanPull, type PullEvent, type PullHandler } from "./lean-pull.js";
import type { WireFields } from "./raw-msg.js";
import { adminConnection, createStream, load, range, sharedServer, whenConnected } from "./test-helpers.js";

const nats = sharedServer();
const WAIT = { timeout: 20_000, interval: 20 };

/** Records what a pull hands over: stream sequences, delivery counts, payloads, replies, events. */
class Recorder implements PullHandler {
  readonly seqs: number[] = [];
  readonly counts: number[] = [];
  readonly payloads: string[] = [];
  readonly replies: string[] = [];
  readonly events: PullEvent[] = [];
  readonly failures: unknown[] = [];
  private readonly info = new DeliveryInfo();

  message(m: Msg, wire: WireFields | undefined): void {
    expect(wire?.reply).toBeInstanceOf(Uint8Array);
    expect(this.info.parseBytes(wire!.reply as Uint8Array)).toBe(true);
    this.seqs.push(this.info.streamSequence);
    this.counts.push(this.info.deliveryCount);
    this.payloads.push(new TextDecoder().decode(m.data));
    this.replies.push(m.reply!);
  }
  event(e: PullEvent): void {
    this.events.push(e);
  }
  failed(e: unknown): void {
    this.failures.push(e);
  }
}

async function consumerOn(nc: NatsConnection, stream: string, cfg: Partial<ConsumerConfig>): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(stream, { ack_policy: AckPolicy.None, ...cfg });
}

async function leanPull(
  nc: NatsConnection,
  stream: string,
  consumer: string,
  rec: Recorder,
  opts: { batch?: number; expiresMs?: number; idleHeartbeatMs?: number } = {},
): Promise<LeanPull> {
  const pull = new LeanPull(
    nc,
    await jetstreamManager(nc),
    stream,
    consumer,
    { batch: opts.batch ?? 100, expiresMs: opts.expiresMs ?? 10_000, idleHeartbeatMs: opts.idleHeartbeatMs ?? 1_000 },
    rec,
  );
  pull.start();
  return pull;
}

describe("LeanPull", () => {
  it("delivers every message in stream order, pulling again as each pull drains", async () => {
    await createStream(nats.nc, "LP", ["lp.>"]);
    await load(nats.nc, "LP", "lp.a", 2_000, { expectTotal: 2_000 });
    await consumerOn(nats.nc, "LP", { durable_name: "lp_order" });
    const rec = new Recorder();
    // A pull of 64 messages: 2,000 take dozens of pulls.
    const pull = await leanPull(nats.nc, "LP", "lp_order", rec, { batch: 64 });
    await vi.waitFor(() => expect(rec.seqs.length).toBeGreaterThanOrEqual(2_000), WAIT);
    // Published while the pull waits at the live edge: delivered too.
    await load(nats.nc, "LP", "lp.a", 10, { from: 2_000, expectTotal: 2_010 });
    await vi.waitFor(() => expect(rec.seqs.length).toBe(2_010), WAIT);
    pull.stop();
    expect(rec.seqs).toEqual(range(1, 2_010));
    expect(rec.payloads[1_999]).toBe("lp.a:1999");
    expect(rec.counts.every((c) => c === 1)).toBe(true);
    expect(rec.failures).toEqual([]);
    // The consumer agrees: nothing left to deliver.
    const info = await (await jetstreamManager(nats.nc)).consumers.info("LP", "lp_order");
    expect(info.num_pending).toBe(0);
  });

  it("acks go to the reply subjects; after a crash only the unacked messages come again, as redeliveries", async () => {
    await createStream(nats.nc, "LPA", ["lpa.>"]);
    await load(nats.nc, "LPA", "lpa.a", 100, { expectTotal: 100 });
    await consumerOn(nats.nc, "LPA", {
      durable_name: "lpa_reader",
      ack_policy: AckPolicy.Explicit,
      ack_wait: 1_000_000_000, // 1 s: redelivery after the crash comes quickly
    });
    const first = new Recorder();
    const crashed = await leanPull(nats.nc, "LPA", "lpa_reader", first);
    await vi.waitFor(() => expect(first.seqs.length).toBe(100), WAIT);
    for (const r of first.replies.slice(0, 60)) nats.nc.publish(r, "+ACK");
    await nats.nc.flush();
    crashed.stop(); // gone without acking 61..100
    const second = new Recorder();
    const pull = await leanPull(nats.nc, "LPA", "lpa_reader", second);
    await vi.waitFor(() => expect(second.seqs.length).toBeGreaterThanOrEqual(40), WAIT);
    pull.stop();
    expect(second.seqs.slice(0, 40)).toEqual(range(61, 100));
    expect(second.counts.slice(0, 40).every((c) => c >= 2)).toBe(true);
  });

  it("pulls that expire are renewed on their 408s, and heartbeats keep an idle pull alive without a probe", async () => {
    await createStream(nats.nc, "LPH", ["lph.>"]);
    await consumerOn(nats.nc, "LPH", { durable_name: "lph_reader" });
    const rec = new Recorder();
    // Expiry 1 s, heartbeat 0.5 s: several pulls expire while the stream is empty.
    const pull = await leanPull(nats.nc, "LPH", "lph_reader", rec, {
      batch: 10,
      expiresMs: 1_000,
      idleHeartbeatMs: 500,
    });
    const jsm = await jetstreamManager(nats.nc);
    // Wait until a first pull has expired and another is waiting (the server counts waiting pulls).
    await vi.waitFor(async () => {
      const info = await jsm.consumers.info("LPH", "lph_reader");
      expect(info.num_waiting).toBeGreaterThan(0);
    }, WAIT);
    await new Promise((r) => setTimeout(r, 2_500)); // > 2 expiries: only renewed pulls can deliver now
    await load(nats.nc, "LPH", "lph.a", 3, { expectTotal: 3 });
    await vi.waitFor(() => expect(rec.seqs).toEqual([1, 2, 3]), WAIT);
    pull.stop();
    expect(rec.failures).toEqual([]);
    // Renewed on the 408s, not rescued by a probe after silence.
    expect(rec.events.filter((e) => e.type === "heartbeats_missed")).toEqual([]);
  });

  it("a consumer deleted behind its back is reported as lost", async () => {
    await createStream(nats.nc, "LPD", ["lpd.>"]);
    await load(nats.nc, "LPD", "lpd.a", 5, { expectTotal: 5 });
    await consumerOn(nats.nc, "LPD", { durable_name: "lpd_reader" });
    const rec = new Recorder();
    const pull = await leanPull(nats.nc, "LPD", "lpd_reader", rec, { expiresMs: 2_000, idleHeartbeatMs: 500 });
    await vi.waitFor(() => expect(rec.seqs.length).toBe(5), WAIT);
    await (await jetstreamManager(nats.nc)).consumers.delete("LPD", "lpd_reader");
    // 2.10+ says so in a 409 on the waiting pull; 2.9 drops the pull silently, so missed
    // heartbeats and a probe find out.
    await vi.waitFor(() => expect(rec.events.some((e) => e.type === "consumer_lost")).toBe(true), WAIT);
    pull.stop();
  });

  it("after a server restart, missed heartbeats probe the consumer and pull again: nothing lost", async () => {
    await using server = await NatsServer.start();
    const nc = await adminConnection(server);
    try {
      await createStream(nc, "LPR", ["lpr.>"]);
      await load(nc, "LPR", "lpr.a", 10, { expectTotal: 10 });
      await consumerOn(nc, "LPR", { durable_name: "lpr_reader" });
      const rec = new Recorder();
      const pull = await leanPull(nc, "LPR", "lpr_reader", rec, { expiresMs: 5_000, idleHeartbeatMs: 500 });
      await vi.waitFor(() => expect(rec.seqs.length).toBe(10), WAIT);
      await server.restart(); // the waiting pull dies with the server; the durable consumer stays
      await whenConnected(nc);
      await load(nc, "LPR", "lpr.a", 10, { from: 10, expectTotal: 20 });
      await vi.waitFor(() => expect(rec.seqs.length).toBe(20), WAIT);
      pull.stop();
      expect(rec.seqs).toEqual(range(1, 20));
      expect(rec.events.some((e) => e.type === "heartbeats_missed")).toBe(true);
    } finally {
      await nc.close();
    }
  });
});

import { versionAtLeast } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { StreamNotFoundError } from "./errors.js";
import { NatsSource } from "./nats-source.js";
import type { SourceStatus } from "./source-status.js";
import type { ReadPath } from "./read-path.js";
import { collect, configFor, createStream, load, range, sharedServer, waitForStream } from "./test-helpers.js";

const nats = sharedServer();

describe("NatsSource", () => {
  it("emits every message of the stream once, in order, with subjects, payloads, timestamps and offsets", async () => {
    await createStream(nats.nc, "BASIC", ["basic.>"]);
    await load(nats.nc, "BASIC", "basic.a", 2500, { expectTotal: 2500 });
    const source = await NatsSource.open(configFor(nats.server, "BASIC", "basic.>"), { maxBatchRows: 1000 });
    const statuses: SourceStatus[] = [];
    source.status$.subscribe((s) => statuses.push(s));
    const before = Date.now();
    const caught = source.caughtUp();
    const got = await collect(source, (c) => c.sequences.length >= 2500, { keep: true });
    await caught;
    expect(got.sequences).toEqual(range(1, 2500));
    expect(got.payloads[0]).toBe("basic.a:0");
    expect(got.payloads[2499]).toBe("basic.a:2499");
    expect(new Set(got.subjects)).toEqual(new Set(["basic.a"]));
    expect(Math.max(...got.batches.map((b) => b.length))).toBeLessThanOrEqual(1000);
    const last = got.batches[got.batches.length - 1]!;
    expect(last.offsets.get("basic.>")).toBe(2500);
    const ts = last.timestampsUs[last.length - 1]!;
    expect(ts).toBeGreaterThan((before - 60_000) * 1000);
    expect(ts).toBeLessThan((Date.now() + 60_000) * 1000);
    expect(statuses[0]).toMatchObject({ type: "connected", version: nats.server.version.text });
    expect(statuses.some((s) => s.type === "caught_up")).toBe(true);
    expect(source.lag()).toBe(0);
    // The project connector-nats-consumer sets JETFLOW_READ_PATH=consumer: the same assertions on the fallback path.
    expect(source.readPath).toBe(process.env.JETFLOW_READ_PATH === "consumer" ? "consumer" : "lean");
    await source.stop();
  });

  it("the lean and the consumer read paths emit the same messages, subjects, payloads, timestamps and offsets", async () => {
    await createStream(nats.nc, "PATHS", ["paths.>"]);
    for (let i = 0; i < 3_000; i++) nats.nc.publish(i % 3 === 0 ? "paths.a" : "paths.b", `m${i}`);
    await nats.nc.flush();
    await waitForStream(nats.nc, "PATHS", 3_000);
    const read = async (readPath: ReadPath) => {
      const source = await NatsSource.open(configFor(nats.server, "PATHS", "paths.a,paths.b"), {
        readPath,
        maxBatchRows: 500,
        keepHeaders: true,
      });
      const got = await collect(source, (c) => c.sequences.length >= 3_000, { keep: true });
      await source.stop();
      // On 2.9 two consumers (one per subject) interleave as they like: compare in stream order.
      const rows = got.sequences.map((seq, i) => {
        const b = got.batches.find((x) => x.sequences.includes(seq))!;
        return [seq, got.subjects[i], got.payloads[i], b.timestampsUs[b.sequences.indexOf(seq)]] as const;
      });
      rows.sort((x, y) => x[0] - y[0]);
      const offsets = new Map<string, number>();
      for (const b of got.batches) for (const [k, v] of b.offsets) offsets.set(k, Math.max(v, offsets.get(k) ?? 0));
      return { rows, offsets: [...offsets].sort() };
    };
    const lean = await read("lean");
    const consumer = await read("consumer");
    expect(lean.rows.map((r) => r[0])).toEqual(range(1, 3_000));
    expect(lean.rows[2_999]).toEqual([3_000, "paths.b", "m2999", expect.any(Number)]);
    expect(lean).toEqual(consumer);
    // One consumer for both subjects (2.10+) reports its position under each; on 2.9 each has its own.
    const a = versionAtLeast(nats.server.version, 2, 10) ? 3_000 : 2_998;
    expect(lean.offsets).toEqual([
      ["paths.a", a],
      ["paths.b", 3_000],
    ]);
  });

  it("reads within the consumer's pull limits (consumer.max_batch, max_bytes, max_waiting): every message, no refusal", async () => {
    await createStream(nats.nc, "LIMITS", ["limits.>"]);
    await load(nats.nc, "LIMITS", "limits.a", 1_000, { expectTotal: 1_000 });
    const source = await NatsSource.open(
      configFor(nats.server, "LIMITS", "limits.a", {
        "consumer.max_batch": "50",
        "consumer.max_bytes": "100000",
        "consumer.max_waiting": "4",
      }),
      { maxBatchRows: 100 },
    );
    const statuses: SourceStatus[] = [];
    source.status$.subscribe((s) => statuses.push(s));
    const got = await collect(source, (c) => c.sequences.length >= 1_000);
    await source.stop();
    expect(got.sequences).toEqual(range(1, 1_000));
    expect(statuses.filter((s) => s.type === "error" || s.type === "heartbeats_missed")).toEqual([]);
  });

  it("fails with StreamNotFoundError when the stream is missing, and creates it with allow_create_stream", async () => {
    await expect(NatsSource.open(configFor(nats.server, "MISSING", "missing.x"))).rejects.toBeInstanceOf(
      StreamNotFoundError,
    );
    const source = await NatsSource.open(
      configFor(nats.server, "CREATED", "created.x", {
        allow_create_stream: "true",
        max_messages: "1000",
        max_bytes: "1048576",
        max_messages_per_subject: "100",
        max_consumers: "10",
        max_message_size: "4096",
      }),
    );
    const jsm = await jetstreamManager(nats.nc);
    const info = await jsm.streams.info("CREATED");
    expect(info.config.subjects).toEqual(["created.x"]);
    expect(info.config.max_msgs).toBe(1000);
    expect(info.config.max_bytes).toBe(1048576);
    expect(info.config.max_msgs_per_subject).toBe(100);
    expect(info.config.max_consumers).toBe(10);
    expect(info.config.max_msg_size).toBe(4096);
    await source.stop();
    // A name differing only by case would share the store directory on case-insensitive file systems.
    await expect(
      NatsSource.open(configFor(nats.server, "created", "created.y", { allow_create_stream: "true" })),
    ).rejects.toThrow(/collide with the existing stream 'CREATED'/);
  });

  it("removes the ephemeral consumers it created on stop (one per subject on 2.9, one on 2.10+)", async () => {
    await createStream(nats.nc, "EPH", ["eph.>"]);
    const jsm = await jetstreamManager(nats.nc);
    const source = await NatsSource.open(configFor(nats.server, "EPH", "eph.a,eph.b"));
    const consumers = versionAtLeast(nats.server.version, 2, 10) ? 1 : 2;
    expect((await jsm.streams.info("EPH")).state.consumer_count).toBe(consumers);
    await source.stop();
    await source.stop();
    expect((await jsm.streams.info("EPH")).state.consumer_count).toBe(0);
  });
});

import { ErrorCode } from "@jetflow/core";
import { jetstreamManager } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";
import { ConnectionFailedError, StreamNotFoundError } from "./errors.js";
import { NatsSource } from "./nats-source.js";
import { ReaderThreads } from "./reader-threads.js";
import { collect, configFor, createStream, range, sharedServer, waitForStream, withFor } from "./test-helpers.js";
import { ThreadedSource } from "./threaded-source.js";

const nats = sharedServer(async ({ nc }) => {
  await createStream(nc, "THR", ["thr.>"]);
  for (let i = 1; i <= 3000; i++) {
    const h = headers();
    h.set("n", String(i));
    nc.publish(i % 3 === 0 ? "thr.b" : "thr.a", JSON.stringify({ i }), { headers: h });
  }
  await nc.flush();
  await waitForStream(nc, "THR", 3000);
});
const threads = new ReaderThreads(2);
afterAll(() => threads.close());

const runtime = { maxBatchRows: 256, pullMessages: 500, keepHeaders: true };

describe("ThreadedSource: a NatsSource in a reader thread", () => {
  it("emits the same batches as NatsSource on this thread: payloads, subjects, sequences, times, headers, offsets", async () => {
    const here = await NatsSource.open(configFor(nats.server, "THR", "thr.a,thr.b"), runtime);
    const there = await ThreadedSource.open(threads, withFor(nats.server, "THR", "thr.a,thr.b"), runtime);
    try {
      const done = (c: { sequences: number[] }) => c.sequences.length >= 3000;
      const [a, b] = await Promise.all([collect(here, done, { keep: true }), collect(there, done, { keep: true })]);
      // On 2.9 each subject has a consumer of its own, so the two interleave differently from
      // run to run: compare message by message in stream order, and each subject's order.
      const rows = (c: typeof a) =>
        c.batches
          .flatMap((x) =>
            Array.from({ length: x.length }, (_, i) => ({
              seq: x.sequences[i],
              subject: x.subjects[i],
              payload: Buffer.from(x.payloads[i] as Uint8Array).toString(),
              time: x.timestampsUs[i],
              n: x.headers?.[i]?.get("n")?.[0],
            })),
          )
          .sort((p, q) => (p.seq as number) - (q.seq as number));
      expect(rows(b)).toEqual(rows(a));
      expect(rows(b).map((r) => r.seq)).toEqual(range(1, 3000));
      expect(rows(b)[2]).toMatchObject({ subject: "thr.b", payload: '{"i":3}', n: "3" });
      for (const subject of ["thr.a", "thr.b"]) {
        const order = b.sequences.filter((_, i) => b.subjects[i] === subject);
        expect(order).toEqual([...order].sort((p, q) => p - q));
      }
      const last = (c: typeof a) => {
        const m = new Map<string, number>();
        for (const x of c.batches) for (const [k, v] of x.offsets) m.set(k, v);
        return m;
      };
      expect(last(b)).toEqual(last(a));
      await Promise.all([here.caughtUp(), there.caughtUp()]);
      expect(there.lag()).toBe(0);
    } finally {
      await Promise.all([here.stop(), there.stop()]);
    }
  });

  it("fails at open with the same typed error as NatsSource", async () => {
    const e = await ThreadedSource.open(threads, withFor(nats.server, "NOPE", "nope.x"), runtime).catch((x) => x);
    expect(e).toBeInstanceOf(StreamNotFoundError);
    expect(e.code).toBe(ErrorCode.StreamNotFound);
    expect(e.stream).toBe("NOPE");
    expect(e.message).toMatch(/NOPE/);
  });

  it("a pause loses nothing: batches that crossed meanwhile are delivered first on resubscribe, none twice", async () => {
    const source = await ThreadedSource.open(threads, withFor(nats.server, "THR", "thr.a,thr.b"), runtime);
    try {
      const seen: number[] = [];
      for (let round = 0; seen.length < 3000 && round < 100; round++) {
        // Take one batch, leave, wait while the reader may still be sending, come back.
        const c = await collect(source, (x) => x.sequences.length > 0);
        seen.push(...c.sequences);
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(seen.sort((p, q) => p - q)).toEqual(range(1, 3000));
    } finally {
      await source.stop();
    }
  });

  it("caughtUp() resolves once the backlog's batches were applied on this thread, not only sent", async () => {
    const source = await ThreadedSource.open(threads, withFor(nats.server, "THR", "thr.a,thr.b"), runtime);
    try {
      let applied = 0;
      const sub = source.batches$.subscribe((b) => {
        applied += b.length;
        const until = Date.now() + 2; // a slow subscriber: batches queue up between the threads
        while (Date.now() < until);
      });
      await source.caughtUp();
      expect(applied).toBe(3000);
      sub.unsubscribe();
    } finally {
      await source.stop();
    }
  });

  it("acks a durable consumer through the thread, and stop() ends batches$", async () => {
    const jsm = await jetstreamManager(nats.nc);
    const source = await ThreadedSource.open(
      threads,
      withFor(nats.server, "THR", "thr.a", { "consumer.durable_name": "thr_durable" }),
      runtime,
    );
    const c = await collect(source, (x) => x.sequences.length >= 2000, { keep: true });
    const last = c.sequences[c.sequences.length - 1] as number;
    await source.ack(new Map([["thr.a", last]]));
    let floor = 0;
    for (let i = 0; i < 200 && floor !== last; i++) {
      floor = (await jsm.consumers.info("THR", "thr_durable")).ack_floor.stream_seq;
      if (floor !== last) await new Promise((r) => setTimeout(r, 10));
    }
    expect(floor).toBe(last);
    let completed = false;
    source.batches$.subscribe({ complete: () => (completed = true) });
    await source.stop();
    expect(completed).toBe(true);
    await expect(source.caughtUp()).resolves.toBeUndefined();
  });

  it("fails like a lost connection when its reader thread ends: batches$ errors, caughtUp() rejects, stop() resolves", async () => {
    const own = new ReaderThreads(1);
    const source = await ThreadedSource.open(own, withFor(nats.server, "THR", "thr.a,thr.b"), {
      ...runtime,
      maxBatchRows: 10,
    });
    let batches = 0;
    const failed = new Promise<unknown>((resolve) =>
      source.batches$.subscribe({
        next: () => {
          batches++;
          const until = Date.now() + 20; // slow: the backlog stays unread for seconds
          while (Date.now() < until);
        },
        error: resolve,
      }),
    );
    const caughtUp = source.caughtUp();
    while (batches === 0) await new Promise((r) => setTimeout(r, 5));
    await own.close();
    const e = await failed;
    expect(e).toBeInstanceOf(ConnectionFailedError);
    expect((e as Error).message).toMatch(/reader thread ended/);
    await expect(caughtUp).rejects.toBe(e);
    await expect(source.stop()).resolves.toBeUndefined();
  });
});

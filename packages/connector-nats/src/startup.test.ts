import { versionAtLeast } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { NatsSource } from "./nats-source.js";
import { collect, configFor, createStream, load, range, waitForStream, sharedServer } from "./test-helpers.js";

/** Server time between the two loads: messages 1..10 are before it, 11..20 after. */
let between: number;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const nats = sharedServer(async ({ nc }) => {
  await createStream(nc, "START", ["st.>"]);
  await load(nc, "START", "st.a", 10, { expectTotal: 10 });
  await sleep(30);
  between = Date.now();
  await sleep(30);
  await load(nc, "START", "st.a", 10, { from: 10, expectTotal: 20 });
});

describe("scan.startup.mode", () => {
  it("earliest (the default) starts at the first message", async () => {
    const source = await NatsSource.open(configFor(nats.server, "START", "st.>"));
    const got = await collect(source, (c) => c.sequences.length >= 20);
    await source.caughtUp();
    expect(got.sequences).toEqual(range(1, 20));
    expect(got.payloads[0]).toBe("st.a:0");
    await source.stop();
  });

  it("latest starts after the last message and is caught up at once", async () => {
    const source = await NatsSource.open(configFor(nats.server, "START", "st.>", { "scan.startup.mode": "latest" }));
    await source.caughtUp();
    expect(source.lag()).toBe(0);
    const got = collect(source, (c) => c.sequences.length >= 3);
    await load(nats.nc, "START", "st.b", 3, { prefix: "new:" });
    const c = await got;
    expect(c.payloads).toEqual(["new:0", "new:1", "new:2"]);
    expect(c.sequences[0]).toBeGreaterThan(20);
    await source.stop();
  });

  it("timestamp_millis starts at the first message at or after the timestamp", async () => {
    for (const key of ["scan.startup.timestamp.millis", "scan.startup.timestamp_millis"]) {
      const source = await NatsSource.open(
        configFor(nats.server, "START", "st.a", { "scan.startup.mode": "timestamp_millis", [key]: String(between) }),
      );
      const got = await collect(source, (c) => c.sequences.length >= 10);
      await source.caughtUp();
      expect(got.sequences).toEqual(range(11, 20));
      expect(got.payloads[0]).toBe("st.a:10");
      await source.stop();
    }
  });

  it("sequence starts exactly at the given stream sequence", async () => {
    const source = await NatsSource.open(
      configFor(nats.server, "START", "st.a", { "scan.startup.mode": "sequence", "scan.startup.sequence": "7" }),
    );
    const got = await collect(source, (c) => c.sequences.length >= 14);
    await source.caughtUp();
    expect(got.sequences).toEqual(range(7, 20));
    expect(got.payloads[0]).toBe("st.a:6");
    await source.stop();
  });
});

describe("several subjects (one multi-filter consumer on 2.10+, one consumer per subject on 2.9)", () => {
  it("reads each subject once, in order per subject, keyed by subject, and skips the others", async () => {
    await createStream(nats.nc, "MULTI", ["m.a", "m.b", "m.c.>"]);
    for (let i = 0; i < 300; i++) {
      nats.nc.publish(["m.a", "m.b", "m.c.x"][i % 3]!, `${i}`);
    }
    await nats.nc.flush();
    await waitForStream(nats.nc, "MULTI", 300);
    const source = await NatsSource.open(configFor(nats.server, "MULTI", "m.a,m.c.>"), { maxBatchRows: 64 });
    const jsm = await jetstreamManager(nats.nc);
    const multi = versionAtLeast(nats.server.version, 2, 10);
    expect((await jsm.streams.info("MULTI")).state.consumer_count).toBe(multi ? 1 : 2);
    const offsets = new Map<string, number>();
    const got = await collect(
      source,
      (c) => {
        return c.sequences.length >= 200;
      },
      { keep: true },
    );
    for (const b of got.batches) for (const [k, v] of b.offsets) offsets.set(k, Math.max(offsets.get(k) ?? 0, v));
    await source.caughtUp();
    const a = got.sequences.filter((_, i) => got.subjects[i] === "m.a");
    const c = got.sequences.filter((_, i) => got.subjects[i] === "m.c.x");
    expect(a).toEqual(range(0, 99).map((i) => i * 3 + 1));
    expect(c).toEqual(range(0, 99).map((i) => i * 3 + 3));
    expect(got.sequences).toHaveLength(200);
    expect(offsets).toEqual(
      new Map([
        ["m.a", multi ? 300 : 298],
        ["m.c.>", 300],
      ]),
    );
    await source.stop();
    expect((await jsm.streams.info("MULTI")).state.consumer_count).toBe(0);
  });

  it("is caught up only when every subject is, even if the first one has nothing", async () => {
    const source = await NatsSource.open(configFor(nats.server, "START", "st.none,st.a"));
    let count = 0;
    let countAtCaughtUp = -1;
    void source.caughtUp().then(() => {
      countAtCaughtUp = count;
    });
    await collect(source, (c) => {
      count = c.sequences.length;
      return count >= 20;
    });
    await source.caughtUp();
    expect(countAtCaughtUp).toBe(20);
    await source.stop();
  });

  it("combines several subjects with a timestamp start", async () => {
    const source = await NatsSource.open(
      configFor(nats.server, "START", "st.a,st.zzz", { "scan.startup.timestamp.millis": String(between) }),
    );
    const got = await collect(source, (c) => c.sequences.length >= 10);
    await source.caughtUp();
    expect(got.sequences).toEqual(range(11, 20));
    await source.stop();
  });
});

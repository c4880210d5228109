import { installedServers, NatsServer, newestServerBinary, versionAtLeast } from "@jetflow/test-harness";
import { AckPolicy, DeliverPolicy, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedConsumerNames } from "./consumer-config.js";
import { NatsSource } from "./nats-source.js";
import {
  adminConnection,
  type Collected,
  collect,
  configFor,
  createStream,
  range,
  sharedServer,
  waitForStream,
} from "./test-helpers.js";

const SUBJECTS = ["lay.a", "lay.b", "lay.c"];

async function publishAll(nc: NatsConnection, stream: string, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) nc.publish(SUBJECTS[i % 3]!, `${i}`);
  await nc.flush();
  await waitForStream(nc, stream, to);
}

/** Per subject, the highest offset emitted: what a checkpoint would hold. */
function offsetsOf(c: Collected): Map<string, number> {
  const out = new Map<string, number>();
  for (const b of c.batches) for (const [k, v] of b.offsets) out.set(k, Math.max(out.get(k) ?? 0, v));
  return out;
}

describe("consumer layout on the harness server", () => {
  const nats = sharedServer();

  it("several subjects: one multi-filter consumer on 2.10+, one per subject on 2.9; every message once", async () => {
    await createStream(nats.nc, "LAY", ["lay.>"]);
    await publishAll(nats.nc, "LAY", 1, 300);
    const source = await NatsSource.open(configFor(nats.server, "LAY", SUBJECTS.join(",")), { maxBatchRows: 32 });
    const multi = versionAtLeast(nats.server.version, 2, 10);
    expect(source.features.multiFilter).toBe(multi);
    const jsm = await jetstreamManager(nats.nc);
    const onServer = [];
    for await (const ci of jsm.consumers.list("LAY")) onServer.push(ci);
    expect(onServer.length).toBe(multi ? 1 : 3);
    if (multi) expect([...(onServer[0]!.config.filter_subjects ?? [])].sort()).toEqual(SUBJECTS);
    expect(onServer.map((c) => c.name).sort()).toEqual([...source.consumerNames].sort());
    const c = await collect(source, (x) => x.sequences.length >= 300, { keep: true });
    await source.caughtUp();
    expect([...c.sequences].sort((x, y) => x - y)).toEqual(range(1, 300));
    // Offsets are per subject on both layouts, so a checkpoint resumes on either.
    expect([...offsetsOf(c).keys()].sort()).toEqual(SUBJECTS);
    if (multi) expect(c.sequences).toEqual(range(1, 300)); // one sequence space: stream order
    await source.stop();
  });
});

/**
 * A checkpoint of one layout resumes exactly on the other: the same messages published in the
 * same order give the same stream sequences on the oldest and the newest installed server.
 */
describe("a checkpoint moves between the 2.9 layout and the multi-filter layout", () => {
  let oldest: NatsServer;
  let newest: NatsServer;
  let ncOld: NatsConnection;
  let ncNew: NatsConnection;
  beforeAll(async () => {
    const servers = installedServers();
    const [o, n] = [servers[0]!, servers[servers.length - 1]!];
    if (versionAtLeast(o.version, 2, 10) || !versionAtLeast(n.version, 2, 10)) {
      throw new Error(
        `needs nats-server 2.9 and 2.10+ installed (found ${servers.map((s) => s.version.text).join(", ")}): run ./scripts/setup.sh`,
      );
    }
    oldest = await NatsServer.start({ binary: o.binary });
    newest = await NatsServer.start({ binary: n.binary });
    ncOld = await adminConnection(oldest);
    ncNew = await adminConnection(newest);
  });
  afterAll(async () => {
    await ncOld?.close();
    await ncNew?.close();
    await oldest?.dispose();
    await newest?.dispose();
  });

  for (const [from, to] of [
    ["2.9", "newest"],
    ["newest", "2.9"],
  ] as const) {
    it(`offsets taken on ${from} resume on ${to}: no loss, no duplicate`, async () => {
      const stream = `MOVE_${from === "2.9" ? "UP" : "DOWN"}`;
      for (const nc of [ncOld, ncNew]) {
        await createStream(nc, stream, ["lay.>"]);
        await publishAll(nc, stream, 1, 300);
      }
      const [a, b] = from === "2.9" ? [oldest, newest] : [newest, oldest];
      const first = await NatsSource.open(configFor(a, stream, SUBJECTS.join(",")), {
        maxBatchRows: 16,
        pullMessages: 20,
      });
      const c1 = await collect(first, (c) => c.sequences.length >= 90 && new Set(c.subjects).size === 3, {
        keep: true,
      });
      await first.stop();
      const offsets = offsetsOf(c1);
      expect([...offsets.keys()].sort()).toEqual(SUBJECTS);
      const done = new Set(c1.sequences.filter((s, i) => s <= offsets.get(c1.subjects[i]!)!));
      const second = await NatsSource.open(configFor(b, stream, SUBJECTS.join(",")), { offsets });
      const c2 = await collect(second, (c) => c.sequences.length >= 300 - done.size);
      await second.caughtUp();
      for (const [i, s] of c2.sequences.entries()) expect(s).toBeGreaterThan(offsets.get(c2.subjects[i]!)!);
      expect([...done, ...c2.sequences].sort((x, y) => x - y)).toEqual(range(1, 300));
      await second.stop();
      for (const nc of [ncOld, ncNew]) await (await jetstreamManager(nc)).streams.delete(stream);
    });
  }
});

describe("a durable source moved from 2.9's layout to a multi-filter server, without a checkpoint", () => {
  it("resumes where the per-subject durable consumers had acked, then removes them", async () => {
    const newest = newestServerBinary();
    if (!versionAtLeast(newest.version, 2, 10)) throw new Error("needs nats-server 2.10+: run ./scripts/setup.sh");
    await using server = await NatsServer.start({ binary: newest.binary });
    const nc = await adminConnection(server);
    await createStream(nc, "UPG", ["lay.>"]);
    await publishAll(nc, "UPG", 1, 300);
    const config = configFor(server, "UPG", SUBJECTS.join(","), { "consumer.durable_name": "upg" });
    // What 2.9 left: one durable per subject (named as jetflow names them), acked up to different points.
    const acked = new Map([
      ["lay.a", 150],
      ["lay.b", 40],
      ["lay.c", 299],
    ]);
    const jsm = await jetstreamManager(nc);
    const legacy = fixedConsumerNames(config).slice(1);
    for (const [i, subject] of SUBJECTS.entries()) {
      await jsm.consumers.add("UPG", {
        durable_name: legacy[i]!,
        filter_subject: subject,
        ack_policy: AckPolicy.All,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: acked.get(subject)! + 1,
      });
    }
    const source = await NatsSource.open(config);
    expect(source.consumerNames).toEqual(["upg"]);
    const expected = range(1, 300).filter((s) => s > acked.get(SUBJECTS[s % 3]!)!);
    const c = await collect(source, (x) => x.sequences.length >= expected.length);
    await source.caughtUp();
    expect(c.sequences).toEqual(expected);
    const left: string[] = [];
    for await (const ci of jsm.consumers.list("UPG")) left.push(ci.name);
    expect(left).toEqual(["upg"]);
    await source.drop();
    await nc.close();
  });
});

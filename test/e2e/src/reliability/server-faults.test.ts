import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReferenceSql } from "../reference-sql.js";
import { consumingStarted, createStream, orderEvents, publishEvents } from "../workload.js";
import { consumerNames, expectExactRun, killLiveClis, loadReference, sleep, startOrderRun } from "./support.js";

/**
 * The nats-server misbehaves under a running `jetflow run` (live mode, as in production): it is
 * SIGKILLed for seconds, or the consumers are deleted. The run must recover by itself, with
 * every message processed exactly once (see `expectExactRun`: metrics, the printed view, and
 * the checkpointed state after a purge, all against PostgreSQL).
 */
describe("server faults under a running jetflow run", () => {
  let server: NatsServer;
  let db: ReferenceSql;
  let dir: string;

  beforeAll(async () => {
    server = await NatsServer.start();
    db = await ReferenceSql.open();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-faults-"));
  });
  afterAll(async () => {
    killLiveClis();
    await server?.dispose();
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("nats-server SIGKILLed for 3 s mid-stream, then back on the same store: recovers, exact", async () => {
    const events = orderEvents(80_000, 6_000, 21);
    // Loaded first: PGlite blocks this process (and so the fault timing) while it loads.
    await loadReference(db, "kill9", events);
    await createStream(server.url, "kill9", ["kill9.*"]);
    await publishEvents(server.url, "kill9", "kill9.a", events.slice(0, 60_000));
    const run = await startOrderRun(dir, server.url, "kill9", "kill9.*");
    await consumingStarted(server.url, "kill9", 2);
    await server.kill();
    expect(run.cli.running()).toBe(true); // the fault hit a run in progress
    await sleep(3000);
    await server.resume();
    // Live messages after the outage, on another subject of the stream.
    await publishEvents(server.url, "kill9", "kill9.b", events.slice(60_000));
    await expectExactRun(run, server.url, "kill9", db, events.length);
  });

  it("the consumers deleted under the running source, twice: recreated where they were, exact", async () => {
    const events = orderEvents(75_000, 6_000, 33);
    await loadReference(db, "gone", events);
    await createStream(server.url, "gone", ["gone.*"]);
    await publishEvents(server.url, "gone", "gone.a", events.slice(0, 25_000));
    const run = await startOrderRun(dir, server.url, "gone", "gone.*");
    await consumingStarted(server.url, "gone", 2);
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      for (let round = 0; round < 2; round++) {
        // Delete while messages flow: publish the next slice, then pull the rug.
        const slice = events.slice(25_000 * (round + 1), 25_000 * (round + 2));
        const publishing = publishEvents(server.url, "gone", "gone.a", slice);
        const names = await consumerNames(server.url, "gone");
        expect(names).toHaveLength(2);
        for (const name of names) await jsm.consumers.delete("gone", name);
        await publishing;
        expect(run.cli.running()).toBe(true);
        // The source notices (missed idle heartbeats) and creates both consumers again.
        while ((await consumerNames(server.url, "gone")).length < 2) await sleep(50);
      }
    } finally {
      await nc.close();
    }
    await expectExactRun(run, server.url, "gone", db, events.length);
  });
});

import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { orderEvents, publishEvents } from "../workload.js";
import { faultSuite, startFaultRun } from "./fault-suite.js";
import { consumerNames, expectExactRun, sleep } from "./support.js";

/**
 * The nats-server misbehaves under a running `jetflow run` (live mode, as in production): it is
 * SIGKILLed for seconds, or the consumers are deleted. The run must recover by itself, with
 * every message processed exactly once (see `expectExactRun`: metrics, the printed view, and
 * the checkpointed state after a purge, all against PostgreSQL).
 */
describe("server faults under a running jetflow run", () => {
  const suite = faultSuite("faults");

  it("nats-server SIGKILLed for 3 s mid-stream, then back on the same store: recovers, exact", async () => {
    const { server, db } = suite;
    const events = orderEvents(80_000, 6_000, 21);
    const run = await startFaultRun(suite, "kill9", events, 60_000);
    await server.kill();
    expect(run.cli.running()).toBe(true); // the fault hit a run in progress
    await sleep(3000);
    await server.resume();
    // Live messages after the outage, on another subject of the stream.
    await publishEvents(server.url, "kill9", "kill9.b", events.slice(60_000));
    await expectExactRun(run, server.url, "kill9", db, events.length);
  });

  it("the consumers deleted under the running source, twice: recreated where they were, exact", async () => {
    const { server, db } = suite;
    const events = orderEvents(75_000, 6_000, 33);
    const run = await startFaultRun(suite, "gone", events, 25_000);
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

import type { PipelineStatus } from "@jetflow/pipeline";
import { sqlPipeline } from "@jetflow/sql";
import type { NatsServer } from "@jetflow/test-harness";
import { describe, expect, it } from "vitest";
import { orderEvents, publishEvents, purgeStream } from "../workload.js";
import { faultSuite, prepareStream, startFaultRun } from "./fault-suite.js";
import { expectedRows, expectExactRun, orderPipelineSql, printedRows, sleep } from "./support.js";

/** Kills the server at random moments `times` times while `between(round)` keeps messages coming. */
async function cutRepeatedly(server: NatsServer, times: number, between: (round: number) => Promise<void>) {
  for (let round = 0; round < times; round++) {
    await between(round);
    // Checkpoints run every 20 ms and take a few: a random moment lands inside one often.
    await sleep(Math.floor(Math.random() * 150));
    await server.kill();
    await sleep(300 + Math.floor(Math.random() * 400));
    await server.resume();
  }
}

/**
 * The nats-server is cut while checkpoints are being written, many times: with durable consumers
 * (each checkpoint commits to the state dir, then acks on the server) through the CLI, and with
 * the checkpoints themselves stored in NATS (object store + KV manifest) through the library.
 * The run recovers by itself each time and ends exact; the last checkpoint restores exactly.
 */
describe("the server cut while checkpoints are written", () => {
  const suite = faultSuite("cut");

  it("CLI, durable consumers acked after each checkpoint: 6 kills at random moments, exact", async () => {
    const { server, db } = suite;
    const events = orderEvents(50_000, 4_000, 45);
    const run = await startFaultRun(suite, "acked", events, 26_000, {
      checkpointIntervalMs: 20,
      extraWith: (relation) => `, consumer.durable_name = 'jf_${relation}'`,
    });
    await cutRepeatedly(server, 6, async (round) => {
      await publishEvents(server.url, "acked", "acked.a", events.slice(26_000 + round * 4_000, 30_000 + round * 4_000));
      expect(run.cli.running(), run.cli.stderr()).toBe(true);
    });
    await expectExactRun(run, server.url, "acked", db, events.length);
  });

  it("library, checkpoints stored in NATS: 6 kills at random moments, exact; the NATS checkpoint restores exactly", async () => {
    const { server, db } = suite;
    const events = orderEvents(50_000, 4_000, 57);
    await prepareStream(suite, "instate", events, 26_000);
    const sql = orderPipelineSql(server.url, "instate", "instate.*");
    const state = { kind: "nats", bucket: "jetflow-cut" } as const;
    const p = sqlPipeline({ state, checkpointIntervalMs: 20 });
    p.sql(sql);
    const statuses: PipelineStatus[] = [];
    p.status$.subscribe((s) => statuses.push(s));
    await p.start();
    try {
      await cutRepeatedly(server, 6, (round) =>
        publishEvents(server.url, "instate", "instate.a", events.slice(26_000 + round * 4_000, 30_000 + round * 4_000)),
      );
      const processed = (relation: string) => p.metrics.value("jetflow_messages_in_total", `relation="${relation}"`);
      const deadline = Date.now() + 60_000;
      while (processed("orders") < events.length || processed("order_events") < events.length) {
        expect(Date.now(), `processed ${processed("orders")}/${processed("order_events")}`).toBeLessThan(deadline);
        await sleep(50);
      }
      // Only checkpoint writes may have failed (retried by later ones), nothing else.
      const errors = statuses.flatMap((s) => (s.type === "error" ? [s.error.message] : []));
      expect(errors.filter((m) => !/checkpoint \d+/.test(m))).toEqual([]);
      // A write caught by the last cut holds the next ones back until its request times out: the
      // run may finish reading before any checkpoint commits. One must commit once the server is back.
      const committedBy = Date.now() + 30_000;
      while (!statuses.some((s) => s.type === "checkpoint") && Date.now() < committedBy) await sleep(50);
      expect(statuses.some((s) => s.type === "checkpoint")).toBe(true);
      expect(processed("order_events")).toBe(events.length);
      expect(printedRows(p.view("event_counts"))).toEqual(await expectedRows(db, "event_counts"));
      await p.stop(); // a last checkpoint, with the server up
      await purgeStream(server.url, "instate");
      // A new pipeline on the same bucket: only the checkpoint in NATS can answer.
      const q = sqlPipeline({ state });
      q.sql(sql);
      await q.start();
      try {
        await q.caughtUp();
        for (const relation of ["orders", "by_region", "event_counts"]) {
          expect(printedRows(q.view(relation)), relation).toEqual(await expectedRows(db, relation));
        }
      } finally {
        await q.stop();
      }
    } finally {
      await p.stop();
    }
  });
});

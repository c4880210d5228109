import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { NatsServer } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStream } from "../workload.js";
import type { ChildSample } from "./slow-view-child.js";
import { sleep } from "./support.js";

/** The child, built by `tsc -b` like the CLI the other e2e tests run. */
const CHILD = path.resolve(import.meta.dirname, "../../dist/reliability/slow-view-child.js");

const MESSAGES = 1_000_000;
/** Payload padding: a million ~230-byte messages make a 230 MB backlog, far above what the child may hold. */
const PAD = "x".repeat(180);
/** Generous: a pipeline that buffered the backlog would hold the 230 MB of payloads, plus objects for each. */
const RSS_BOUND = 400 * 1024 * 1024;
/**
 * Delivered but not yet processed, at most: the source's pull (10000 messages, the runtime default
 * pullMessages), the batch being built and the one in the subscriber's hands, plus sampling skew.
 * A source that pulled ahead of the pipeline (e.g. 200000 per pull) shows 170000+ here.
 */
const IN_FLIGHT_BOUND = 50_000;

/** Publishes `MESSAGES` small events with core publish (fast) and waits until the stream holds them all. */
async function publishBacklog(url: string, stream: string, subject: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const regions = ["north", "south", "east", "west"];
    for (let i = 0; i < MESSAGES; i++) {
      nc.publish(subject, `{"id":${i},"region":"${regions[i % 4]}","amount":${i % 1000},"pad":"${PAD}"}`);
      if (i % 10_000 === 9_999) await nc.flush();
    }
    await nc.flush();
    const jsm = await jetstreamManager(nc);
    while ((await jsm.streams.info(stream)).state.messages < MESSAGES) await sleep(50);
  } finally {
    await nc.close();
  }
}

/**
 * Backpressure: a view subscriber slower than the stream (200 ms of synchronous work per batch)
 * over a backlog of a million messages. The source pulls only as fast as the pipeline drains:
 * the consumer's delivered sequence stays within a few pulls of what was processed, far below
 * the stream's size, and the process's RSS stays bounded, whatever the backlog.
 */
describe("backpressure from a slow view subscriber", () => {
  let server: NatsServer;

  beforeAll(async () => {
    if (!fs.existsSync(CHILD)) throw new Error(`${CHILD} is missing: build first (pnpm exec tsc -b)`);
    server = await NatsServer.start();
    await createStream(server.url, "backlog", ["backlog.>"]);
    await publishBacklog(server.url, "backlog", "backlog.in");
  }, 120_000);
  afterAll(async () => {
    await server?.dispose();
  });

  it("keeps memory bounded and stops pulling while the subscriber is busy", async () => {
    const config = { url: server.url, stream: "backlog", subject: "backlog.in", busyMs: 200 };
    const child = spawn(process.execPath, [CHILD, JSON.stringify(config)], { stdio: ["ignore", "pipe", "pipe"] });
    const samples: ChildSample[] = [];
    let stderr = "";
    let partial = "";
    child.stdout.on("data", (b: Buffer) => {
      const lines = (partial + b.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.trim() !== "") samples.push(JSON.parse(line) as ChildSample);
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      const checks: { delivered: number; processed: number }[] = [];
      // Watch the consumer over a dozen slow batches (by count, not time: a loaded machine is slower).
      const deadline = Date.now() + 60_000;
      while (samples.length < 12 || checks.length < 8) {
        expect(child.exitCode, stderr).toBeNull();
        expect(Date.now(), `${samples.length} batches so far`).toBeLessThan(deadline);
        await sleep(250);
        const last = samples.at(-1);
        if (last === undefined) continue;
        for await (const c of jsm.consumers.list("backlog")) {
          // `processed` lags by the batch in the subscriber's hands: it counts what finished before.
          checks.push({ delivered: c.delivered.stream_seq, processed: last.processed });
        }
      }
      const processed = samples.at(-1)?.processed ?? 0;
      // It drains, slowly: progress, and far from the end of the backlog.
      expect(processed).toBeGreaterThan(samples[0]?.processed ?? 0);
      expect(processed).toBeLessThan(MESSAGES / 2);
      // The consumer stops pulling: delivered stays within a few pulls of processed.
      for (const c of checks) expect(c.delivered - c.processed, JSON.stringify(c)).toBeLessThan(IN_FLIGHT_BOUND);
      const maxRss = Math.max(...samples.map((s) => s.rss));
      expect(maxRss, `max RSS ${Math.round(maxRss / 2 ** 20)} MiB`).toBeLessThan(RSS_BOUND);
    } finally {
      await nc.close();
      child.kill("SIGKILL");
      await exited;
    }
  });
});

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sqlPipeline as pipeline } from "@jetflow/sql";
import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addStream, publishRaw } from "./publish.js";

/**
 * `WHERE ts > now() - INTERVAL ...` through a pipeline: rows outside the window never enter, rows
 * inside leave as time passes (the pipeline's tick), and the window survives a restart from a
 * checkpoint. Waits poll for the state; nothing asserts how long anything took.
 */

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting: ${what}`);
}

describe("temporal filter: WHERE ts > now() - INTERVAL", () => {
  let server: NatsServer;
  let dir: string;
  beforeAll(async () => {
    server = await NatsServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-temporal-"));
  });
  afterAll(async () => {
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the rows of the last window, retracts them as they age, and restores the window from a checkpoint", async () => {
    const url = server.url;
    await addStream({ servers: url }, "tf", ["tf.>"]);
    const iso = (ms: number) => new Date(ms).toISOString();
    const now = Date.now();
    await publishRaw(
      { servers: url },
      "tf",
      [
        { id: 1, ts: iso(now - 3_600_000) }, // an hour old: never enters
        { id: 2, ts: iso(now + 8_000) }, // leaves about 10 s from now
        { id: 3, ts: iso(now + 600_000) }, // stays for the whole test
      ].map((r) => ({ subject: "tf.e", payload: JSON.stringify(r) })),
    );
    const sql = `CREATE SOURCE e (id integer, ts timestamptz) WITH (connector = 'nats', server_url = '${url}', subject = 'tf.e', stream = 'tf', connect_mode = 'plain') FORMAT PLAIN ENCODE JSON;
      CREATE MATERIALIZED VIEW recent AS SELECT id FROM e WHERE ts > now() - INTERVAL '2 seconds';
      CREATE MATERIALIZED VIEW recent_count AS SELECT count(*) AS n FROM e WHERE ts > now() - INTERVAL '2 seconds';`;
    const state = { kind: "filesystem" as const, dir: path.join(dir, "state") };
    const ids = (p: ReturnType<typeof pipeline>) =>
      p
        .view("recent")
        .rows()
        .map((r) => r["id"])
        .sort();
    const first = pipeline({ state }).sql(sql);
    await first.start();
    await first.caughtUp();
    expect(ids(first)).toEqual([2, 3]);
    await first.stop();

    const second = pipeline({ state }).sql(sql);
    await second.start();
    try {
      await second.caughtUp();
      await until(() => ids(second).length === 1, "row 2 to leave the window");
      expect(ids(second)).toEqual([3]);
      expect(second.view("recent_count").rows()).toEqual([{ n: 1n }]);
    } finally {
      await second.stop();
    }
  });
});

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipeline } from "./pipeline.js";
import type { PipelineStatus } from "./status.js";
import { jsonTable, seed } from "./test-support.js";

const COLUMNS = { id: "int", region: "varchar" };

describe("Runtime: a stop's last checkpoint", () => {
  let server: NatsServer;
  let dir: string;
  beforeAll(async () => {
    server = await NatsServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-runtime-"));
  });
  afterAll(async () => {
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("is tried again after a write that failed for a passing reason, so the stop keeps what it read", async () => {
    await seed(server.url, "R1", "r1.x", [
      { id: 1, region: "n" },
      { id: 2, region: "s" },
    ]);
    const stateDir = path.join(dir, "state");
    const define = () =>
      pipeline({ state: { kind: "filesystem", dir: stateDir }, checkpointIntervalMs: 0 }).table(
        "orders",
        jsonTable(server.url, "R1", "r1.x", COLUMNS, ["id"]),
      );
    const p = define();
    await p.start();
    await p.caughtUp();
    const { id } = await p.checkpoint();
    // The stop's checkpoint (the next id) cannot write its temp file while a directory stands
    // in its place; the directory goes away when the failed write is reported, before the retry.
    const blocker = path.join(stateDir, `checkpoint-${id + 1}.${process.pid}.tmp`);
    fs.mkdirSync(blocker);
    const reported: Error[] = [];
    p.status$.subscribe((s) => {
      if (s.type !== "error") return;
      reported.push(s.error);
      if (fs.existsSync(blocker)) fs.rmdirSync(blocker);
    });
    await seed(server.url, "R1", "r1.x", [{ id: 3, region: "w" }]);
    while (p.view("orders").rows().length < 3) await new Promise((r) => setTimeout(r, 20));
    await p.stop();
    expect(reported.map((e) => e.name)).toEqual(["CheckpointError"]);

    // A restart restores the retried checkpoint: all three rows, without reading the stream again.
    const q = define();
    const started: PipelineStatus[] = [];
    q.status$.subscribe((s) => started.push(s));
    await q.start();
    try {
      expect(started.find((s) => s.type === "started")).toEqual({ type: "started", restoredCheckpoint: id + 2 });
      expect(
        q
          .view("orders")
          .rows()
          .map((r) => r["id"])
          .sort(),
      ).toEqual([1, 2, 3]);
    } finally {
      await q.stop();
    }
  });
});

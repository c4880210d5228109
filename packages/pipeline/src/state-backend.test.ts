import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipeline } from "./pipeline.js";
import { jsonTable, seed, sharedBackend } from "./test-support.js";

const COLUMNS = { id: "int", region: "varchar", amount: "double precision" };

describe("a checkpoint backend given, and stop({ checkpoint: false })", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start();
    await seed(server.url, "STOP", "stop.x", [
      { id: 1, region: "n", amount: 1 },
      { id: 2, region: "s", amount: 2 },
    ]);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  const table = () => jsonTable(server.url, "STOP", "stop.x", COLUMNS, ["id"]);

  it("checkpoints on demand only with checkpointIntervalMs 0, and a stop without checkpoint commits nothing", async () => {
    const state = sharedBackend();
    const p = pipeline({ state: { kind: "backend", backend: state.handle() }, checkpointIntervalMs: 0 }).table(
      "t",
      table(),
    );
    await p.start();
    await p.caughtUp();
    expect(state.commits).toBe(0);
    expect((await p.checkpoint()).kind).toBe("full");
    expect(state.commits).toBe(1);
    // Checkpoints on demand track changed keys: the next one is a delta.
    expect((await p.checkpoint()).kind).toBe("delta");
    await p.stop({ checkpoint: false });
    expect(state.commits).toBe(2);
    await expect(p.done).resolves.toBeUndefined();
  });

  it("takes a last checkpoint on a plain stop, which the next pipeline over the backend restores", async () => {
    const state = sharedBackend();
    const first = pipeline({ state: { kind: "backend", backend: state.handle() }, checkpointIntervalMs: 0 }).table(
      "t",
      table(),
    );
    await first.start();
    await first.caughtUp();
    await first.stop();
    expect(state.commits).toBe(1);
    const second = pipeline({ state: { kind: "backend", backend: state.handle() }, checkpointIntervalMs: 0 }).table(
      "t",
      table(),
    );
    let restored: number | undefined;
    second.status$.subscribe((s) => {
      if (s.type === "started") restored = s.restoredCheckpoint;
    });
    await second.start();
    expect(restored).toBeDefined();
    expect(second.view("t").rows()).toHaveLength(2);
    await second.stop({ checkpoint: false });
  });

  it("names the backend given when its state belongs to another pipeline", async () => {
    const state = sharedBackend();
    const first = pipeline({ state: { kind: "backend", backend: state.handle() } }).table("t", table());
    await first.start();
    await first.stop();
    const other = pipeline({ state: { kind: "backend", backend: state.handle() } }).table("u", table());
    await expect(other.start()).rejects.toThrow(
      /in the checkpoint backend given holds a checkpoint of a different pipeline/,
    );
  });
});

import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { count } from "./dsl/aggregate.js";
import { from } from "./dsl/query.js";
import { RelationNameError } from "./errors.js";
import { pipeline } from "./pipeline.js";
import { jsonTable, RecordingSink, seed, sharedBackend } from "./test-support.js";

const COLUMNS = { id: "int", region: "varchar", amount: "double precision" };

describe("Pipeline.output()", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start();
    await seed(server.url, "OUTS", "outs.x", [
      { id: 1, region: "n", amount: 1 },
      { id: 2, region: "s", amount: 2 },
    ]);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  const define = (backend: ReturnType<typeof sharedBackend>, log: string[]) =>
    pipeline({ state: { kind: "backend", backend: backend.handle() }, checkpointIntervalMs: 0 })
      .table("orders", jsonTable(server.url, "OUTS", "outs.x", COLUMNS, ["id"]))
      .materializedView("by_region", from("orders").groupBy("region").select("region", { n: count() }))
      .output("counts", "by_region", new RecordingSink("counts", log));

  it("is sealed at the checkpoint's capture and told committed after the commit; its store is restored", async () => {
    const log: string[] = [];
    const state = sharedBackend(log);
    const p = define(state, log);
    await p.start();
    await p.caughtUp();
    expect(log.slice(0, 4)).toEqual(["counts: bind", "counts: open", "counts: restored 0", "counts: change 2"]);
    log.length = 0;
    await p.checkpoint();
    expect(log).toEqual(["counts: seal", "commit", "counts: committed"]);
    expect(p.sinkList().find((s) => s.name === "counts")?.input.name).toBe("by_region");
    await p.stop({ checkpoint: false });
    expect(log.at(-1)).toBe("counts: close");

    log.length = 0;
    const again = define(state, log);
    await again.start();
    expect(log).toContain("counts: restored 2");
    await again.stop();
  });

  it("binds the relation's columns and key, and takes its name from the sinks' namespace", async () => {
    const log: string[] = [];
    const sink = new RecordingSink("out", log);
    const p = pipeline()
      .table("orders", jsonTable(server.url, "OUTS", "outs.x", COLUMNS, ["id"]))
      .output("out", "orders", sink);
    await p.start();
    expect(sink.input).toMatchObject({ name: "orders", key: ["id"], appendOnly: false });
    expect(sink.input?.columns.map((c) => c.name)).toEqual(["id", "region", "amount"]);
    await p.stop();
    // A stop with outputs takes a last checkpoint, which the output is sealed and committed in.
    expect(log.slice(-3)).toEqual(["out: seal", "out: committed", "out: close"]);

    const taken = pipeline()
      .table("orders", jsonTable(server.url, "OUTS", "outs.x", COLUMNS, ["id"]))
      .output("orders", "orders", new RecordingSink("x", []));
    await expect(taken.start()).rejects.toBeInstanceOf(RelationNameError);
    const unknown = pipeline().output("o", "nowhere", new RecordingSink("y", []));
    await expect(unknown.start()).rejects.toThrow(/relation "nowhere" does not exist/);
  });
});

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { call, col, lit } from "@jetflow/operators";
import { Checkpointer, filesystemBackend } from "@jetflow/state";
import { NatsServer } from "@jetflow/test-harness";
import { firstValueFrom, filter as rxFilter, toArray, take } from "rxjs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BadMessageError, PipelineError, PipelineStateError, RelationNameError } from "./errors.js";
import { pipeline } from "./pipeline.js";
import type { PipelineStatus } from "./status.js";
import type { ParsedStatement, SqlFrontend, Statement, ViewQuery } from "./spec.js";
import { consumerNames, jsonTable, readAll, seed } from "./test-support.js";

const COLUMNS = { id: "int", region: "varchar", amount: "double precision" };

/** SELECT region, count(*) AS n, sum(amount) AS total FROM <relation> [WHERE amount > min] GROUP BY region */
function byRegion(relation: string, min?: number): ViewQuery {
  const scan: ViewQuery = { kind: "scan", relation };
  const input: ViewQuery =
    min === undefined ? scan : { kind: "filter", input: scan, predicate: call(">", col("amount"), lit(min)) };
  return {
    kind: "aggregate",
    input,
    groupBy: [{ name: "region", expr: col("region") }],
    aggregates: [
      { name: "n", fn: "count", arg: undefined, distinct: false },
      { name: "total", fn: "sum", arg: col("amount"), distinct: false },
    ],
  };
}

function rowsOf(p: ReturnType<typeof pipeline>, name: string): Record<string, unknown>[] {
  return p
    .view(name)
    .rows()
    .map((r): Record<string, unknown> => ({ ...r, n: Number(r["n"]) }))
    .sort((a, b) => String(a["region"]).localeCompare(String(b["region"])));
}

describe("pipeline (DSL) against a real nats-server", () => {
  let server: NatsServer;
  let dir: string;
  beforeAll(async () => {
    server = await NatsServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-pipeline-"));
  });
  afterAll(async () => {
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps a keyed table and a view over it up to date, and reports its lifecycle", async () => {
    await seed(server.url, "S1", "s1.x", [
      { id: 1, region: "n", amount: 10 },
      { id: 2, region: "s", amount: 5 },
      { id: 1, region: "s", amount: 7 }, // moves order 1 from n to s
    ]);
    const p = pipeline()
      .table("orders", jsonTable(server.url, "S1", "s1.x", COLUMNS, ["id"]))
      .materializedView("by_region", byRegion("orders"));
    const events: PipelineStatus["type"][] = [];
    p.status$.subscribe((s) => events.push(s.type));
    await p.start();
    await p.caughtUp();
    expect(rowsOf(p, "by_region")).toEqual([{ region: "s", n: 2, total: 12 }]);
    expect(p.view("orders").rows()).toHaveLength(2);
    expect(p.columnsOf("by_region").map((c) => c.name)).toEqual(["region", "n", "total"]);
    expect(p.metrics.render()).toMatch(/jetflow_messages_in_total\{relation="orders"\} 3/);
    expect(p.metrics.render()).toMatch(/jetflow_relation_rows\{relation="by_region"\} 1/);
    expect(p.metrics.render()).toMatch(/jetflow_consumer_lag\{relation="orders"\} 0/);
    await p.stop();
    expect(events).toContain("started");
    expect(events).toContain("caught_up");
    expect(events.at(-1)).toBe("stopped");
    await expect(p.done).resolves.toBeUndefined();
  });

  it("joins rows told apart by their table's key, though no view reads it (the join reads it)", async () => {
    // SELECT country, count(*) AS n, sum(o.amount) AS total FROM orders o JOIN regions r
    //   ON o.region = r.name GROUP BY country: each region's orders are stored (keyed by id) until
    //   its region row arrives, then they are paired from that state.
    const orders = Array.from({ length: 40 }, (_, i) => ({ id: i, region: `r${i % 4}`, amount: i }));
    await seed(server.url, "SJK", "sjk.x", orders);
    const query: ViewQuery = {
      kind: "aggregate",
      input: {
        kind: "join",
        join: "inner",
        left: { kind: "scan", relation: "orders" },
        right: { kind: "scan", relation: "regions" },
        names: ["id", "region", "amount", "name", "country"],
        on: [{ left: col("region"), right: col("name") }],
      },
      groupBy: [{ name: "country", expr: col("country") }],
      aggregates: [
        { name: "n", fn: "count", arg: undefined, distinct: false },
        { name: "total", fn: "sum", arg: col("amount"), distinct: false },
      ],
    };
    const p = pipeline()
      .table("orders", jsonTable(server.url, "SJK", "sjk.x", COLUMNS, ["id"]))
      .table("regions", jsonTable(server.url, "SJR", "sjr.x", { name: "varchar", country: "varchar" }, ["name"]))
      .materializedView("by_country", query);
    await seed(server.url, "SJR", "sjr.x", []);
    await p.start();
    await p.caughtUp();
    await seed(server.url, "SJR", "sjr.x", [
      { name: "r0", country: "a" },
      { name: "r1", country: "b" },
      { name: "r2", country: "a" },
      { name: "r3", country: "b" },
    ]);
    const expected = ["a", "b"].map((country, c) => {
      const mine = orders.filter((o) => Number(o.region.slice(1)) % 2 === c);
      return { country, n: BigInt(mine.length), total: mine.reduce((t, o) => t + o.amount, 0) };
    });
    await vi.waitFor(
      () =>
        expect(
          p
            .view("by_country")
            .rows()
            .sort((x, y) => String(x["country"]).localeCompare(String(y["country"]))),
        ).toEqual(expected),
      { timeout: 10_000, interval: 50 },
    );
    await p.stop();
  });

  it("streams view changes as they happen", async () => {
    await seed(server.url, "S2", "s2.x", [{ id: 1, region: "n", amount: 1 }]);
    const p = pipeline()
      .source("events", jsonTable(server.url, "S2", "s2.x", COLUMNS))
      .materializedView("by_region", byRegion("events"));
    await p.start();
    await p.caughtUp();
    const next = firstValueFrom(p.view("by_region").changes$);
    await seed(server.url, "S2", "s2.x", [{ id: 2, region: "n", amount: 2 }]);
    const change = await next;
    // the old group row is retracted and the new one inserted, in one batch
    expect(Array.from(change.ops ?? [])).toEqual([-1, 1]);
    expect(rowsOf(p, "by_region")).toEqual([{ region: "n", n: 2, total: 3 }]);
    expect(() => p.view("events")).toThrow(RelationNameError);
    await p.stop();
  });

  it("skips bad messages by default, counts them, and keeps every good row of the batch", async () => {
    await seed(server.url, "S3", "s3.x", [
      { id: 1, region: "a", amount: 1 },
      "{not json",
      { id: 2, region: "a", amount: "x" },
      { id: 3, region: "a", amount: 2 },
    ]);
    const p = pipeline()
      .table("t", jsonTable(server.url, "S3", "s3.x", COLUMNS, ["id"]))
      .materializedView("v", byRegion("t"));
    const bad: number[] = [];
    p.status$.subscribe((s) => s.type === "bad_message" && bad.push(s.sequence));
    await p.start();
    await p.caughtUp();
    expect(rowsOf(p, "v")).toEqual([{ region: "a", n: 2, total: 3 }]);
    expect(bad).toEqual([2, 3]);
    expect(p.metrics.total("jetflow_decode_errors_total")).toBe(2);
    await p.stop();
  });

  it("stops with an error naming the sequence under bad_message.policy = 'fail'", async () => {
    await seed(server.url, "S4", "s4.x", [{ id: 1, region: "a", amount: 1 }, "garbage"]);
    const p = pipeline().table(
      "t",
      jsonTable(server.url, "S4", "s4.x", COLUMNS, ["id"], { "bad_message.policy": "fail" }),
    );
    await p.start();
    const waiting = p.caughtUp().then(
      () => undefined,
      (e: unknown) => e,
    );
    const error = await p.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(await waiting).toBe(error); // a caller waiting to catch up learns why it never will
    expect(error).toBeInstanceOf(BadMessageError);
    expect((error as BadMessageError).message).toMatch(/^t: bad message at stream sequence 2: /);
  });

  it("publishes bad messages to the dead-letter subject with the reason in headers", async () => {
    await seed(server.url, "DLQ", "dlq.x", []);
    await seed(server.url, "S5", "s5.x", [{ id: 1, region: "a", amount: 1 }, "oops"]);
    const p = pipeline().table(
      "t",
      jsonTable(server.url, "S5", "s5.x", COLUMNS, ["id"], {
        "bad_message.policy": "dead_letter",
        "bad_message.dead_letter_subject": "dlq.x",
      }),
    );
    await p.start();
    await p.caughtUp();
    await p.stop();
    const dead = await readAll(server.url, "DLQ");
    expect(dead).toHaveLength(1);
    expect(dead[0]?.data).toBe("oops");
    expect(dead[0]?.headers["Jetflow-Sequence"]).toBe("2");
    expect(dead[0]?.headers["Jetflow-Subject"]).toBe("s5.x");
    expect(dead[0]?.headers["Jetflow-Error"]).toMatch(/JSON/i);
  });

  it("validates options when a relation is defined, before anything connects", () => {
    const p = pipeline();
    expect(() =>
      p.table("t", jsonTable(server.url, "S", "s.x", COLUMNS, ["id"], { "bad_message.policy": "explode" })),
    ).toThrow(/bad_message\.policy must be one of skip, fail, dead_letter/);
    expect(() => p.table("t", jsonTable(server.url, "S", "s.x", COLUMNS, ["id"], { bogus: "1" }))).toThrow(/bogus/);
    expect(() => p.sql("SELECT 1")).toThrow(PipelineStateError);
  });

  it("resumes from a filesystem checkpoint: only new messages are read, the state carries on", async () => {
    const state = { kind: "filesystem" as const, dir: path.join(dir, "resume") };
    await seed(
      server.url,
      "S6",
      "s6.x",
      [1, 2, 3].map((id) => ({ id, region: "a", amount: id })),
    );
    const define = () =>
      pipeline({ state })
        .source("e", jsonTable(server.url, "S6", "s6.x", COLUMNS))
        .materializedView("v", byRegion("e"));
    const first = define();
    await first.start();
    await first.caughtUp();
    await first.stop(); // takes a last checkpoint
    await seed(server.url, "S6", "s6.x", [{ id: 4, region: "a", amount: 4 }]);
    const second = define();
    const started = firstValueFrom(second.status$.pipe(rxFilter((s) => s.type === "started")));
    await second.start();
    expect(await started).toMatchObject({ type: "started", restoredCheckpoint: expect.any(Number) });
    await second.caughtUp();
    expect(rowsOf(second, "v")).toEqual([{ region: "a", n: 4, total: 10 }]);
    expect(second.metrics.total("jetflow_messages_in_total")).toBe(1);
    await second.stop();
  });

  it("resumes from a NATS object-store checkpoint, as a worker on another machine would", async () => {
    const state = { kind: "nats" as const, bucket: "jetflow_state_test" };
    await seed(
      server.url,
      "S11",
      "s11.x",
      [1, 2].map((id) => ({ id, region: "b", amount: id })),
    );
    const define = () =>
      pipeline({ state })
        .source("e", jsonTable(server.url, "S11", "s11.x", COLUMNS))
        .materializedView("v", byRegion("e"));
    const first = define();
    await first.start();
    await first.caughtUp();
    await first.stop();
    await seed(server.url, "S11", "s11.x", [{ id: 3, region: "b", amount: 3 }]);
    const second = define();
    await second.start();
    await second.caughtUp();
    expect(rowsOf(second, "v")).toEqual([{ region: "b", n: 3, total: 6 }]);
    expect(second.metrics.total("jetflow_messages_in_total")).toBe(1);
    await second.stop();
  });

  it("refuses a state directory that belongs to a different pipeline", async () => {
    const state = { kind: "filesystem" as const, dir: path.join(dir, "other") };
    await seed(server.url, "S7", "s7.x", [{ id: 1, region: "a", amount: 1 }]);
    const a = pipeline({ state })
      .source("e", jsonTable(server.url, "S7", "s7.x", COLUMNS))
      .materializedView("v", byRegion("e"));
    await a.start();
    await a.checkpoint();
    await a.stop();
    const b = pipeline({ state })
      .source("e", jsonTable(server.url, "S7", "s7.x", COLUMNS))
      .materializedView("v", byRegion("e", 100));
    await expect(b.start()).rejects.toThrow(PipelineError);
    await expect(b.start()).rejects.toThrow(PipelineStateError); // a failed pipeline cannot start again
  });

  it("refuses state written in an older state format, naming both formats", async () => {
    const dir2 = path.join(dir, "old-format");
    // What jetflow wrote before state formats existed: a checkpoint whose meta has no state_format.
    const backend = filesystemBackend(dir2);
    await new Checkpointer(backend, () => []).checkpoint({}, { fingerprint: "whatever" });
    await backend.close();
    await seed(server.url, "S12", "s12.x", [{ id: 1, region: "a", amount: 1 }]);
    const p = pipeline({ state: { kind: "filesystem", dir: dir2 } }).source(
      "e",
      jsonTable(server.url, "S12", "s12.x", COLUMNS),
    );
    await expect(p.start()).rejects.toThrow(/state format 1, this jetflow reads format 8/);
  });

  it("plans SQL statements in order through the front end: IF NOT EXISTS, DROP, dependents", async () => {
    await seed(server.url, "S8", "s8.x", [{ id: 1, region: "a", amount: 1 }]);
    const statements = (list: Statement[]): SqlFrontend => ({
      parse: () => list.map((s): ParsedStatement => ({ line: 1, column: 1, plan: () => s })),
    });
    const table = {
      kind: "create_table" as const,
      name: "t",
      ifNotExists: true,
      spec: jsonTable(server.url, "S8", "s8.x", COLUMNS, ["id"]),
    };
    const view = { kind: "create_view" as const, name: "v", ifNotExists: false, query: byRegion("t") };
    const ok = pipeline({
      sql: statements([table, table, view, { kind: "drop", what: "view", name: "v", ifExists: false }]),
    }).sql("...");
    await ok.start();
    expect(ok.names()).toEqual(["t"]);
    await ok.stop();
    const blocked = pipeline({
      sql: statements([table, view, { kind: "drop", what: "table", name: "t", ifExists: false }]),
    }).sql("...");
    await expect(blocked.start()).rejects.toThrow(/cannot drop table "t": view "v" depend\(s\) on it/);
    const wrongKind = pipeline({
      sql: statements([table, { kind: "drop", what: "view", name: "t", ifExists: false }]),
    }).sql("...");
    await expect(wrongKind.start()).rejects.toThrow(/"t" is a table, not a view/);
  });

  it("shows a global aggregate's row before any input, once, also after a restore", async () => {
    await seed(server.url, "S10", "s10.x", []);
    const total: ViewQuery = {
      kind: "aggregate",
      input: { kind: "scan", relation: "t" },
      groupBy: [],
      aggregates: [
        { name: "n", fn: "count", arg: undefined, distinct: false },
        { name: "total", fn: "sum", arg: col("amount"), distinct: false },
      ],
    };
    const state = { kind: "filesystem" as const, dir: path.join(dir, "global") };
    const define = () =>
      pipeline({ state })
        .table("t", jsonTable(server.url, "S10", "s10.x", COLUMNS, ["id"]))
        .materializedView("v", total);
    const first = define();
    await first.start();
    await first.caughtUp();
    expect(rowsOf(first, "v")).toEqual([{ n: 0, total: null }]);
    await first.stop();
    await seed(server.url, "S10", "s10.x", [{ id: 1, region: "a", amount: 2 }]);
    const second = define();
    await second.start();
    await second.caughtUp();
    expect(rowsOf(second, "v")).toEqual([{ n: 1, total: 2 }]);
    await second.stop();
  });

  it("runs DDL on a running pipeline: a new view starts complete, DROP removes the durable consumers", async () => {
    await seed(
      server.url,
      "S12",
      "s12.x",
      [1, 2, 3].map((id) => ({ id, region: id === 3 ? "y" : "x", amount: id })),
    );
    const queue: Statement[][] = [];
    const frontend: SqlFrontend = {
      parse: () => (queue.shift() ?? []).map((st): ParsedStatement => ({ line: 1, column: 1, plan: () => st })),
    };
    const spec = jsonTable(server.url, "S12", "s12.x", COLUMNS, ["id"], { "consumer.durable_name": "jf_durable" });
    const p = pipeline({ sql: frontend }).table("t", spec);
    await p.start();
    await p.caughtUp();
    const announced: string[] = [];
    p.status$.subscribe((s) => {
      if (s.type === "relation_created") announced.push(`+${s.relation} ${s.kind}`);
      if (s.type === "relation_dropped") announced.push(`-${s.relation}`);
    });
    queue.push([{ kind: "create_view", name: "late", ifNotExists: false, query: byRegion("t") }]);
    await p.exec("CREATE MATERIALIZED VIEW late ...");
    expect(rowsOf(p, "late")).toEqual([
      { region: "x", n: 2, total: 3 },
      { region: "y", n: 1, total: 3 },
    ]);
    queue.push([{ kind: "drop", what: "table", name: "t", ifExists: false }]);
    await expect(p.exec("DROP TABLE t")).rejects.toThrow(/view "late" depend\(s\) on it/);
    queue.push([
      { kind: "drop", what: "view", name: "late", ifExists: false },
      { kind: "drop", what: "table", name: "t", ifExists: false },
    ]);
    await p.exec("DROP MATERIALIZED VIEW late; DROP TABLE t;");
    expect(p.names()).toEqual([]);
    // Each relation created or dropped is announced before exec() resolves; a refused DROP says nothing.
    expect(announced).toEqual(["+late view", "-late", "-t"]);
    expect(await consumerNames(server.url, "S12")).toEqual([]);
    await p.stop();
  });

  it("emits a checkpoint event per checkpoint taken", async () => {
    await seed(server.url, "S9", "s9.x", [{ id: 1, region: "a", amount: 1 }]);
    const p = pipeline({ state: { kind: "filesystem", dir: path.join(dir, "cp") }, checkpointIntervalMs: 50 }).table(
      "t",
      jsonTable(server.url, "S9", "s9.x", COLUMNS, ["id"]),
    );
    await p.start();
    const two = await firstValueFrom(
      p.status$.pipe(
        rxFilter((s) => s.type === "checkpoint"),
        take(2),
        toArray(),
      ),
    );
    expect(two).toHaveLength(2);
    const report = await p.checkpoint();
    expect(report.id).toBeGreaterThan(0);
    await p.stop();
  });
});

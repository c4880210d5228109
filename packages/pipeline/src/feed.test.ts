import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { count, sum } from "./dsl/aggregate.js";
import { from } from "./dsl/query.js";
import { col } from "./dsl/value.js";
import { FeedError, RelationNameError } from "./errors.js";
import { pipeline } from "./pipeline.js";
import { changeOf, columnsFrom, jsonTable, seed, sharedBackend, TestFeed } from "./test-support.js";

const COLUMNS = { id: "int", region: "varchar", amount: "double precision" };
const byRegion = (relation: string) =>
  from(relation)
    .groupBy("region")
    .select("region", { n: count(), total: sum(col("amount")) });

function sorted(rows: Record<string, unknown>[] | undefined): Record<string, unknown>[] {
  return (rows ?? [])
    .map((r): Record<string, unknown> => ({ ...r, n: Number(r["n"]) }))
    .sort((a, b) => String(a["region"]).localeCompare(String(b["region"])));
}

describe("Pipeline.feed()", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start();
    await seed(server.url, "FEEDS", "feeds.x", [{ id: 9, region: "w", amount: 1 }]);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("a fed table upserts by its key (columns like a NATS table's), and a view over it aggregates", async () => {
    const feed = new TestFeed();
    const p = pipeline()
      .table("orders_in", jsonTable(server.url, "FEEDS", "feeds.x", COLUMNS, ["id"]))
      .feed("orders", feed.spec("table", { like: "orders_in" }, ["id"]))
      .materializedView("by_region", byRegion("orders"));
    await p.start();
    expect(feed.opened).toEqual([undefined]);
    feed.push(
      1,
      changeOf(COLUMNS, [
        { id: 1, region: "n", amount: 10 },
        { id: 2, region: "s", amount: 5 },
      ]),
    );
    feed.push(2, changeOf(COLUMNS, [{ id: 1, region: "s", amount: 7 }])); // moves order 1 from n to s
    await p.caughtUp();
    expect(sorted(p.view("by_region").rows())).toEqual([{ region: "s", n: 2, total: 12 }]);
    expect(p.view("orders").rows()).toHaveLength(2);
    expect(p.relation("orders").key).toEqual(["id"]);
    expect(p.columnsOf("orders")).toEqual(p.columnsOf("orders_in"));
    expect(p.lag()).toBe(0);
    expect(p.metrics.value("jetflow_rows_decoded_total", 'relation="orders"')).toBe(3);
    await p.stop();
    expect(feed.closed).toBe(1);
  });

  it("a fed view passes retractions on: a group-by over it sees them, and it keeps no rows", async () => {
    const feed = new TestFeed();
    const p = pipeline()
      .feed("changes", feed.spec("view", columnsFrom(COLUMNS)))
      .materializedView("by_region", byRegion("changes"));
    await p.start();
    feed.push(
      1,
      changeOf(COLUMNS, [
        { id: 1, region: "n", amount: 10 },
        { id: 2, region: "n", amount: 5 },
      ]),
    );
    expect(sorted(p.view("by_region").rows())).toEqual([{ region: "n", n: 2, total: 15 }]);
    feed.push(
      2,
      changeOf(
        COLUMNS,
        [
          { id: 1, region: "n", amount: 10 },
          { id: 1, region: "s", amount: 10 },
        ],
        [-1, 1],
      ),
    );
    expect(sorted(p.view("by_region").rows())).toEqual([
      { region: "n", n: 1, total: 5 },
      { region: "s", n: 1, total: 10 },
    ]);
    expect(p.relation("changes").kind).toBe("view");
    expect(p.relation("changes").rows()).toBeUndefined();
    expect(() => p.view("changes")).toThrow(RelationNameError);
    await p.stop();
  });

  it("restores a fed table's rows from the checkpoint and reopens the feed after its offset", async () => {
    const state = sharedBackend();
    const define = (feed: TestFeed) =>
      pipeline({ state: { kind: "backend", backend: state.handle() }, checkpointIntervalMs: 0 })
        .feed("orders", feed.spec("table", columnsFrom(COLUMNS), ["id"]))
        .materializedView("by_region", byRegion("orders"));
    const first = new TestFeed();
    const a = define(first);
    await a.start();
    first.push(4, changeOf(COLUMNS, [{ id: 1, region: "n", amount: 10 }]));
    first.push(7, changeOf(COLUMNS, [{ id: 2, region: "n", amount: 1 }]));
    await a.checkpoint();
    first.push(8, changeOf(COLUMNS, [{ id: 3, region: "n", amount: 100 }])); // not covered: redone by the feed
    await a.stop({ checkpoint: false });

    const second = new TestFeed();
    const b = define(second);
    await b.start();
    expect(second.opened).toEqual([7]);
    expect(b.view("orders").rows()).toHaveLength(2);
    expect(sorted(b.view("by_region").rows())).toEqual([{ region: "n", n: 2, total: 11 }]);
    second.push(8, changeOf(COLUMNS, [{ id: 3, region: "n", amount: 100 }]));
    expect(sorted(b.view("by_region").rows())).toEqual([{ region: "n", n: 3, total: 111 }]);
    await b.stop();

    const third = new TestFeed();
    const c = define(third);
    await c.start();
    expect(third.opened).toEqual([8]);
    await c.stop({ checkpoint: false });
  });

  it("fails the pipeline on a feed's error, a retraction into a source, or a change of other columns", async () => {
    const broken = new TestFeed();
    const p1 = pipeline().feed("t", broken.spec("table", columnsFrom(COLUMNS), ["id"]));
    await p1.start();
    broken.fail(new Error("exchange gone"));
    await expect(p1.done).rejects.toThrow("exchange gone");

    const src = new TestFeed();
    const p2 = pipeline().feed("s", src.spec("source", columnsFrom(COLUMNS)));
    await p2.start();
    src.push(1, changeOf(COLUMNS, [{ id: 1, region: "n", amount: 1 }], [-1]));
    await expect(p2.done).rejects.toMatchObject({ name: "FeedError", reason: "retraction" });

    const other = new TestFeed();
    const p3 = pipeline().feed("s", other.spec("source", columnsFrom(COLUMNS)));
    await p3.start();
    other.push(1, changeOf({ id: "int" }, [{ id: 1 }]));
    await expect(p3.done).rejects.toBeInstanceOf(FeedError);
  });

  it("refuses a feed whose columns are like a relation not defined above it, or whose key is not a column", async () => {
    const feed = new TestFeed();
    await expect(
      pipeline()
        .feed("f", feed.spec("view", { like: "nowhere" }))
        .start(),
    ).rejects.toBeInstanceOf(RelationNameError);
    await expect(
      pipeline()
        .feed("f", feed.spec("table", columnsFrom(COLUMNS), ["sku"]))
        .start(),
    ).rejects.toThrow(/key column\(s\) "sku"/);
  });
});

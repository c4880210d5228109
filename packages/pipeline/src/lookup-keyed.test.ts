import { jsonKeys, plainCell, rowJson, toJsonLines } from "@jetflow/core";
import { col } from "@jetflow/operators";
import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipeline } from "./pipeline.js";
import type { RelationHandle } from "./relation.js";
import { jsonTable, seed } from "./test-support.js";

/** Every SQL type a column can have, as `jsonTable` takes them. */
const TYPES = {
  id: "int",
  b: "boolean",
  s: "smallint",
  big: "bigint",
  r: "real",
  d: "double precision",
  num: "numeric",
  v: "varchar",
  raw: "bytea",
  day: "date",
  tod: "time",
  ts: "timestamp",
  tstz: "timestamptz",
  iv: "interval",
  j: "jsonb",
  st: "struct<a int, b varchar>",
  list: "int[]",
};

const FULL = {
  b: true,
  s: -7,
  big: "9007199254740993",
  r: 0.1,
  d: -2.5,
  num: "1.50",
  v: 'quote " and ünïcode 🚀',
  raw: "\\xdeadbeef",
  day: "2024-02-29",
  tod: "12:34:56.789012",
  ts: "2024-05-01T12:00:00.000001",
  tstz: "2024-05-01T12:00:00Z",
  iv: "1 year 2 mons 3 days 04:05:06",
  j: { k: [1, "x", null] },
  st: { a: 5, b: "five" },
  list: [3, null, 1],
};

/** The `--print` lines of a keyed lookup's rows, formatted from their plain values by `plainCell`. */
async function keyedLines(r: RelationHandle, equal: Record<string, unknown>): Promise<string | undefined> {
  const found = await r.lookupByKey(equal);
  if (found === undefined) return undefined;
  const keys = jsonKeys(r.columns.map((c) => c.name));
  return found.rows
    .map((row) =>
      rowJson(
        keys,
        r.columns.map((c, i) => plainCell(row[i], c.type)),
      ),
    )
    .sort()
    .map((l) => `${l}\n`)
    .join("");
}

describe("RelationHandle.lookupByKey(): probes by key answered from the relation's own values", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start();
    await seed(server.url, "KL", "kl.x", [
      { id: 1, ...FULL },
      { id: 2, ...FULL, v: "first" },
      { id: 2, ...FULL, v: "overwritten" },
      // Every column but the key NULL.
      { id: 3 },
      { id: 4, ...FULL, s: 2, v: "other" },
    ]);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("prints every SQL type, NULLs and overwritten rows exactly as --print; an absent key finds nothing", async () => {
    const p = pipeline().table("t", jsonTable(server.url, "KL", "kl.x", TYPES, ["id"]));
    await p.start();
    try {
      await p.caughtUp();
      const t = p.relation("t");
      for (const id of [1, 2, 3, 4]) {
        const printed = toJsonLines(await t.lookup({ id }));
        expect(printed.split("\n").length).toBe(2);
        expect(await keyedLines(t, { id })).toBe(printed);
        expect(await keyedLines(t, { id: String(id) })).toBe(printed);
      }
      const one = JSON.parse((await keyedLines(t, { id: 1 })) as string) as Record<string, unknown>;
      expect(one).toEqual({
        id: 1,
        b: true,
        s: -7,
        big: "9007199254740993",
        r: 0.1,
        d: -2.5,
        num: 1.5,
        v: 'quote " and ünïcode 🚀',
        raw: "\\xdeadbeef",
        day: "2024-02-29",
        tod: "12:34:56.789012",
        ts: "2024-05-01T12:00:00.000001Z",
        tstz: "2024-05-01T12:00:00.000Z",
        iv: "1 year 2 mons 3 days 04:05:06",
        j: { k: [1, "x", null] },
        st: { a: 5, b: "five" },
        list: [3, null, 1],
      });
      expect(JSON.parse((await keyedLines(t, { id: 2 })) as string)).toMatchObject({ v: "overwritten" });
      expect(Object.values(JSON.parse((await keyedLines(t, { id: 3 })) as string))).toEqual([
        3,
        ...Object.keys(FULL).map(() => null),
      ]);
      expect(await t.lookupByKey({ id: 99 })).toEqual({ rows: [] });
      // Not a probe by key alone: the caller scans with lookup().
      expect(await t.lookupByKey({ id: 1, v: "x" })).toBeUndefined();
      expect(await t.lookupByKey({ v: "other" })).toBeUndefined();
      expect(await t.lookupByKey({})).toBeUndefined();
      await expect(t.lookupByKey({ nope: 1 })).rejects.toThrow(/no column "nope"/);
    } finally {
      await p.stop();
    }
  });

  it("probes an aggregate view by its group key, its rows as --print gives them", async () => {
    const p = pipeline()
      .table("t", jsonTable(server.url, "KL", "kl.x", TYPES, ["id"]))
      .materializedView("by_s", {
        kind: "aggregate",
        input: { kind: "scan", relation: "t" },
        groupBy: [{ name: "s", expr: col("s") }],
        aggregates: [
          { name: "n", fn: "count", arg: undefined, distinct: false },
          { name: "total", fn: "sum", arg: col("d"), distinct: false },
        ],
      });
    await p.start();
    try {
      await p.caughtUp();
      const v = p.relation("by_s");
      expect(v.key).toEqual(["s"]);
      const printed = toJsonLines(await v.lookup({ s: -7 }));
      expect(JSON.parse(printed)).toEqual({ s: -7, n: 2, total: -5 });
      expect(await keyedLines(v, { s: -7 })).toBe(printed);
      expect(await keyedLines(v, { s: 2 })).toBe(toJsonLines(await v.lookup({ s: 2 })));
      // The group of NULLs is a group too.
      expect(JSON.parse((await keyedLines(v, { s: null })) as string)).toEqual({ s: null, n: 1, total: null });
      expect(await v.lookupByKey({ s: 1000 })).toEqual({ rows: [] });
      expect(await v.lookupByKey({ n: 2 })).toBeUndefined();
    } finally {
      await p.stop();
    }
  });
});

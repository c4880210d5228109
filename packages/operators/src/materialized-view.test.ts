import { type ChangeBatch, RETRACT, type SqlType, schemaOf } from "@jetflow/core";
import { tableFromIPC, tableToIPC } from "apache-arrow";
import { firstValueFrom, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import { MaterializedView } from "./materialized-view.js";
import { changeFrom, rowsOf } from "./test-support.js";

const t = (kind: string) => ({ kind }) as SqlType;
const schema = schemaOf([
  { name: "id", type: t("bigint") },
  { name: "price", type: t("numeric") },
  { name: "at", type: t("timestamptz") },
  { name: "local", type: t("timestamp") },
  { name: "day", type: t("date") },
  { name: "raw", type: t("bytea") },
  { name: "tags", type: { kind: "list", element: t("varchar") } },
  { name: "pos", type: { kind: "struct", fields: [{ name: "x", type: t("integer") }] } },
  { name: "gap", type: t("interval") },
]);

const row = {
  id: 1n,
  price: "1.50",
  at: 1_704_067_200_000_001n,
  local: 1_704_067_200_000_000n,
  day: 19723,
  raw: new Uint8Array([1, 2]),
  tags: ["a", "b"],
  pos: { x: 3 },
  gap: [1, 2, 3_600_000_000_000n],
};

describe("MaterializedView", () => {
  it("holds a multiset of rows: duplicates count, retractions remove one copy", () => {
    const v = new MaterializedView("v", schema, { id: "view" });
    v.apply(changeFrom(schema, [row, row, { ...row, id: 2n }]));
    expect(v.size).toBe(3);
    v.apply(changeFrom(schema, [row], [RETRACT]));
    expect(v.size).toBe(2);
    expect(v.snapshot().numRows).toBe(2);
    v.apply(changeFrom(schema, [{ ...row, id: 9n }], [RETRACT]));
    expect(v.unmatchedRetractions).toBe(1);
  });

  it("returns JS rows with documented value forms", () => {
    const v = new MaterializedView("v", schema, { id: "view" });
    v.apply(changeFrom(schema, [row]));
    expect(v.rows()).toEqual([
      {
        id: 1n,
        price: "1.50",
        at: "2024-01-01T00:00:00.000001Z",
        local: "2024-01-01T00:00:00.000000",
        day: "2024-01-01",
        raw: new Uint8Array([1, 2]),
        tags: ["a", "b"],
        pos: { x: 3 },
        gap: "1 mon 2 days 01:00:00",
      },
    ]);
  });

  it("round-trips every column type through its snapshot", () => {
    const v = new MaterializedView("v", schema, { id: "view" });
    v.apply(changeFrom(schema, [row, { id: null }]));
    const snap = v.snapshot();
    const back = rowsOf({ batch: snap.batches[0] as never, ops: undefined });
    expect(back).toContainEqual({ _op: 1, ...row });
    expect(back).toContainEqual({
      _op: 1,
      id: null,
      price: null,
      at: null,
      local: null,
      day: null,
      raw: null,
      tags: null,
      pos: null,
      gap: null,
    });
  });

  it("snapshots survive Arrow IPC", () => {
    const v = new MaterializedView("v", schema, { id: "view" });
    v.apply(changeFrom(schema, [row, { id: null, tags: [] }]));
    const back = tableFromIPC(tableToIPC(v.snapshot()));
    expect(back.numRows).toBe(2);
    const w = new MaterializedView("w", schema, { id: "w" });
    w.apply({ batch: back.batches[0] as never, ops: undefined });
    expect(w.rows()).toEqual(v.rows());
  });

  it("emits applied changes on changes$ and the current rows first on stream$", async () => {
    const v = new MaterializedView("v", schema, { id: "view" });
    const seen: ChangeBatch[] = [];
    v.changes$.subscribe((c) => seen.push(c));
    v.apply(changeFrom(schema, [row]));
    expect(seen).toHaveLength(1);
    const late = firstValueFrom(v.stream$.pipe(toArray()));
    v.apply(changeFrom(schema, [{ ...row, id: 2n }]));
    v.close();
    const got = await late;
    expect(got.map((c) => rowsOf(c).map((r) => r.id))).toEqual([[1n], [2n]]);
  });

  it("restores its rows and size from its store", () => {
    const v = new MaterializedView("v", schema, { id: "view" });
    v.apply(changeFrom(schema, [row, row]));
    const full = v.store.checkpoint(true);
    v.apply(changeFrom(schema, [row], [RETRACT]));
    const delta = v.store.checkpoint(false);
    const w = new MaterializedView("v", schema, { id: "view" });
    w.store.restore([full, delta]);
    w.restored();
    expect(w.size).toBe(1);
    expect(w.rows()).toEqual(v.rows());
  });
});

describe("MaterializedView index (indexBy)", () => {
  const groups = schemaOf([
    { name: "g", type: t("varchar") },
    { name: "k", type: t("numeric") },
    { name: "n", type: t("bigint") },
  ]);
  const probe = (rows: Record<string, unknown>[]) => {
    const keySchema = schemaOf([
      { name: "g", type: t("varchar") },
      { name: "k", type: t("numeric") },
    ]);
    return changeFrom(keySchema, rows as never).batch;
  };

  it.each([false, true])(
    "finds rows by the indexed columns, follows retractions, and is rebuilt after a restore (unique: %s)",
    (unique) => {
      const v = new MaterializedView("v", groups, { id: "v", indexBy: ["g", "k"], unique });
      expect(v.indexColumns).toEqual(["g", "k"]);
      v.apply(
        changeFrom(groups, [
          { g: "a", k: "1.0", n: 1n },
          { g: "a", k: "2", n: 2n },
          { g: "b", k: "1", n: 3n },
        ]),
      );
      // numeric keys compare as SQL does: 1.00 finds 1.0
      expect(
        v
          .lookup(probe([{ g: "a", k: "1.00" }]))
          .toArray()
          .map((r) => [r.k, Number(r.n)]),
      ).toEqual([["1.0", 1]]);
      v.apply(
        changeFrom(
          groups,
          [
            { g: "a", k: "1.0", n: 1n },
            { g: "a", k: "1.0", n: 5n },
          ],
          [RETRACT, 1],
        ),
      );
      const found = v.lookup(
        probe([
          { g: "a", k: "1" },
          { g: "b", k: "1" },
          { g: "c", k: "1" },
        ]),
      );
      expect(found.toArray().map((r) => Number(r.n))).toEqual([5, 3]);

      const copy = new MaterializedView("v", groups, { id: "v", indexBy: ["g", "k"], unique });
      for (const [key, value] of v.store.entries()) copy.store.set(key, value);
      copy.restored();
      expect(
        copy
          .lookup(probe([{ g: "a", k: "1" }]))
          .toArray()
          .map((r) => Number(r.n)),
      ).toEqual([5]);
    },
  );

  it("with a unique key, stores one row per key: a group's retract and insert land in either order", () => {
    const v = new MaterializedView("v", groups, { id: "v", indexBy: ["g", "k"], unique: true });
    v.apply(changeFrom(groups, [{ g: "a", k: "1", n: 1n }]));
    // insert(new) before retract(old) in one batch: retractions are applied first
    v.apply(
      changeFrom(
        groups,
        [
          { g: "a", k: "1", n: 2n },
          { g: "a", k: "1", n: 1n },
        ],
        [1, RETRACT],
      ),
    );
    expect(v.rows().map((r) => Number(r.n))).toEqual([2]);
    expect(v.size).toBe(1);
    expect([...v.store.entries()].map(([key]) => key)).toEqual(["1:a1,"]);
    // retracting a row the view does not hold (same key, other values) changes nothing
    v.apply(changeFrom(groups, [{ g: "a", k: "1", n: 9n }], [RETRACT]));
    expect(v.unmatchedRetractions).toBe(1);
    expect(v.rows().map((r) => Number(r.n))).toEqual([2]);
    // an insert under a key that holds another row replaces it and is counted
    v.apply(changeFrom(groups, [{ g: "a", k: "1", n: 3n }]));
    expect(v.keyConflicts).toBe(1);
    expect(v.size).toBe(1);
    expect(v.rows().map((r) => Number(r.n))).toEqual([3]);
  });

  it("with a unique key, an update keeps the key's entry and row, rewriting only the values that changed", () => {
    const v = new MaterializedView("v", groups, { id: "v", indexBy: ["g"], unique: true });
    v.apply(
      changeFrom(groups, [
        { g: "a", k: "1", n: 1n },
        { g: "b", k: "2", n: 2n },
        { g: "c", k: "3", n: 3n },
      ]),
    );
    const entryOf = (g: string) => new Map(v.store.entries()).get(`${g.length}:${g}`) as { c: number; r: unknown[] };
    const before = entryOf("a");
    const storedK = before.r[1];
    const full = v.store.checkpoint(true);
    // a updated (n), b deleted, c retracted twice (the second one holds nothing), d new
    v.apply(
      changeFrom(
        groups,
        [
          { g: "a", k: "1", n: 1n },
          { g: "b", k: "2", n: 2n },
          { g: "c", k: "3", n: 3n },
          { g: "c", k: "3", n: 3n },
          { g: "a", k: "1", n: 7n },
          { g: "d", k: "4", n: 4n },
        ],
        [RETRACT, RETRACT, RETRACT, RETRACT, 1, 1],
      ),
    );
    expect(v.rows()).toEqual([
      { g: "a", k: "1", n: 7n },
      { g: "d", k: "4", n: 4n },
    ]);
    expect({ size: v.size, unmatched: v.unmatchedRetractions, conflicts: v.keyConflicts }).toEqual({
      size: 2,
      unmatched: 1,
      conflicts: 0,
    });
    const after = entryOf("a");
    expect(after).toBe(before); // the same entry and row, the equal value the same object
    expect(after.r).toEqual(["a", "1", 7n]);
    expect(after.r[1]).toBe(storedK);
    // The checkpoint delta holds a's new row, b's and c's deletes, d: restored, it is the view.
    const copy = new MaterializedView("v", groups, { id: "v", indexBy: ["g"], unique: true });
    const delta = v.store.checkpoint(false);
    expect(delta.kind).toBe("delta");
    copy.store.restore([full, delta]);
    copy.restored();
    expect(copy.rows()).toEqual(v.rows());
  });

  it("refuses an index on a column it does not have, and a lookup without an index", () => {
    expect(() => new MaterializedView("v", groups, { id: "v", indexBy: ["nope"] })).toThrow(/"nope"/);
    expect(() => new MaterializedView("v", groups, { id: "v" }).lookup(probe([]))).toThrow(/no index/);
  });
});

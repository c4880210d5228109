import { KeyedStore, type StoreKey } from "@jetflow/state";
import { describe, expect, it } from "vitest";
import { ColumnMap } from "./column-map.js";
import type { Plain } from "./plain.js";

describe("ColumnMap", () => {
  it("keeps rows by column, reuses freed slots, and hands out rows as copies", () => {
    const columns = new ColumnMap(2);
    columns.set(1, [1, "eu"]);
    columns.set(2, [2, "us"]);
    const slot = columns.slotOf(2);
    expect(columns.column(1)[slot]).toBe("us");
    expect(columns.slotOf(3)).toBe(-1);
    const row = columns.get(2) as Plain[];
    row[1] = "changed";
    expect(columns.get(2)).toEqual([2, "us"]);
    columns.write(slot, 1, "ap");
    expect(columns.get(2)).toEqual([2, "ap"]);
    expect(columns.delete(1)).toBe(true);
    expect(columns.delete(1)).toBe(false);
    expect(columns.column(1)[0]).toBe(null);
    columns.set(7, [7, "sa"]);
    expect(columns.slotOf(7)).toBe(0);
    expect(columns.size).toBe(2);
    // slot order: 7 took the slot 1 had
    expect([...columns.entries()]).toEqual([
      [7, [7, "sa"]],
      [2, [2, "ap"]],
    ]);
    expect([...columns.keys()]).toEqual([7, 2]);
    expect([...columns.values()]).toEqual([
      [7, "sa"],
      [2, "ap"],
    ]);
    columns.set("text", ["t", "x"]);
    expect(columns.get("text")).toEqual(["t", "x"]);
    expect(columns.delete("text")).toBe(true);
    columns.clear();
    expect(columns.size).toBe(0);
    columns.set(9, [9, "x"]);
    expect(columns.slotOf(9)).toBe(0);
  });

  it("under a KeyedStore, checkpoints and restores rows as a Map-backed store does", () => {
    const byColumn = new KeyedStore<Plain[], StoreKey>("t", new ColumnMap(2));
    const byRow = new KeyedStore<Plain[], StoreKey>("t");
    for (const store of [byColumn, byRow]) {
      store.set(1, [1, "a"]);
      store.set(2, [2, "b"]);
    }
    const full = byColumn.checkpoint(true);
    expect(full.bytes).toEqual(byRow.checkpoint(true).bytes);
    byColumn.delete(1);
    byColumn.set(3, [3, "c"]);
    const delta = byColumn.checkpoint(false);
    const restored = new KeyedStore<Plain[], StoreKey>("t", new ColumnMap(2));
    restored.restore([full, delta]);
    expect([...restored.entries()].sort()).toEqual([
      [2, [2, "b"]],
      [3, [3, "c"]],
    ]);
  });

  it("write() leaves an equal value in place and stores every other one, -0 apart from 0 and NaN as NaN", () => {
    const columns = new ColumnMap(2);
    columns.set(1, [0, "x"]);
    const slot = columns.slotOf(1);
    for (const value of [0, -0, 0, Number.NaN, Number.NaN, 2n, 2n, "text", "text", null]) {
      columns.write(slot, 0, value);
      expect(Object.is(columns.column(0)[slot], value)).toBe(true);
    }
    expect(columns.get(1)).toEqual([null, "x"]);
  });
});

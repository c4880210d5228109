import { describe, expect, it } from "vitest";
import { appendOnlyTable } from "./append-only-table.js";
import { changeFrom, checkpointAll, restoreInto, schemaFrom } from "./test-support.js";

const schema = schemaFrom({ id: "integer", name: "varchar" });

describe("appendOnlyTable", () => {
  it("passes batches through and keeps every row, duplicates included, in arrival order", () => {
    const t = appendOnlyTable(schema, { id: "t/rows" });
    const c = changeFrom(schema, [
      { id: 1, name: "a" },
      { id: 1, name: "a" },
    ]);
    expect(t.process(c)).toBe(c);
    t.process(changeFrom(schema, [{ id: 2, name: null }]));
    expect(t.size).toBe(3);
    expect(t.rows()).toEqual([
      { id: 1, name: "a" },
      { id: 1, name: "a" },
      { id: 2, name: null },
    ]);
    expect(t.snapshot().numRows).toBe(3);
  });

  it("numbers rows after a restore past the highest stored number, so no row is overwritten", () => {
    const t = appendOnlyTable(schema, { id: "t/rows" });
    t.process(changeFrom(schema, [{ id: 1, name: "a" }]));
    const full = checkpointAll(t, true);
    t.process(changeFrom(schema, [{ id: 2, name: "b" }]));
    const delta = checkpointAll(t, false);

    const back = appendOnlyTable(schema, { id: "t/rows" });
    restoreInto(back, [full, delta]);
    back.process(changeFrom(schema, [{ id: 3, name: "c" }]));
    expect(back.rows().map((r) => r["id"])).toEqual([1, 2, 3]);
  });

  it("refuses a retraction: an append-only table has no way to know which row it would remove", () => {
    const t = appendOnlyTable(schema, { id: "t/rows" });
    expect(() => t.process(changeFrom(schema, [{ id: 1, name: "a" }], [-1]))).toThrow(/retraction/);
  });
});

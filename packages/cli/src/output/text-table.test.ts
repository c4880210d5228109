import { parseSqlType, sqlField } from "@jetflow/core";
import { makeData, RecordBatch, Schema, Struct, Table, vectorFromArray, Utf8 } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { toTextTable } from "./text-table.js";

/** A one-column table of `sql` type whose Arrow data is `data`. */
function tableOf(name: string, sql: string, data: ReturnType<typeof makeData>): Table {
  const field = sqlField(name, parseSqlType(sql));
  const schema = new Schema([field]);
  const struct = makeData({ type: new Struct(schema.fields), length: data.length, children: [data] });
  return new Table([new RecordBatch(schema, struct)]);
}

describe("toTextTable", () => {
  it("prints a psql-like table with a row count", () => {
    const v = vectorFromArray(["a", "bb"], new Utf8());
    const t = tableOf("name", "varchar", v.data[0] as ReturnType<typeof makeData>);
    expect(toTextTable(t)).toBe(" name\n------\n a\n bb\n(2 rows)\n");
  });
});

describe("toTextTable with a bound", () => {
  it("shows the first rows sorted and says how many are not shown", () => {
    const v = vectorFromArray(["c", "a", "b"], new Utf8());
    const t = tableOf("x", "varchar", v.data[0] as ReturnType<typeof makeData>);
    expect(toTextTable(t, 2)).toBe(" x\n---\n a\n b\n(3 rows, 1 not shown)\n");
  });

  it("does not sort a large relation for a bounded display", () => {
    const values = Array.from({ length: 6000 }, (_, i) => String(6000 - i).padStart(5, "0"));
    const t = tableOf("x", "varchar", vectorFromArray(values, new Utf8()).data[0] as ReturnType<typeof makeData>);
    expect(toTextTable(t, 2)).toBe(" x\n-------\n 05999\n 06000\n(6000 rows, the first 2 as stored)\n");
  });
});

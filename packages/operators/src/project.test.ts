import { RETRACT, sqlTypeOfField } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { call, col, lit } from "./expr/expr.js";
import { project } from "./project.js";
import { changeFrom, rowsOf, schemaFrom } from "./test-support.js";

const schema = schemaFrom({ id: "integer", name: "varchar", amount: "double precision", ts: "timestamptz" });

describe("project", () => {
  it("computes columns, passes column references through and keeps ops", () => {
    const p = project(schema, [
      { name: "id", expr: col("id") },
      { name: "big", expr: call(">", col("amount"), lit(10)) },
      { name: "label", expr: call("||", call("upper", col("name")), lit("!")) },
    ]);
    expect(p.schema.fields.map((f) => [f.name, sqlTypeOfField(f).kind])).toEqual([
      ["id", "integer"],
      ["big", "boolean"],
      ["label", "varchar"],
    ]);
    const input = changeFrom(
      schema,
      [
        { id: 1, name: "a", amount: 20 },
        { id: 2, name: null, amount: 1 },
      ],
      [1, RETRACT],
    );
    const out = p.process(input);
    expect(rowsOf(out)).toEqual([
      { _op: 1, id: 1, big: true, label: "A!" },
      { _op: -1, id: 2, big: false, label: null },
    ]);
    expect(out?.batch.data.children[0]).toBe(input.batch.data.children[0]);
  });
});

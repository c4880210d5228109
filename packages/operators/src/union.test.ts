import { describe, expect, it } from "vitest";
import { changeFrom, rowsOf, schemaFrom } from "./test-support.js";
import { union } from "./union.js";

describe("union", () => {
  const a = schemaFrom({ id: "integer", name: "varchar" });
  const b = schemaFrom({ key: "bigint", label: "varchar" });

  it("passes each input's changes through under the first input's names, casting to the common type", () => {
    const u = union([a, b]);
    expect(u.schema.fields.map((f) => f.name)).toEqual(["id", "name"]);
    expect(rowsOf(u.process(0, changeFrom(a, [{ id: 1, name: "x" }], [-1])))).toEqual([{ _op: -1, id: 1n, name: "x" }]);
    expect(rowsOf(u.process(1, changeFrom(b, [{ key: 2n, label: null }])))).toEqual([{ _op: 1, id: 2n, name: null }]);
    expect(u.process(1, changeFrom(b, []))).toBeUndefined();
  });

  it("refuses inputs of different widths or types that do not meet", () => {
    expect(() => union([a, schemaFrom({ id: "integer" })])).toThrow(/same number of columns: 2 and 1/);
    expect(() => union([a, schemaFrom({ id: "varchar", name: "varchar" })])).toThrow(
      /UNION types integer and varchar cannot be matched \(column id\)/,
    );
  });
});

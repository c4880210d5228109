import { Type } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { arrowTypeOf, sqlField, sqlTypeOfField } from "./arrow-type.js";
import { parseSqlType } from "./sql-type.js";

describe("arrowTypeOf", () => {
  it.each([
    ["boolean", Type.Bool],
    ["smallint", Type.Int],
    ["bigint", Type.Int],
    ["real", Type.Float],
    ["numeric", Type.Utf8],
    ["bytea", Type.Binary],
    ["date", Type.Date],
    ["time", Type.Time],
    ["timestamptz", Type.Timestamp],
    ["interval", Type.Interval],
    ["jsonb", Type.Utf8],
    ["int[]", Type.List],
    ["struct<a int>", Type.Struct],
  ])("%s maps to Arrow type id %s", (sql, typeId) => {
    expect(arrowTypeOf(parseSqlType(sql)).typeId).toBe(typeId);
  });

  it("keeps timezone and unit of timestamps", () => {
    const t = arrowTypeOf(parseSqlType("timestamptz"));
    expect(String(t)).toBe("Timestamp<MICROSECOND, UTC>");
  });

  it("round-trips the SQL type through field metadata", () => {
    const type = parseSqlType("struct<a int, b numeric[]>");
    expect(sqlTypeOfField(sqlField("s", type))).toEqual(type);
  });
});

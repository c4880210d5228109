import { describe, expect, it } from "vitest";
import { UnknownTypeError } from "./errors.js";
import { formatSqlType, parseSqlType } from "./sql-type.js";

describe("parseSqlType", () => {
  it.each([
    ["int", "integer"],
    ["INTEGER", "integer"],
    ["bigint", "bigint"],
    ["double precision", "double precision"],
    ["float8", "double precision"],
    ["varchar(255)", "varchar"],
    ["character varying", "varchar"],
    ["numeric(10, 2)", "numeric"],
    ["timestamp", "timestamp"],
    ["timestamp with time zone", "timestamptz"],
    ["timestamp without time zone", "timestamp"],
    ["TIMESTAMPTZ", "timestamptz"],
    ["int[]", "integer[]"],
    ["varchar[][]", "varchar[][]"],
    ["struct<a int, b varchar>", "struct<a integer, b varchar>"],
    ["STRUCT<a INT, b STRUCT<c DOUBLE PRECISION>>[]", "struct<a integer, b struct<c double precision>>[]"],
    ["jsonb", "jsonb"],
    ["interval", "interval"],
  ])("%s -> %s", (text, canonical) => {
    expect(formatSqlType(parseSqlType(text))).toBe(canonical);
  });

  it("names the column and the type when it does not know the type", () => {
    expect(() => parseSqlType("bogus", "price")).toThrow(UnknownTypeError);
    expect(() => parseSqlType("bogus", "price")).toThrow(/column "price": unknown type "bogus"/);
    expect(() => parseSqlType("int extra", "x")).toThrow(/unknown type "int extra"/);
    expect(() => parseSqlType("struct<a>", "s")).toThrow(UnknownTypeError);
  });
});

import { parseSqlType } from "@jetflow/core";
import { resolveFormat } from "@jetflow/decoders";
import { describe, expect, it } from "vitest";
import { bigint, double, int, list, struct, timestamptz, varchar } from "./columns.js";
import { bytes, json, msgpack, protobuf, sourceSpec, tableSpec } from "./ingest-def.js";
import { nats } from "./nats.js";

const withOptions = nats({ servers: "nats://127.0.0.1:4222", subject: "shop.orders", stream: "shop" });

describe("source and table definitions", () => {
  it("fill the spec the DDL gives, JSON by default and no INCLUDE columns", () => {
    // CREATE TABLE orders (id int PRIMARY KEY, region varchar, amount double precision) WITH (...) FORMAT PLAIN ENCODE JSON
    expect(
      tableSpec({ columns: { id: "int", region: "varchar", amount: "double" }, primaryKey: "id", with: withOptions }),
    ).toStrictEqual({
      columns: [
        { name: "id", type: parseSqlType("int") },
        { name: "region", type: parseSqlType("varchar") },
        { name: "amount", type: parseSqlType("double precision") },
      ],
      include: [],
      with: withOptions,
      format: { format: "plain", encode: "json", options: {} },
      primaryKey: ["id"],
    });
    expect(
      tableSpec({ columns: [int("a"), varchar("b")], primaryKey: ["a", "b"], with: withOptions }).primaryKey,
    ).toEqual(["a", "b"]);
    expect(tableSpec({ columns: [int("a")], with: withOptions }).primaryKey).toEqual([]);
  });

  it("column helpers, records and nested types give the types the SQL type parser gives", () => {
    expect(
      sourceSpec({
        columns: { a: "bigint", b: "timestamptz", tags: list("text"), at: struct({ lat: "double", lon: "double" }) },
        with: withOptions,
      }).columns,
    ).toStrictEqual([
      { name: "a", type: parseSqlType("bigint") },
      { name: "b", type: parseSqlType("timestamp with time zone") },
      { name: "tags", type: parseSqlType("varchar[]") },
      { name: "at", type: parseSqlType("struct<lat double precision, lon double precision>") },
    ]);
    expect([bigint("a"), double("b"), timestamptz("c")]).toStrictEqual([
      { name: "a", type: parseSqlType("int8") },
      { name: "b", type: parseSqlType("float8") },
      { name: "c", type: parseSqlType("timestamptz") },
    ]);
    expect(() => sourceSpec({ columns: { a: "money" as "int" }, with: withOptions })).toThrow(/money/);
  });

  it("INCLUDE columns in the order given, a header by its key", () => {
    const spec = sourceSpec({
      columns: { page: "varchar" },
      with: withOptions,
      include: { topic: "subject", seq: "sequence", trace: { header: "trace-id" } },
    });
    expect(spec.include).toStrictEqual([
      { kind: "subject", name: "topic" },
      { kind: "sequence", name: "seq" },
      { kind: "header", name: "trace", key: "trace-id" },
    ]);
  });

  it("formats: the decoders' one validator accepts each", () => {
    const proto = protobuf({
      message: "shop.Order",
      schemaLocation: "file:///tmp/shop.proto",
      messagesAsJsonb: ["a.B", "c.D"],
    });
    const formats = [json(), json({ timestamptzHandling: "milli" }), msgpack(), proto, bytes()];
    expect(formats.map((f) => resolveFormat(f))).toEqual([
      { encode: "json", timestamptzNumbers: "guess" },
      { encode: "json", timestamptzNumbers: "milli" },
      { encode: "msgpack", timestamptzNumbers: "guess" },
      {
        encode: "protobuf",
        message: "shop.Order",
        schemaLocation: "file:///tmp/shop.proto",
        messagesAsJsonb: ["a.B", "c.D"],
      },
      { encode: "bytes" },
    ]);
    expect(sourceSpec({ with: withOptions, format: proto }).columns).toBeUndefined();
  });
});

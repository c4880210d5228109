import { parseSqlType, sqlField } from "../index.js";
import { makeData, RecordBatch, Schema, Struct, Table, vectorFromArray, Utf8, Int32, Float64 } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { toJsonLines } from "./rows.js";

/** A one-column table of `sql` type whose Arrow data is `data`. */
function tableOf(name: string, sql: string, data: ReturnType<typeof makeData>): Table {
  const field = sqlField(name, parseSqlType(sql));
  const schema = new Schema([field]);
  const struct = makeData({ type: new Struct(schema.fields), length: data.length, children: [data] });
  return new Table([new RecordBatch(schema, struct)]);
}

function parseArrowType(sql: string) {
  return sqlField("x", parseSqlType(sql)).type;
}

function bitmap(valid: boolean[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(valid.length / 8));
  valid.forEach((v, i) => {
    if (v) out[i >> 3] = (out[i >> 3] as number) | (1 << (i & 7));
  });
  return out;
}

describe("toJsonLines", () => {
  it("prints bigint as a number when safe, else as a string", () => {
    const t = tableOf(
      "n",
      "bigint",
      makeData({ type: parseArrowType("bigint"), length: 2, data: new BigInt64Array([2n ** 60n, 42n]) }),
    );
    expect(toJsonLines(t)).toBe('{"n":42}\n{"n":"1152921504606846976"}\n');
  });

  it("prints timestamps as ISO-8601 UTC, with microseconds only when they are there", () => {
    const us = new BigInt64Array([1_700_000_000_123_000n, 1_700_000_000_123_456n]);
    const t = tableOf("ts", "timestamptz", makeData({ type: parseArrowType("timestamptz"), length: 2, data: us }));
    expect(toJsonLines(t)).toBe('{"ts":"2023-11-14T22:13:20.123Z"}\n{"ts":"2023-11-14T22:13:20.123456Z"}\n');
  });

  it("sorts rows by all columns with NULL last, and keeps column order in keys", () => {
    const schema = new Schema([sqlField("a", parseSqlType("varchar")), sqlField("b", parseSqlType("int"))]);
    const a = vectorFromArray(["y", "x", "x", null], new Utf8());
    const b = makeData({
      type: new Int32(),
      length: 4,
      data: new Int32Array([1, 2, 1, 5]),
      nullBitmap: bitmap([true, true, false, true]),
    });
    const struct = makeData({
      type: new Struct(schema.fields),
      length: 4,
      children: [a.data[0] as ReturnType<typeof makeData>, b],
    });
    const t = new Table([new RecordBatch(schema, struct)]);
    expect(toJsonLines(t)).toBe(
      ['{"a":"x","b":2}', '{"a":"x","b":null}', '{"a":"y","b":1}', '{"a":null,"b":5}', ""].join("\n"),
    );
  });

  it("prints numeric text as a number when a double holds it exactly, else as a string", () => {
    const v = vectorFromArray(["2.50", "12345678901234567890.5", "-0.1"], new Utf8());
    const t = tableOf("x", "numeric", v.data[0] as ReturnType<typeof makeData>);
    expect(toJsonLines(t)).toBe('{"x":-0.1}\n{"x":2.5}\n{"x":"12345678901234567890.5"}\n');
  });

  it("prints doubles as JSON numbers and NaN as a string", () => {
    const t = tableOf(
      "d",
      "double precision",
      makeData({ type: new Float64(), length: 2, data: new Float64Array([Number.NaN, 1.5]) }),
    );
    expect(toJsonLines(t)).toBe('{"d":1.5}\n{"d":"NaN"}\n');
  });
});

describe("PostgreSQL's text for the odd values", () => {
  it("prints a real as its shortest float4 text", () => {
    const t = tableOf(
      "r",
      "real",
      makeData({ type: parseArrowType("real"), length: 2, data: new Float32Array([0.1, 3.4e38]) }),
    );
    expect(toJsonLines(t)).toBe('{"r":0.1}\n{"r":3.4e+38}\n');
  });

  it("prints intervals in postgres style, signs and plurals included", () => {
    // months, days, nanoseconds (low, high 32 bits)
    const values = new Int32Array([
      0,
      -1,
      0,
      0,
      0,
      -1,
      2 * 3600 * 1e6 * 1000 - 2 ** 32 * 1676,
      1676,
      11,
      0,
      0,
      0,
      25,
      1,
      0,
      0,
    ]);
    const t = tableOf("iv", "interval", makeData({ type: parseArrowType("interval"), length: 4, data: values }));
    expect(toJsonLines(t)).toBe(
      ['{"iv":"-1 days"}', '{"iv":"-1 days +02:00:00"}', '{"iv":"11 mons"}', '{"iv":"2 years 1 mon 1 day"}', ""].join(
        "\n",
      ),
    );
  });

  it("sorts text in code point order, like PostgreSQL's C collation", () => {
    const t = tableOf(
      "s",
      "varchar",
      vectorFromArray(["🚀", "ｘ", "a"], new Utf8()).data[0] as ReturnType<typeof makeData>,
    );
    expect(toJsonLines(t)).toBe('{"s":"a"}\n{"s":"ｘ"}\n{"s":"🚀"}\n');
  });
});

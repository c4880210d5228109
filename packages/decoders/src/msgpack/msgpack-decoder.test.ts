import { parseSqlType } from "@jetflow/core";
import { Packr } from "msgpackr";
import { describe, expect, test } from "vitest";
import { createDecoder } from "../create-decoder.js";
import { rawBatch, rowsOf } from "../test-support.js";

const packr = new Packr({ useRecords: false });
const pack = (value: unknown) => new Uint8Array(packr.pack(value));

async function msgpackDecoder(columns: Record<string, string>) {
  return createDecoder({
    format: { format: "plain", encode: "msgpack", options: {} },
    columns: Object.entries(columns).map(([name, type]) => ({ name, type: parseSqlType(type, name) })),
    include: [],
  });
}

describe("ENCODE MSGPACK", () => {
  test("every SQL type from native MessagePack values", async () => {
    const decoder = await msgpackDecoder({
      b: "boolean",
      i2: "smallint",
      i4: "int",
      i8: "bigint",
      f4: "real",
      f8: "double precision",
      n: "numeric",
      s: "varchar",
      bin: "bytea",
      d: "date",
      t: "time",
      ts: "timestamp",
      tstz: "timestamptz",
      iv: "interval",
      j: "jsonb",
      st: "struct<x int, y varchar>",
      l: "bigint[]",
    });
    const when = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    const { batch, bad } = decoder.decode(
      rawBatch([
        pack({
          b: true,
          i2: -5,
          i4: 70000,
          i8: 2n ** 62n + 1n,
          f4: 1.5,
          f8: 0.1,
          n: 2n ** 64n - 1n,
          s: "héllo",
          bin: new Uint8Array([0, 1, 255]),
          d: when,
          t: "01:02:03",
          ts: when,
          tstz: when,
          iv: "2 hours",
          j: { k: [1, 2n ** 64n - 1n, new Uint8Array([1, 2]), "x"], when },
          st: { X: 1, y: "q", extra: true },
          l: [1, -(2n ** 63n), null],
        }),
        pack({}),
      ]),
    );
    expect(bad).toEqual([]);
    const whenMicros = BigInt(when.getTime()) * 1000n;
    expect(rowsOf(batch)).toEqual([
      {
        b: true,
        i2: -5,
        i4: 70000,
        i8: 2n ** 62n + 1n,
        f4: 1.5,
        f8: 0.1,
        n: "18446744073709551615",
        s: "héllo",
        bin: new Uint8Array([0, 1, 255]),
        d: 19724,
        t: 3_723_000_000n,
        ts: whenMicros,
        tstz: whenMicros,
        iv: { months: 0, days: 0, nanos: 7_200_000_000_000n },
        j: `{"k":[1,18446744073709551615,"AQI=","x"],"when":"2024-01-02T03:04:05.678Z"}`,
        st: { x: 1, y: "q" },
        l: [1n, -(2n ** 63n), null],
      },
      Object.fromEntries(
        ["b", "i2", "i4", "i8", "f4", "f8", "n", "s", "bin", "d", "t", "ts", "tstz", "iv", "j", "st", "l"].map((k) => [
          k,
          null,
        ]),
      ),
    ]);
  });

  test("out-of-range values, wrong types and broken data are bad messages", async () => {
    const decoder = await msgpackDecoder({ i4: "int", i8: "bigint", s: "varchar" });
    const good = pack({ i4: 1, i8: 1, s: "ok" });
    const { batch, bad } = decoder.decode(
      rawBatch([
        pack({ i4: 2 ** 31 }),
        pack({ i8: 2n ** 64n - 1n }),
        pack({ s: new Uint8Array([1]) }),
        pack([1, 2]),
        good.subarray(0, good.length - 2),
        new Uint8Array([...good, 0xc0]),
        good,
      ]),
    );
    expect(rowsOf(batch)).toEqual([{ i4: 1, i8: 1n, s: "ok" }]);
    expect(bad.map((b) => b.reason)).toEqual([
      'column "i4": integer out of range (-2147483648..2147483647), got number 2147483648',
      'column "i8": bigint out of range, got integer 18446744073709551615',
      'column "s": expected a string (varchar), got binary (1 bytes)',
      "payload is not a MessagePack map (got array)",
      expect.stringMatching(/^malformed MessagePack: Unexpected end/),
      expect.stringMatching(/^malformed MessagePack: .*end of buffer/),
    ]);
  });

  test("a float64 that float4 cannot hold is out of range for real (overflow, or nonzero rounding to zero)", async () => {
    const decoder = await msgpackDecoder({ f4: "real", f8: "double precision" });
    const { batch, bad } = decoder.decode(
      rawBatch([1e-50, 1e39, -1e-46, 3.4028235e38, 1e-45, 0.1].map((f4) => pack({ f4, f8: f4 }))),
    );
    expect(bad.map((b) => b.reason)).toEqual([
      'column "f4": out of range for type real, got number 1e-50',
      'column "f4": out of range for type real, got number 1e+39',
      'column "f4": out of range for type real, got number -1e-46',
    ]);
    expect(rowsOf(batch)).toEqual([
      { f4: Math.fround(3.4028235e38), f8: 3.4028235e38 },
      { f4: Math.fround(1e-45), f8: 1e-45 },
      { f4: Math.fround(0.1), f8: 0.1 },
    ]);
  });

  test("a float64 Infinity or NaN is a value here (unlike a JSON literal that overflows)", async () => {
    const decoder = await msgpackDecoder({ f8: "double precision", f4: "real" });
    const { batch, bad } = decoder.decode(
      rawBatch([pack({ f8: Number.POSITIVE_INFINITY, f4: Number.NEGATIVE_INFINITY }), pack({ f8: Number.NaN })]),
    );
    expect(bad).toEqual([]);
    expect(rowsOf(batch)).toEqual([
      { f8: Number.POSITIVE_INFINITY, f4: Number.NEGATIVE_INFINITY },
      { f8: Number.NaN, f4: null },
    ]);
  });
});

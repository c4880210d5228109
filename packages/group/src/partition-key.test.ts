import { plainCell, type SqlType } from "@jetflow/core";
import type { Data } from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { partitionOf } from "./partition.js";
import { keyToken, partitionOfRow, partitionsOfRows } from "./partition-key.js";
import { decodedChange } from "./testing/decoded-change.js";

const N = 16;
const t = (kind: string) => ({ kind }) as SqlType;

describe("partitionOfRow", () => {
  it.each<[unknown, string, string]>([
    [null, "integer", ""],
    [true, "boolean", "t"],
    [false, "boolean", "f"],
    [42, "integer", "42"],
    [-7, "smallint", "-7"],
    [9007199254740993n, "bigint", "9007199254740993"],
    [0.1, "double precision", "0.1"],
    [0.1, "real", "0.1"],
    [-0, "double precision", "0"],
    ["1.50", "numeric", "1.5"],
    ["123456789012345678901234.5600", "numeric", "123456789012345678901234.56"],
    ["eu-west", "varchar", "eu-west"],
    ['{"a":1}', "jsonb", '{"a":1}'],
    [new Uint8Array([10, 11]), "bytea", "\\x0a0b"],
    [19844, "date", "2024-05-01"],
    [45_296_000_000n, "time", "12:34:56"],
    [1714564800000000n, "timestamptz", "2024-05-01T12:00:00.000Z"],
    [1714564800000001n, "timestamp", "2024-05-01T12:00:00.000001Z"],
    [[1, 2, 3_600_000_000_000n], "interval", "1 mon 2 days 01:00:00"],
  ])("%s as %s is the token %j", (value, kind, token) => {
    expect(keyToken(plainCell(value, t(kind)), t(kind))).toBe(token);
    expect(partitionOfRow([value], [t(kind)], N)).toBe(partitionOf([token], N));
  });

  it("joins the tokens of several key columns as partitionOf does", () => {
    const types = [t("varchar"), t("integer"), t("boolean")];
    expect(partitionOfRow(["eu", 42, null], types, N)).toBe(partitionOf(["eu", "42", ""], N));
    const nested: SqlType = { kind: "list", element: { kind: "struct", fields: [{ name: "a", type: t("bigint") }] } };
    expect(partitionOfRow([[{ a: 5n }, { a: null }]], [nested], N)).toBe(partitionOf(['[{"a":5},{"a":null}]'], N));
  });

  it("puts equal SQL values in one partition, however they are held", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 64 }), (v, n) => {
        const p = partitionOfRow([v], [t("integer")], n);
        expect(partitionOfRow([BigInt(v)], [t("bigint")], n)).toBe(p);
        expect(partitionOfRow([v], [t("bigint")], n)).toBe(p);
        expect(partitionOfRow([v], [t("double precision")], n)).toBe(p);
        expect(partitionOfRow([String(v)], [t("numeric")], n)).toBe(p);
        expect(partitionOfRow([`${v}.000`], [t("numeric")], n)).toBe(p);
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        expect(partitionOfRow([v], [t("bigint")], N)).toBe(partitionOf([v.toString()], N));
      }),
    );
  });

  it("gives rows read from decoded Arrow columns the partition of their plain values", async () => {
    const columns = {
      i: "integer",
      b: "bigint",
      n: "numeric",
      s: "varchar",
      ts: "timestamptz",
      d: "date",
      ok: "boolean",
      f: "double precision",
      j: "jsonb",
    };
    const rows = Array.from({ length: 50 }, (_, k) => ({
      i: k % 7 === 0 ? null : k * 31,
      b: String(2n ** 60n + BigInt(k)),
      n: `${k}.${k % 3 === 0 ? "50" : "5"}`,
      s: `region-${k % 5}`,
      ts: new Date(1714564800000 + k * 1000).toISOString(),
      d: `2024-05-${String((k % 28) + 1).padStart(2, "0")}`,
      ok: k % 2 === 0,
      f: k % 4 === 0 ? null : k / 7,
      j: k % 6 === 0 ? null : { k },
    }));
    const { batch } = await decodedChange(columns, rows);
    const types = Object.values(columns).map((c) => t(c));
    const got = partitionsOfRows(batch.data.children as Data[], types, rows.length, N);
    rows.forEach((r, k) => {
      const days = Date.parse(r.d) / 86_400_000;
      const json = r.j === null ? null : JSON.stringify(r.j);
      const plain = [r.i, BigInt(r.b), r.n, r.s, BigInt(Date.parse(r.ts)) * 1000n, days, r.ok, r.f, json];
      expect(got[k], JSON.stringify(r)).toBe(partitionOfRow(plain, types, N));
    });
    // A slice of the batch (offset buffers) gives its rows' partitions too.
    const slice = batch.slice(13, 40);
    expect([...partitionsOfRows(slice.data.children as Data[], types, slice.numRows, N)]).toEqual([
      ...got.slice(13, 40),
    ]);
  });
});

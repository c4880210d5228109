import path from "node:path";
import { pathToFileURL } from "node:url";
import type { SqlType } from "@jetflow/core";
import { runNodeScript } from "@jetflow/test-harness";
import { type Data, makeVector } from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchOf, fromArrow, toArrow } from "./col.js";
import { concatChanges, concatData } from "./concat.js";
import { fromPlain, type Plain, plainValues } from "./plain.js";
import { RowSink } from "./row-sink.js";
import { colKeys, rowKeys } from "./row-key.js";
import { schemaFrom } from "../test-support.js";

const t = (kind: string) => ({ kind }) as SqlType;

/** A type with an arbitrary of its plain values (NULL included). */
const TYPES: [SqlType, fc.Arbitrary<Plain>][] = [
  [t("boolean"), fc.boolean()],
  [t("smallint"), fc.integer({ min: -32768, max: 32767 })],
  [t("integer"), fc.integer()],
  [t("bigint"), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
  [t("real"), fc.float({ noDefaultInfinity: true, noNaN: true }).map(Math.fround)],
  [t("double precision"), fc.double()],
  [t("numeric"), fc.bigInt().map((b) => `${b}.5`)],
  [t("varchar"), fc.string({ unit: "binary" })],
  [t("bytea"), fc.uint8Array({ maxLength: 10 })],
  [t("date"), fc.integer({ min: -100000, max: 100000 })],
  [t("timestamptz"), fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n })],
  [t("time"), fc.bigInt({ min: 0n, max: 86_399_999_999n })],
  [t("interval"), fc.tuple(fc.integer(), fc.integer(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }))],
  [t("jsonb"), fc.json()],
  [{ kind: "list", element: t("integer") }, fc.array(fc.option(fc.integer(), { nil: null }), { maxLength: 4 })],
  [
    {
      kind: "struct",
      fields: [
        { name: "a", type: t("varchar") },
        { name: "b", type: t("bigint") },
      ],
    },
    fc.record({
      a: fc.option(fc.string(), { nil: null }),
      b: fc.option(fc.bigInt({ min: -100n, max: 100n }), { nil: null }),
    }),
  ],
];

describe("columns", () => {
  it.each(TYPES.map(([type, arb]) => [JSON.stringify(type), type, arb] as const))(
    "%s round-trips plain -> Arrow -> plain, also from a slice with an offset",
    (_name, type, arb) => {
      fc.assert(
        fc.property(fc.array(fc.option(arb, { nil: null }), { maxLength: 40 }), fc.nat(), (values, cut) => {
          const data = toArrow(fromPlain(values, type));
          expect(plainValues(fromArrow(data, type))).toEqual(values);
          const from = values.length === 0 ? 0 : cut % values.length;
          const sliced = makeVector(data).slice(from).data[0] as Data;
          expect(plainValues(fromArrow(sliced, type))).toEqual(values.slice(from));
        }),
        { numRuns: 60 },
      );
    },
  );
});

describe("strings to Arrow", () => {
  it("keeps lone surrogates of neighbouring strings apart (each becomes U+FFFD)", () => {
    const type = t("varchar");
    const data = toArrow(fromPlain(["a\ud83d", "\ude00b", "é", "\ud83d\ude00"], type));
    expect(plainValues(fromArrow(data, type))).toEqual(["a\ufffd", "\ufffdb", "é", "\ud83d\ude00"]);
  });
});

describe("RowSink", () => {
  it.each(TYPES.map(([type, arb]) => [JSON.stringify(type), type, arb] as const))(
    "%s: rows pushed come out as they went in, ops too",
    (_name, type, arb) => {
      const schema = schemaFrom({ v: "integer" });
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.option(arb, { nil: null }), fc.constantFrom(1, -1)), { maxLength: 150 }),
          (rows) => {
            const sink = new RowSink(schema, [type], 1);
            for (const [v, op] of rows) sink.push([v], op);
            const out = sink.build();
            if (rows.length === 0) {
              expect(out).toBeUndefined();
              return;
            }
            expect(plainValues(fromArrow(out?.batch.data.children[0] as Data, type))).toEqual(rows.map(([v]) => v));
            const ops = rows.map(([, op]) => op);
            expect(out?.ops === undefined ? ops.map(() => 1) : [...out.ops]).toEqual(ops);
            if (ops.every((o) => o === 1)) expect(out?.ops).toBeUndefined();
          },
        ),
        { numRuns: 30 },
      );
    },
  );
});

describe("concatData", () => {
  it.each(TYPES.map(([type, arb]) => [JSON.stringify(type), type, arb] as const))(
    "%s joins parts, sliced or not",
    (_name, type, arb) => {
      fc.assert(
        fc.property(
          fc.array(fc.array(fc.option(arb, { nil: null }), { maxLength: 12 }), { minLength: 1, maxLength: 4 }),
          fc.nat(),
          (parts, cut) => {
            const datas = parts.map((values, k) => {
              const data = toArrow(fromPlain(values, type));
              // Every other part is a slice, so offsets and bit offsets are exercised.
              return k % 2 === 1 && values.length > 0
                ? (makeVector(data).slice(cut % values.length).data[0] as Data)
                : data;
            });
            const expected = parts.flatMap((values, k) =>
              k % 2 === 1 && values.length > 0 ? values.slice(cut % values.length) : values,
            );
            expect(plainValues(fromArrow(concatData(datas, type), type))).toEqual(expected);
          },
        ),
        { numRuns: 40 },
      );
    },
  );
});

describe("row keys", () => {
  const keyTypes = [t("bigint"), t("varchar"), t("double precision"), t("numeric"), t("bytea"), t("boolean")];
  const valueArb = fc.tuple(
    fc.option(fc.bigInt({ min: -3n, max: 3n }), { nil: null }),
    fc.option(fc.constantFrom("", "a", "a,", "1:", "~", "ab"), { nil: null }),
    fc.option(fc.constantFrom(0, -0, 1, 1.5, Number.NaN), { nil: null }),
    fc.option(fc.constantFrom("1", "1.0", "1.00", "-0", "0", "10", "0.1"), { nil: null }),
    fc.option(fc.constantFrom(new Uint8Array([]), new Uint8Array([0]), new Uint8Array([0, 0]), new Uint8Array([58])), {
      nil: null,
    }),
    fc.option(fc.boolean(), { nil: null }),
  );
  const sqlEqual = (a: Plain[], b: Plain[]): boolean =>
    a.every((x, i) => {
      const y = b[i];
      if (x === null || y === null) return x === y; // grouping treats NULLs as one value
      if (i === 2) return x === y || (Number.isNaN(x) && Number.isNaN(y));
      if (i === 3) return Number(x) === Number(y);
      if (i === 4) return Buffer.compare(x as Uint8Array, y as Uint8Array) === 0;
      return x === y;
    });

  it.each(TYPES.map(([type, arb]) => [JSON.stringify(type), type, arb] as const))(
    "%s: read from columns, the same as from plain values",
    (_name, type, arb) => {
      fc.assert(
        fc.property(fc.array(fc.option(arb, { nil: null }), { maxLength: 30 }), fc.boolean(), (values, normalize) => {
          const col = fromArrow(toArrow(fromPlain(values, type)), type);
          const numbers = fromArrow(
            toArrow(
              fromPlain(
                values.map((_v, i) => i),
                t("integer"),
              ),
            ),
            t("integer"),
          );
          expect(colKeys([col, numbers], values.length, normalize)).toEqual(
            rowKeys([values, values.map((_v, i) => i)], [type, t("integer")], values.length, normalize),
          );
        }),
        { numRuns: 40 },
      );
    },
  );

  it("are equal exactly when the values are equal (as SQL groups them)", () => {
    fc.assert(
      fc.property(valueArb, valueArb, (a, b) => {
        const columns = keyTypes.map((_t, c) => [a[c] as Plain, b[c] as Plain]);
        const [ka, kb] = rowKeys(columns, keyTypes, 2, true);
        expect(ka === kb).toBe(sqlEqual(a, b));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("text read from a column", () => {
  it("does not keep the column's whole text alive through a stored value (no V8 sliced strings)", async () => {
    // Each batch: one row under a key of its own, kept for good, and 999 rows overwriting the
    // same keys. A stored string that is a view into its batch's decoded text would keep all
    // 1 MB of that text alive: 40 MB after 40 batches, against ~1 MB of live rows.
    const dist = pathToFileURL(path.join(import.meta.dirname, "../../dist/")).href;
    const code = `
      import { upsert } from "${dist}upsert.js";
      import { changeFrom, schemaFrom } from "${dist}test-support.js";
      const schema = schemaFrom({ id: "integer", note: "varchar" });
      const t = upsert(schema, ["id"], { id: "t" });
      for (const s of t.stores) s.tracksChanges = false;
      const heapAfter = (batches, from) => {
        for (let b = from; b < from + batches; b++) {
          const rows = [{ id: 1_000_000 + b, note: "k".repeat(1000) + b }];
          for (let i = 0; i < 999; i++) rows.push({ id: i, note: "x".repeat(1000) + b + "." + i });
          t.process(changeFrom(schema, rows));
        }
        globalThis.gc();
        return process.memoryUsage().heapUsed;
      };
      const base = heapAfter(2, 0);
      console.log(JSON.stringify({ grownMiB: (heapAfter(40, 2) - base) / 2 ** 20, rows: t.size }));
    `;
    const r = await runNodeScript(code, { execArgv: ["--expose-gc"] });
    expect(r.code, r.stderr).toBe(0);
    const { grownMiB, rows } = JSON.parse(r.stdout) as { grownMiB: number; rows: number };
    expect(rows).toBe(999 + 42);
    expect(grownMiB).toBeLessThan(10);
  });
});

describe("short text interning", () => {
  it("decodes every value exactly, batch after batch, whatever shares a cache slot (property)", () => {
    // A tiny alphabet and short lengths: many equal values and many slot collisions.
    const text = fc.string({ unit: fc.constantFrom("a", "b", "-", "1"), maxLength: 14 });
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.option(text, { nil: null }), { maxLength: 30 }), { maxLength: 12 }),
        (batches) => {
          for (const values of batches) {
            const data = toArrow(fromPlain(values, t("varchar")));
            expect(plainValues(fromArrow(data, t("varchar")))).toEqual(values);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("concatChanges", () => {
  it("joins changes' rows and ops in order (a change without ops counts as inserts)", () => {
    const types = [t("integer"), t("varchar")];
    const schema = schemaFrom({ a: "integer", b: "varchar" });
    const change = (a: Plain[], b: Plain[], ops?: number[]) => ({
      batch: batchOf(schema, [toArrow(fromPlain(a, types[0]!)), toArrow(fromPlain(b, types[1]!))], a.length),
      ops: ops === undefined ? undefined : Int8Array.from(ops),
    });
    const out = concatChanges(
      [change([1, 2], ["x", null], [1, -1]), change([3], ["y"]), change([null], ["z"], [-1])],
      schema,
      types,
    );
    expect(plainValues(fromArrow(out.batch.data.children[0] as Data, types[0]!))).toEqual([1, 2, 3, null]);
    expect(plainValues(fromArrow(out.batch.data.children[1] as Data, types[1]!))).toEqual(["x", null, "y", "z"]);
    expect([...out.ops!]).toEqual([1, -1, 1, -1]);
    const inserts = concatChanges([change([1], ["x"]), change([2], ["y"])], schema, types);
    expect(inserts.ops).toBeUndefined();
  });
});

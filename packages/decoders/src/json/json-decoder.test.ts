import { parseSqlType } from "@jetflow/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createDecoder } from "../create-decoder.js";
import type { Decoder } from "../decoder.js";
import { rawBatch, rowsOf } from "../test-support.js";

async function jsonDecoder(columns: Record<string, string>, options: Record<string, string> = {}): Promise<Decoder> {
  return createDecoder({
    format: { format: "plain", encode: "json", options },
    columns: Object.entries(columns).map(([name, type]) => ({ name, type: parseSqlType(type, name) })),
    include: [],
  });
}

/** Decodes each value as `{"v": value}` (JSON text) and returns the column values, or the bad reason. */
async function decodeValues(type: string, texts: readonly string[], options: Record<string, string> = {}) {
  const decoder = await jsonDecoder({ v: type }, options);
  const { batch, bad } = decoder.decode(rawBatch(texts.map((t) => `{"v": ${t}}`)));
  const rows = rowsOf(batch);
  const out: unknown[] = [];
  let r = 0;
  for (let i = 0; i < texts.length; i++) {
    const b = bad.find((m) => m.index === i);
    out.push(b === undefined ? rows[r++]!.v : { bad: b.reason });
  }
  return out;
}

const bad = (fragment: string) => ({ bad: expect.stringContaining(fragment) });
const tsMicros = (iso: string) => BigInt(Date.parse(iso)) * 1000n;

describe("ENCODE JSON: every SQL type", () => {
  test("boolean is strict", async () => {
    expect(await decodeValues("boolean", ["true", "false", "1", '"true"', "null"])).toEqual([
      true,
      false,
      bad('column "v": expected a boolean, got number 1'),
      bad("expected a boolean"),
      null,
    ]);
  });

  test("smallint and integer check range and integrality", async () => {
    expect(
      await decodeValues("smallint", ["32767", "-32768", "32768", '"42"', "1.5", '"1.5"', "42.0", '" 4"']),
    ).toEqual([
      32767,
      -32768,
      bad("smallint out of range (-32768..32767), got number 32768"),
      42,
      bad("expected an integer (smallint), got number 1.5"),
      bad("expected an integer"),
      42,
      bad("expected an integer"),
    ]);
    expect(await decodeValues("int", ["2147483647", "-2147483648", "2147483648", '"+7"', "true"])).toEqual([
      2147483647,
      -2147483648,
      bad("integer out of range"),
      7,
      bad("expected an integer (integer), got boolean true"),
    ]);
  });

  test("bigint is exact over the whole int64 range", async () => {
    expect(
      await decodeValues("bigint", [
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "9007199254740993",
        '"9007199254740993"',
        "42",
        "1e18",
        "1.5",
        '"abc"',
      ]),
    ).toEqual([
      9223372036854775807n,
      -9223372036854775808n,
      bad("bigint out of range"),
      9007199254740993n,
      9007199254740993n,
      42n,
      bad("must be written as plain digits"),
      bad("expected an integer (bigint)"),
      bad('got string "abc"'),
    ]);
  });

  test("real and double precision", async () => {
    expect(await decodeValues("real", ["1.5", '"2.25"', '"NaN"', "1e39", '"-inf"', '"x"'])).toEqual([
      1.5,
      2.25,
      Number.NaN,
      bad("out of range for type real"),
      Number.NEGATIVE_INFINITY,
      bad("expected a number (real)"),
    ]);
    expect(await decodeValues("double precision", ["0.1", '"1e-3"', "3", "12345678901234567890", "[]"])).toEqual([
      0.1,
      0.001,
      3,
      Number("12345678901234567890"),
      bad("expected a number (double precision), got array"),
    ]);
  });

  test("a literal beyond a double's range is out of range, not Infinity (as in PostgreSQL); Infinity by name stays", async () => {
    expect(
      await decodeValues("double precision", ["1e400", "-1e400", '"1e400"', `1${"0".repeat(400)}`, '"Infinity"']),
    ).toEqual([
      bad('column "v": out of range for type double precision, got number 1e400'),
      bad('column "v": out of range for type double precision, got number -1e400'),
      bad('column "v": out of range for type double precision, got string "1e400"'),
      bad("out of range for type double precision"),
      Number.POSITIVE_INFINITY,
    ]);
    expect(await decodeValues("real", ["1e400", '"-inf"'])).toEqual([
      bad('column "v": out of range for type real, got number 1e400'),
      Number.NEGATIVE_INFINITY,
    ]);
    // numeric has room for it: the literal is kept exactly.
    expect(await decodeValues("numeric", ["1e400", '"1e400"'])).toEqual([`1${"0".repeat(400)}`, `1${"0".repeat(400)}`]);
  });

  test("a nonzero literal that rounds to zero is out of range too (PostgreSQL's float8in/float4in); zeros stay zero", async () => {
    const tiny = `0.${"0".repeat(400)}1`;
    const outOfRange = (literal: string, type: string) =>
      bad(`column "v": out of range for type ${type}, got number ${literal}`);
    for (const extra of ["", ', "o": [1]']) {
      // Without and with a nested value elsewhere: the flat reader and the general parser agree.
      const values = async (type: string, texts: readonly string[]) =>
        decodeValues(type, extra === "" ? texts : texts.map((t) => `${t}${extra}`));
      expect(
        await values("double precision", [
          "1e-400",
          "-2E-324",
          tiny,
          '"1e-400"',
          "5e-324",
          "0",
          "-0",
          "0e5",
          "0.000e-999",
        ]),
      ).toEqual([
        outOfRange("1e-400", "double precision"),
        outOfRange("-2E-324", "double precision"),
        outOfRange(`${tiny.slice(0, 40)}...`, "double precision"),
        bad('out of range for type double precision, got string "1e-400"'),
        5e-324,
        0,
        -0,
        0,
        0,
      ]);
      expect(
        await values("real", ["1e-50", '"1e-46"', "1e-400", "1e39", "1e-45", "3.4028235e38", "0.0e-50", "-0.0"]),
      ).toEqual([
        outOfRange("1e-50", "real"),
        bad('out of range for type real, got string "1e-46"'),
        outOfRange("1e-400", "real"),
        outOfRange("1e+39", "real"), // the double read: within a double's range, the literal is not kept
        Math.fround(1e-45),
        Math.fround(3.4028235e38),
        0,
        -0,
      ]);
      // numeric, varchar and jsonb keep such a literal as written instead of a silent 0 or Infinity.
      expect(await values("numeric", ["1e-400", "-1e400"])).toEqual([`0.${"0".repeat(399)}1`, `-1${"0".repeat(400)}`]);
      expect(await values("varchar", ["1e-400", "1E400"])).toEqual(["1e-400", "1E400"]);
      expect(await values("jsonb", ["[1e-400]"])).toEqual(["[1e-400]"]);
    }
  });

  test("property: a number literal reads as the nearest double (float4 for real), or is out of range by PostgreSQL's rule", async () => {
    const literal = fc
      .tuple(
        fc.constantFrom("", "-"),
        fc.stringMatching(/^(0|[1-9][0-9]{0,17})$/),
        fc.option(fc.stringMatching(/^[0-9]{1,20}$/)),
        fc.option(fc.tuple(fc.constantFrom("e", "E-", "e+", "e-"), fc.integer({ min: 0, max: 420 }))),
      )
      .map(
        ([sign, int, frac, exp]) =>
          `${sign}${int}${frac === null ? "" : `.${frac}`}${exp === null ? "" : exp.join("")}`,
      );
    await fc.assert(
      fc.asyncProperty(fc.array(literal, { minLength: 1, maxLength: 12 }), fc.boolean(), async (texts, nested) => {
        // A nested value elsewhere sends the payload to the general parser instead of the flat reader.
        const payloads = nested ? texts.map((t) => `${t}, "o": [1]`) : texts;
        for (const [type, round] of [
          ["double precision", (n: number) => n],
          ["real", Math.fround],
        ] as const) {
          const expected = texts.map((text) => {
            const d = Number(text);
            const n = round(d);
            const zero = !/[1-9]/.test(text.split(/[eE]/)[0]!);
            if (Number.isFinite(n) && (n !== 0 || zero)) return n;
            const reason = `column "v": out of range for type ${type}, got number `;
            // Beyond a double's range the literal is named as written; beyond float4's, as read
            // (the double, or the literal when it has 16+ digits).
            if (Number.isFinite(d) && (d !== 0 || zero)) return { bad: expect.stringMatching(`^${reason}`) };
            return { bad: `${reason}${text.length > 40 ? `${text.slice(0, 40)}...` : text}` };
          });
          expect(await decodeValues(type, payloads)).toEqual(expected);
        }
      }),
      { numRuns: 150 },
    );
  });

  test("numeric is lossless canonical text, with the scale a string writes (a JSON number has none)", async () => {
    expect(
      await decodeValues("numeric", [
        "12345678901234567890.123456789",
        '"12.50"',
        "12.50",
        "0.1",
        "1e3",
        '"-0"',
        '"NaN"',
        '"abc"',
        "true",
      ]),
    ).toEqual([
      "12345678901234567890.123456789",
      "12.50",
      "12.5",
      "0.1",
      "1000",
      "0",
      "NaN",
      bad("expected a decimal number"),
      bad("expected a decimal number (numeric)"),
    ]);
  });

  test("varchar takes strings and the text of primitive values", async () => {
    expect(
      await decodeValues("varchar", ['"héllo ✓ 😀"', "42", "1.5", "true", "12345678901234567890", "{}", "[1]", '""']),
    ).toEqual([
      "héllo ✓ 😀",
      "42",
      "1.5",
      "true",
      "12345678901234567890",
      bad("expected a string (varchar), got object"),
      bad("got array"),
      "",
    ]);
  });

  test("bytea takes PostgreSQL bytea text", async () => {
    expect(await decodeValues("bytea", ['"\\\\xdeadbeef"', '"abc"', '"\\\\xzz"', "5"])).toEqual([
      new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
      new Uint8Array([97, 98, 99]),
      bad("expected bytea text"),
      bad("expected binary or bytea text"),
    ]);
  });

  test("date, time", async () => {
    expect(await decodeValues("date", ['"2024-02-29"', "19782", '"2024-02-30"', "1.5"])).toEqual([
      19782,
      19782,
      bad("expected a date"),
      bad("expected a date"),
    ]);
    expect(await decodeValues("time", ['"12:34:56.789"', "1000", "-1", '"25:00"'])).toEqual([
      45_296_789_000n,
      1000n,
      bad("expected a time"),
      bad("expected a time"),
    ]);
  });

  test("timestamp keeps wall-clock time; timestamptz applies zones; epochs by magnitude", async () => {
    expect(await decodeValues("timestamp", ['"2024-01-01 12:00:00+05:00"', "1700000000", '"soon"'])).toEqual([
      tsMicros("2024-01-01T12:00:00Z"),
      1_700_000_000_000_000n,
      bad("expected a timestamp"),
    ]);
    expect(
      await decodeValues("timestamptz", [
        '"2024-01-01T12:00:00+05:00"',
        '"2024-01-01T07:00:00.000001Z"',
        "1700000000123",
        "1700000000123456789",
        "1700000000.5",
        "true",
      ]),
    ).toEqual([
      tsMicros("2024-01-01T07:00:00Z"),
      tsMicros("2024-01-01T07:00:00Z") + 1n,
      1_700_000_000_123_000n,
      1_700_000_000_123_456n,
      1_700_000_000_500_000n,
      bad("expected a timestamptz"),
    ]);
  });

  test("timestamptz.handling.mode fixes the unit of epoch numbers", async () => {
    expect(await decodeValues("timestamptz", ["1700000000"], { "timestamptz.handling.mode": "milli" })).toEqual([
      1_700_000_000_000n,
    ]);
    expect(await decodeValues("timestamptz", ["5"], { "timestamptz.handling.mode": "micro" })).toEqual([5n]);
    expect(
      await decodeValues("timestamptz", ["1700000000", '"2024-01-01Z"'], { "timestamptz.handling.mode": "utc_string" }),
    ).toEqual([bad("expected a timestamptz (ISO-8601 text)"), bad("expected a timestamptz")]);
  });

  test("interval", async () => {
    expect(await decodeValues("interval", ['"1 day 02:00:00"', '"P1M"', "5"])).toEqual([
      { months: 0, days: 1, nanos: 7_200_000_000_000n },
      { months: 1, days: 0, nanos: 0n },
      bad("expected an interval"),
    ]);
  });

  test("jsonb keeps the value as canonical JSON text", async () => {
    expect(
      await decodeValues("jsonb", [
        '{ "a" : [1, {"b": null}], "c": "x" }',
        '"x"',
        "12345678901234567890123",
        "null",
        "false",
      ]),
    ).toEqual(['{"a":[1,{"b":null}],"c":"x"}', '"x"', "12345678901234567890123", null, "false"]);
  });

  test("struct and list, nested", async () => {
    const type = "struct<id bigint, tags varchar[], points struct<x int, y int>[]>";
    expect(
      await decodeValues(type, [
        '{"id": 1, "tags": ["a", null], "points": [{"x": 1, "y": 2}, null, {"X": 3}]}',
        '{"ID": 9223372036854775807}',
        '"{\\"id\\": 5, \\"tags\\": []}"',
        "[1]",
        '{"id": 1, "points": [{"x": 1}, {"x": "nope"}]}',
      ]),
    ).toEqual([
      {
        id: 1n,
        tags: ["a", null],
        points: [{ x: 1, y: 2 }, null, { x: 3, y: null }],
      },
      { id: 9223372036854775807n, tags: null, points: null },
      { id: 5n, tags: [], points: null },
      bad('column "v": expected an object, got array'),
      bad('column "v.points[].x": expected an integer (integer), got string "nope"'),
    ]);
    expect(await decodeValues("int[][]", ["[[1, 2], [], null, [3]]", "[[1], 2]"])).toEqual([
      [[1, 2], [], null, [3]],
      bad('column "v[]": expected an array, got number 2'),
    ]);
  });
});

describe("ENCODE JSON: fields and nulls", () => {
  test("missing fields and null are NULL; extra fields are ignored", async () => {
    const decoder = await jsonDecoder({ a: "int", b: "varchar", c: "struct<x int>" });
    const { batch, bad } = decoder.decode(rawBatch(['{"a": null, "zzz": [1, 2, 3]}', "{}", '{"c": {}}']));
    expect(bad).toEqual([]);
    expect(rowsOf(batch)).toEqual([
      { a: null, b: null, c: null },
      { a: null, b: null, c: null },
      { a: null, b: null, c: { x: null } },
    ]);
  });

  test("names match exactly first, then ignoring ASCII case in field order", async () => {
    const decoder = await jsonDecoder({ userid: "int", name: "varchar", é: "int" });
    const { batch } = decoder.decode(
      rawBatch(['{"UserId": 1, "NAME": "first", "Name": "second"}', '{"USERID": 1, "userid": 2, "É": 3}']),
    );
    expect(rowsOf(batch)).toEqual([
      { userid: 1, name: "first", é: null },
      { userid: 2, name: null, é: null },
    ]);
  });

  test("names Object.prototype has are only read from the payload", async () => {
    const decoder = await jsonDecoder({ constructor: "varchar", toString: "varchar", __proto__: "int" });
    const { batch, bad } = decoder.decode(rawBatch(["{}", '{"constructor": "c", "TOSTRING": "t", "__proto__": 5}']));
    expect(bad).toEqual([]);
    expect(rowsOf(batch)).toEqual([
      { constructor: null, toString: null, __proto__: null },
      { constructor: "c", toString: "t", __proto__: 5 },
    ]);
  });
});

describe("ENCODE JSON: bad messages", () => {
  test("malformed payloads are bad messages with the parse error", async () => {
    const decoder = await jsonDecoder({ a: "int" });
    const { batch, bad } = decoder.decode(
      rawBatch([
        { payload: "{", sequence: 10, subject: "s.1" },
        { payload: "[1, 2]", sequence: 11 },
        { payload: "42", sequence: 12 },
        { payload: new Uint8Array([0x7b, 0xff, 0x7d]), sequence: 13 },
        { payload: "", sequence: 14 },
        { payload: '{"a": 1}', sequence: 15 },
      ]),
    );
    expect(rowsOf(batch)).toEqual([{ a: 1 }]);
    expect(bad.map((b) => [b.index, b.sequence, b.subject])).toEqual([
      [0, 10, "s.1"],
      [1, 11, "events"],
      [2, 12, "events"],
      [3, 13, "events"],
      [4, 14, "events"],
    ]);
    expect(bad[0]!.reason).toMatch(/^malformed JSON: /);
    expect(bad[1]!.reason).toBe("payload is not a JSON object (got array)");
    expect(bad[2]!.reason).toBe("payload is not a JSON object (got number 42)");
    expect(bad[3]!.reason).toMatch(/^malformed JSON: .*utf-8/i);
    expect(bad[0]!.payload).toEqual(new TextEncoder().encode("{"));
  });

  test("a bad message's payload is a copy, even of a Buffer view", async () => {
    const decoder = await jsonDecoder({ a: "int" });
    const memory = Buffer.from('{"a": "x"}{"a": 1}');
    const raw = rawBatch([memory.subarray(0, 10), memory.subarray(10)]);
    const { bad } = decoder.decode(raw);
    memory.fill(0);
    expect(new TextDecoder().decode(bad[0]!.payload)).toBe('{"a": "x"}');
  });

  test("a bad value mid-row rolls the whole row back and keeps every good row in order", async () => {
    const decoder = await jsonDecoder({ id: "int", name: "varchar", tags: "int[]", s: "struct<a int[], b varchar>" });
    const messages = [
      '{"id": 1, "name": "a", "tags": [1, 2], "s": {"a": [1], "b": "x"}}',
      '{"id": 2, "name": "b", "tags": [1, 2, "bad"], "s": {"a": [1], "b": "x"}}',
      '{"id": 3, "name": "c", "tags": [3], "s": {"a": [1, 2, "bad"], "b": "x"}}',
      '{"id": 4, "name": "d", "tags": [], "s": {"a": [], "b": {}}}',
      '{"id": 5, "name": "e", "tags": [5, 5], "s": {"a": [5], "b": "y"}}',
      '{"id": "six"}',
      '{"id": 7}',
    ];
    const { batch, bad } = decoder.decode(rawBatch(messages.map((payload, i) => ({ payload, sequence: 100 + i }))));
    expect(rowsOf(batch)).toEqual([
      { id: 1, name: "a", tags: [1, 2], s: { a: [1], b: "x" } },
      { id: 5, name: "e", tags: [5, 5], s: { a: [5], b: "y" } },
      { id: 7, name: null, tags: null, s: null },
    ]);
    expect(bad.map((b) => ({ sequence: b.sequence, reason: b.reason }))).toEqual([
      { sequence: 101, reason: 'column "tags[]": expected an integer (integer), got string "bad"' },
      { sequence: 102, reason: 'column "s.a[]": expected an integer (integer), got string "bad"' },
      { sequence: 103, reason: 'column "s.b": expected a string (varchar), got object' },
      { sequence: 105, reason: 'column "id": expected an integer (integer), got string "six"' },
    ]);
  });

  test("a decoder is reusable: each batch starts clean", async () => {
    const decoder = await jsonDecoder({ id: "bigint", tags: "varchar[]" });
    const first = decoder.decode(rawBatch(['{"id": 1, "tags": ["a"]}', '{"id": 2, "tags": [{}]}']));
    const second = decoder.decode(rawBatch(['{"id": 3, "tags": ["b", "c"]}']));
    const empty = decoder.decode(rawBatch([]));
    expect(rowsOf(first.batch)).toEqual([{ id: 1n, tags: ["a"] }]);
    expect(rowsOf(second.batch)).toEqual([{ id: 3n, tags: ["b", "c"] }]);
    expect(empty.batch.numRows).toBe(0);
    expect(empty.batch.schema.fields.map((f) => f.name)).toEqual(["id", "tags"]);
    // Buffers resize between batches of very different sizes.
    const many = (n: number) => Array.from({ length: n }, (_, i) => `{"id": ${i}, "tags": ["${i}", null]}`);
    for (const n of [3000, 2, 4000]) {
      const { batch } = decoder.decode(rawBatch(many(n)));
      expect(rowsOf(batch)).toEqual(Array.from({ length: n }, (_, i) => ({ id: BigInt(i), tags: [String(i), null] })));
    }
  });

  test("large batches grow nested columns past their initial capacity", async () => {
    const decoder = await jsonDecoder({ id: "int", tags: "varchar[]", s: "struct<n int>" });
    const n = 5000;
    const messages = Array.from({ length: n }, (_, i) =>
      i % 7 === 3 ? `{"id": ${i}, "tags": [1, {}]}` : `{"id": ${i}, "tags": ["t${i}", "é${i}"], "s": {"n": ${i}}}`,
    );
    const { batch, bad } = decoder.decode(rawBatch(messages));
    expect(bad.length).toBe(Math.floor((n - 4) / 7) + 1);
    const rows = rowsOf(batch);
    expect(rows.length).toBe(n - bad.length);
    rows.forEach((row) => {
      const i = row.id as number;
      expect(row).toEqual({ id: i, tags: [`t${i}`, `é${i}`], s: { n: i } });
    });
  });
});

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { FlatColumns } from "../flat-columns.js";
import { FlatRow } from "../row-writer.js";
import { columnsOf, damaged, FLAT_EVENT_COLUMNS, flatValues, payloadDecoder, sameDecoding } from "../test-support.js";
import { FlatJsonReader } from "./flat-json.js";
import { jsonParts } from "./json-decoder.js";
import { PreciseJsonParser } from "./precise-json.js";

const columns = columnsOf({
  ...FLAT_EVENT_COLUMNS,
  at: "timestamptz",
  r: "real",
});
const bytes = (s: string) => new TextEncoder().encode(s);

describe("FlatJsonReader", () => {
  const reader = new FlatJsonReader(columns);

  test("reads a flat object into column values; text for varchar stays bytes", () => {
    const payload = bytes(
      ' {"name": "héllo", "id": 42, "score": -1.5e-3, "flag": true, "doc": null, "other": [1, {"x": 2}]} ',
    );
    // A nested value under an unknown key still needs the general parser (it must be valid JSON).
    expect(reader.read(payload)).toBeUndefined();
    const row = reader.read(
      bytes('{"name": "héllo", "id": 42, "score": -1.5e-3, "flag": true, "doc": null, "x": "y"}'),
    );
    expect(row).toBeInstanceOf(FlatRow);
    const values = flatValues(row as FlatRow);
    expect(values.slice(0, 7)).toEqual([42, { utf8: "héllo" }, -0.0015, undefined, true, undefined, null]);
    const text = new TextDecoder().decode((row as FlatRow).source.subarray(row?.starts[1], row?.ends[1]));
    expect(text).toBe("héllo");
  });

  test("leaves to the general parser what it does not read exactly", () => {
    for (const text of [
      '{"name": "a\\"b"}', // escape in a string
      '{"n\\u0061me": "a"}', // escape in a key
      '{"NAME": "a"}', // a key equal to a column but for case
      '{"id": 12345678901234567890}', // a long literal outside a double column
      `{"score": 1${"0".repeat(400)}}`, // a long literal that overflows a double
      '{"doc": {"a": 1}}', // nested
      '{"name": "\u0001"}', // a control character
      '{"id": 01}', // malformed number
      '{"id": 1.}',
      '{"id": -}',
      '{"id": 1} x', // trailing text
      '{"id": 1,}',
      "[1]",
      '"text"',
      "\uFEFF{}", // a BOM (TextDecoder strips it, JSON.parse never sees it)
    ]) {
      expect(reader.read(bytes(text)), text).toBeUndefined();
    }
    expect(reader.read(new Uint8Array([0x7b, 0x22, 0x78, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]))).toBeUndefined();
  });

  test("a repeated key keeps its last value, as with JSON.parse", () => {
    expect(reader.read(bytes('{"id": 1, "name": "a", "id": 2, "name": "bc"}'))?.valueAt(0)).toBe(2);
  });

  test("does not apply to nested columns or names that differ only in case", () => {
    expect(FlatColumns.fits(columns)).toBe(true);
    expect(FlatColumns.fits(columnsOf({ a: "int", s: "struct<x int>" }))).toBe(false);
    expect(FlatColumns.fits(columnsOf({ a: "int", l: "int[]" }))).toBe(false);
    expect(FlatColumns.fits([...columnsOf({ a: "int" }), ...columnsOf({ A: "int" })])).toBe(false);
  });

  test("numbers read as JSON.parse reads them, to the last bit", () => {
    const one = new FlatJsonReader(columnsOf({ v: "double precision" }));
    const literal = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
      fc
        .tuple(
          fc.boolean(),
          fc.stringMatching(/^(0|[1-9][0-9]{0,20})$/),
          fc.option(fc.stringMatching(/^[0-9]{1,20}$/)),
          fc.option(fc.tuple(fc.constantFrom("e", "E", "e+", "e-", "E-"), fc.integer({ min: 0, max: 400 }))),
        )
        .map(
          ([neg, int, frac, exp]) =>
            `${neg ? "-" : ""}${int}${frac === null ? "" : `.${frac}`}${exp === null ? "" : `${exp[0]}${exp[1]}`}`,
        ),
    );
    fc.assert(
      fc.property(literal, (text) => {
        const expected = JSON.parse(text) as number;
        const row = one.read(bytes(`{"v": ${text}}`));
        // Beyond a double's range (overflowing, or a nonzero literal rounding to zero): the
        // general parser keeps the literal for the column to refuse by name.
        const nonzero = /[1-9]/.test(text.split(/[eE]/)[0]!);
        const outOfRange = !Number.isFinite(expected) || (expected === 0 && nonzero);
        expect(row === undefined).toBe(outOfRange);
        if (row !== undefined) expect(Object.is(row.valueAt(0), expected)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("ENCODE JSON fast path", () => {
  const fastDecoder = () => {
    const { parser, rows } = jsonParts(columns, "milli");
    return payloadDecoder(columns, "JSON", parser, rows);
  };
  const generalDecoder = () =>
    payloadDecoder(columns, "JSON", new PreciseJsonParser(columns), jsonParts(columns, "milli").rows);

  // Every column name, and keys that are none or match one only ignoring case.
  const key = fc.constantFrom(...columns.map((c) => c.name), "other", "ID", "Name", "");
  const value = fc.oneof(
    fc.constantFrom("true", "false", "null", "0", "-0", "1", "-7", "2147483648", "1.5", "1e3", "1E-7", "1e400", "-0.0"),
    fc.constantFrom("9007199254740993", "12345678901234567890.5", "1763714818123.521", "0.10000000000000000001"),
    fc.constantFrom(`1${"0".repeat(400)}`, "-12345678901234567e300", "1234567890123456789e-400"),
    fc.double().map((d) => (Number.isFinite(d) ? JSON.stringify(d) : "1e999")),
    fc.integer().map(String),
    fc.string().map((s) => JSON.stringify(s)),
    fc.constantFrom('"12.50"', '"2024-01-02T03:04:05Z"', '"NaN"', '"é✓😀"', '"a\\nb"', '"\\u00e9"', '"1e400"'),
    fc.constantFrom("[]", "[1, 2]", '{"a": 1}', "{}"),
  );
  const space = fc.constantFrom("", " ", "\n\t ", "\r\n");
  const object = fc
    .tuple(fc.array(fc.tuple(key, value, space), { maxLength: 8 }), space)
    .map(([members, ws]) => `${ws}{${members.map(([k, v, s]) => `${s}"${k}"${s}:${s}${v}${s}`).join(",")}}${ws}`);
  const payload = fc.oneof(
    { weight: 8, arbitrary: object.map(bytes) },
    // Damaged: a byte changed, inserted or removed (malformed JSON, invalid UTF-8, ...).
    { weight: 2, arbitrary: damaged(object.map(bytes)) },
    { weight: 1, arbitrary: fc.constantFrom("[1]", '"x"', "", "{", "\uFEFF{}", "null").map(bytes) },
  );

  test("property: the same rows and bad messages as JSON.parse with long-number protection", () => {
    fc.assert(sameDecoding(fastDecoder, generalDecoder, payload), { numRuns: 1500 });
  });
});

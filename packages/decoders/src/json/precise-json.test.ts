import { type ColumnDef, parseSqlType, sqlField } from "@jetflow/core";
import { Schema } from "apache-arrow";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { BatchDecoder } from "../batch-decoder.js";
import { IncludeColumns } from "../include-columns.js";
import { RecordRowWriter } from "../row-writer.js";
import { rawBatch, rowsOf } from "../test-support.js";
import { jsonTextOfParsed } from "../values/jsonb.js";
import { LongNumber } from "../values/wide-numbers.js";
import {
  countLongDigitRuns,
  hasLongDigitRun,
  needsSixteenDigits,
  PreciseJsonParser,
  protectLongNumbers,
} from "./precise-json.js";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("hasLongDigitRun", () => {
  test("finds any run of 16 digits or dots, wherever it starts", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        (noise, at, runLength) => {
          const clean = noise.replace(/[0-9.]/g, "x");
          const cut = Math.min(at, clean.length);
          const text = `${clean.slice(0, cut)}${"7".repeat(runLength)}${clean.slice(cut)}`;
          expect(hasLongDigitRun(bytes(text))).toBe(runLength >= 16);
        },
      ),
    );
  });
});

describe("countLongDigitRuns", () => {
  test("counts every maximal run of digits and dots that holds 16+ digits", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom("7", ".", "0", "x", '"', "-", "e")), { maxLength: 120 }),
        (chars) => {
          const text = chars.join("");
          const runs = (text.match(/[0-9.]+/g) ?? []).filter((r) => r.replaceAll(".", "").length >= 16);
          expect(countLongDigitRuns(bytes(text))).toBe(runs.length);
        },
      ),
    );
    expect(countLongDigitRuns(bytes(`${"1".repeat(40)}x${"2".repeat(16)}x${"3".repeat(15)}`))).toBe(2);
    expect(countLongDigitRuns(bytes('{"ts": 1763714818123.52}'))).toBe(0);
  });
});

describe("needsSixteenDigits", () => {
  /** Significant digits of the shortest text of a double, the slow way. */
  const significant = (n: number) => {
    const mantissa = String(Math.abs(n)).split("e")[0]!.replace(".", "");
    return mantissa.replace(/^0+/, "").replace(/0+$/, "").length;
  };

  test("is true exactly when the shortest text has 16+ significant digits", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double(),
          fc.integer(),
          fc.maxSafeInteger(),
          fc
            .tuple(fc.integer({ min: 1, max: 17 }), fc.double({ min: 1e-12, max: 1e30 }))
            .map(([p, d]) => Number(d.toPrecision(p))),
        ),
        (n) => {
          expect(needsSixteenDigits(n)).toBe(Number.isFinite(n) && significant(n) >= 16);
        },
      ),
    );
    expect(needsSixteenDigits(1763714818123.521)).toBe(true);
    expect(needsSixteenDigits(1152921504606847000)).toBe(true);
    expect(needsSixteenDigits(1e21)).toBe(false);
    expect(needsSixteenDigits(0.1)).toBe(false);
    expect(needsSixteenDigits(123456789012345)).toBe(false);
    // Next to powers of ten, where log10 rounds; and tiny and huge exponents.
    for (let e = -30; e <= 40; e++) {
      for (const n of [
        10 ** e,
        10 ** e * (1 - Number.EPSILON),
        10 ** e * (1 + Number.EPSILON),
        9.99999999999999 * 10 ** e,
      ]) {
        expect(needsSixteenDigits(n)).toBe(significant(n) >= 16);
        expect(needsSixteenDigits(-n)).toBe(significant(n) >= 16);
      }
    }
  });
});

describe("protectLongNumbers", () => {
  test("leaves text without long literals alone", () => {
    expect(protectLongNumbers('{"a": 1234567890123456, "b": "12345678901234567890"}')).toBeUndefined();
  });

  test("wraps only long number literals outside strings", () => {
    const out = protectLongNumbers(
      '{"s": "9007199254740993", "n": 9007199254740993, "x": "\\"1", "f": 0.12345678901234567}',
    );
    expect(out).toBeDefined();
    const parsed = JSON.parse(out!);
    expect(parsed.s).toBe("9007199254740993");
    expect(parsed.n).toMatch(/9007199254740993$/);
    expect(parsed.x).toBe('"1');
    expect(parsed.f).toMatch(/0\.12345678901234567$/);
  });

  test("wraps literals beyond a double's range: overflowing, or not zero yet reading as 0", () => {
    const out = protectLongNumbers('{"a": 1e-400, "b": [-2E+400], "c": 1e-300, "d": 0.0e-999, "e": 5e-324}');
    expect(JSON.parse(out!)).toMatchObject({ c: 1e-300, d: 0, e: 5e-324 });
    expect(JSON.parse(out!).a).toMatch(/1e-400$/);
    expect(JSON.parse(out!).b[0]).toMatch(/-2E\+400$/);
  });

  test("does not turn invalid number tokens into valid JSON", () => {
    expect(protectLongNumbers("[1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6]")).toBeUndefined();
  });
});

describe("PreciseJsonParser", () => {
  const parser = new PreciseJsonParser();

  test("keeps a literal beyond a double's range as written, not as 0 or Infinity", () => {
    const columns = [{ name: "v", type: parseSqlType("double precision") }];
    const value = new PreciseJsonParser(columns).parse(bytes('{"v": 1e-400, "w": {"x": 1E999}, "z": 0e-999}'));
    expect(value).toEqual({ v: new LongNumber("1e-400"), w: { x: new LongNumber("1E999") }, z: 0 });
  });

  test("keeps every digit of long literals, and only of those", () => {
    const value = parser.parse(
      bytes('{"big": 12345678901234567890, "neg": -9223372036854775808, "small": 42, "safe16": 1234567890123456}'),
    ) as Record<string, unknown>;
    expect(value.big).toEqual(new LongNumber("12345678901234567890"));
    expect(value.neg).toEqual(new LongNumber("-9223372036854775808"));
    expect(value.small).toBe(42);
    expect(value.safe16).toBe(1234567890123456);
  });

  test("refuses invalid UTF-8 and invalid JSON", () => {
    expect(() => parser.parse(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow();
    expect(() => parser.parse(bytes("{"))).toThrow();
  });
});

describe("PreciseJsonParser with columns: the plain parse when long literals only fill double columns", () => {
  const columns: ColumnDef[] = [
    ["id", "bigint"],
    ["ts", "double precision"],
    ["Ts2", "double precision"],
    ["ts2", "bigint"],
    ["amount", "numeric"],
    ["name", "varchar"],
    ["doc", "jsonb"],
    ["n", "integer"],
  ].map(([name, type]) => ({ name: name!, type: parseSqlType(type!, name!) }));
  const fast = new PreciseJsonParser(columns);

  test("a long double literal in a double column: no LongNumber, the same double", () => {
    const value = fast.parse(bytes('{"id": 7, "ts": 1763714818123.521, "name": "a"}')) as Record<string, unknown>;
    expect(value.ts).toBe(1763714818123.521);
    expect(value.id).toBe(7);
  });

  test("long literals elsewhere stay exact", () => {
    const value = fast.parse(
      bytes('{"id": 12345678901234567890, "ts": 1763714818123.521, "amount": 0.10000000000000000001}'),
    ) as Record<string, unknown>;
    expect(value.id).toEqual(new LongNumber("12345678901234567890"));
    expect(value.amount).toEqual(new LongNumber("0.10000000000000000001"));
    // Once the precise parse runs, every long literal is kept (the double column converts it).
    expect(value.ts).toEqual(new LongNumber("1763714818123.521"));
  });

  test("a long literal that reads as a short double is not mistaken for a double column's", () => {
    // `ts` holds 1.5 (short), so the run of 1.00000000000000001 must be someone else's.
    const value = fast.parse(bytes('{"ts": 1.5, "n": 1.00000000000000001}')) as Record<string, unknown>;
    expect(value.n).toEqual(new LongNumber("1.00000000000000001"));
  });

  test("a column sharing a double column's name but for case makes that double column not count", () => {
    const value = fast.parse(bytes('{"TS2": 1763714818123.521}')) as Record<string, unknown>;
    expect(value.TS2).toEqual(new LongNumber("1763714818123.521"));
  });

  test("a duplicate key's earlier literal is not hidden behind the later one", () => {
    const value = fast.parse(bytes('{"ts": 1763714818123.521, "doc": 12345678901234567890, "ts": 1763714818123.522}'));
    expect((value as Record<string, unknown>).doc).toEqual(new LongNumber("12345678901234567890"));
  });

  // Decodes each payload with the fast parser and with the always-precise one: same rows, same bad reasons.
  const schema = new Schema(columns.map((c) => sqlField(c.name, c.type)));
  const decoderOf = (parser: PreciseJsonParser) =>
    new BatchDecoder(
      schema,
      "JSON",
      parser,
      RecordRowWriter.forColumns(
        columns,
        { timestamptzNumbers: "reject", jsonText: jsonTextOfParsed },
        "a JSON object",
      ),
      new IncludeColumns([]),
    );
  const longDigits = fc.stringMatching(/^[1-9][0-9]{15,21}$/);
  const literal = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
    fc.integer().map(String),
    longDigits,
    fc.tuple(longDigits, fc.stringMatching(/^[0-9]{1,6}$/)).map(([a, b]) => `${a}.${b}`),
    fc.tuple(fc.stringMatching(/^[0-9]{1,3}$/), fc.stringMatching(/^[0-9]{14,20}$/)).map(([a, b]) => `-${a}.${b}`),
    fc.stringMatching(/^[0-9]{16,20}$/).map((d) => JSON.stringify(d)),
    fc.constant('"x"'),
    fc.constant("null"),
    fc.tuple(longDigits, fc.integer({ min: -30, max: 30 })).map(([a, e]) => `${a}e${e}`),
  );
  const keys = fc.constantFrom("id", "ts", "Ts2", "ts2", "TS2", "amount", "name", "doc", "n", "other", "TS");

  test("property: decoded rows and bad reasons equal the always-precise parse", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(keys, literal), { maxLength: 8 }), { minLength: 1, maxLength: 6 }),
        (messages) => {
          const payloads = messages.map((fields) => `{${fields.map(([k, v]) => `"${k}": ${v}`).join(", ")}}`);
          const a = decoderOf(new PreciseJsonParser(columns)).decode(rawBatch(payloads));
          const b = decoderOf(new PreciseJsonParser()).decode(rawBatch(payloads));
          expect(a.bad).toEqual(b.bad);
          expect(rowsOf(a.batch)).toEqual(rowsOf(b.batch));
        },
      ),
      { numRuns: 300 },
    );
  });
});

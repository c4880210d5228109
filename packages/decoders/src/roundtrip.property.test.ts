import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ColumnDef, ScalarKind, SqlType } from "@jetflow/core";
import fc from "fast-check";
import { Packr } from "msgpackr";
import protobuf from "protobufjs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDecoder } from "./create-decoder.js";
import { rawBatch, rowsOf } from "./test-support.js";

/**
 * Property: for a random schema and random rows, encoding the rows (JSON text, msgpackr,
 * protobufjs) and decoding them gives back exactly the same values. Values are generated in
 * the form the decoded batch is read back in (see test-support's `valueAt`).
 */

type Encoding = "json" | "msgpack" | "protobuf";

// ---- canonical values and their text forms ----

const MIN_US = -62135596800000000n; // 0001-01-01
const MAX_US = 253402300799999999n; // 9999-12-31 23:59:59.999999
const MIN_DAY = -719162;
const MAX_DAY = 2932896;

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");
const dateText = (days: number) => {
  const [y, m, d] = civilFromDays(days);
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
};
const timeText = (us: number) =>
  `${pad(Math.floor(us / 3_600_000_000))}:${pad(Math.floor(us / 60_000_000) % 60)}:${pad(Math.floor(us / 1_000_000) % 60)}.${pad(us % 1_000_000, 6)}`;
function timestampText(us: bigint, zone: boolean): string {
  const dayUs = 86_400_000_000n;
  const days = us >= 0n ? us / dayUs : -((-us + dayUs - 1n) / dayUs);
  const rest = Number(us - days * dayUs);
  return `${dateText(Number(days))}${zone ? "T" : " "}${timeText(rest)}${zone ? "Z" : ""}`;
}
const intervalText = (v: Interval) => `P${v.months}M${v.days}DT${Number(v.nanos / 1000n) / 1_000_000}S`;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

interface Interval {
  months: number;
  days: number;
  nanos: bigint;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const key = fc.string({ maxLength: 6 }).filter((k) => k !== "__proto__");
/** JSON values whose numbers print the same from a double and from an exact integer. */
const jsonArb: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d) && !Object.is(d, -0)),
    fc.string({ unit: "grapheme", maxLength: 8 }),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(key, tie("value"), { maxKeys: 3 }),
  ),
})).value;

const decimalArb = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 0n, max: 10n ** 12n }))
  .map(([negative, whole, fraction]) => {
    const frac = fraction === 0n ? "" : fraction.toString().replace(/0+$/, "");
    const text = frac === "" ? whole.toString() : `${whole}.${frac}`;
    return negative && text !== "0" ? `-${text}` : text;
  });

const noNegativeZero = (n: number) => (Object.is(n, -0) ? 0 : n);

/** The canonical value arbitrary of a scalar type (as decoded), for an encoding. */
function scalarArb(kind: ScalarKind, encoding: Encoding): fc.Arbitrary<unknown> {
  switch (kind) {
    case "boolean":
      return fc.boolean();
    case "smallint":
      return fc.integer({ min: -32768, max: 32767 });
    case "integer":
      return fc.integer({ min: -2147483648, max: 2147483647 });
    case "bigint":
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case "real":
      return fc.float({ noNaN: true, noDefaultInfinity: true }).map(noNegativeZero);
    case "double precision":
      return fc.double({ noNaN: true, noDefaultInfinity: true }).map(noNegativeZero);
    case "numeric":
      return decimalArb;
    case "varchar":
      return fc.string({ unit: "grapheme", maxLength: 12 });
    case "bytea":
      return fc.uint8Array({ maxLength: 12 });
    case "date":
      return fc.integer({ min: MIN_DAY, max: MAX_DAY });
    case "time":
      return fc.bigInt({ min: 0n, max: 86_399_999_999n });
    case "timestamp":
    case "timestamptz":
      return fc.bigInt({ min: MIN_US, max: MAX_US });
    case "interval":
      return fc
        .record({
          months: fc.integer({ min: -1000, max: 1000 }),
          days: fc.integer({ min: -10000, max: 10000 }),
          micros: fc.integer({ min: -1e12, max: 1e12 }),
        })
        .map(({ months, days, micros }) => ({ months, days, nanos: BigInt(micros) * 1000n }));
    case "jsonb":
      // Protobuf carries jsonb as map<string, string>: its JSON text is an object of strings.
      return (encoding === "protobuf" ? fc.dictionary(key, fc.string({ maxLength: 6 }), { maxKeys: 3 }) : jsonArb).map(
        (v) => (v === null ? null : JSON.stringify(v)),
      );
  }
}

// ---- random schemas ----

const SCALARS = [
  "boolean",
  "smallint",
  "integer",
  "bigint",
  "real",
  "double precision",
  "numeric",
  "varchar",
  "bytea",
  "date",
  "time",
  "timestamp",
  "timestamptz",
  "interval",
  "jsonb",
] as const satisfies readonly ScalarKind[];

const fieldName = fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/);
const nameArbs = new Map<number, fc.Arbitrary<string[]>>();
/** `count` distinct field names (arbitraries are built once: building them per run is slow). */
function names(count: number): fc.Arbitrary<string[]> {
  let arb = nameArbs.get(count);
  if (arb === undefined) {
    arb = fc.uniqueArray(fieldName, { minLength: count, maxLength: count }).map((ns) => ns.map((n) => `f_${n}`));
    nameArbs.set(count, arb);
  }
  return arb;
}

const typeArbs = new Map<string, fc.Arbitrary<SqlType>>();
function typeArb(encoding: Encoding, depth: number, inList = false): fc.Arbitrary<SqlType> {
  const cacheKey = `${encoding}/${depth}/${inList}`;
  let arb = typeArbs.get(cacheKey);
  if (arb === undefined) {
    arb = makeTypeArb(encoding, depth, inList);
    typeArbs.set(cacheKey, arb);
  }
  return arb;
}

function makeTypeArb(encoding: Encoding, depth: number, inList: boolean): fc.Arbitrary<SqlType> {
  const scalar = fc
    .constantFrom(...SCALARS.filter((k) => !(encoding === "protobuf" && inList && k === "jsonb")))
    .map((kind): SqlType => ({ kind }));
  if (depth === 0) return scalar;
  const struct = fc
    .integer({ min: 1, max: 3 })
    .chain((n) => fc.tuple(names(n), fc.array(typeArb(encoding, depth - 1), { minLength: n, maxLength: n })))
    .map(([ns, types]): SqlType => ({ kind: "struct", fields: ns.map((name, i) => ({ name, type: types[i]! })) }));
  // Protobuf has no list of lists (repeated fields cannot nest).
  const list = typeArb(encoding, depth - 1, true)
    .filter((t) => !(encoding === "protobuf" && t.kind === "list"))
    .map((element): SqlType => ({ kind: "list", element }));
  if (encoding === "protobuf" && inList) return fc.oneof({ weight: 3, arbitrary: scalar }, struct);
  return fc.oneof({ weight: 3, arbitrary: scalar }, struct, list);
}

/** A canonical value of `type`; NULL where the encoding can express it. */
function valueArb(type: SqlType, encoding: Encoding, inList = false): fc.Arbitrary<unknown> {
  let arb: fc.Arbitrary<unknown>;
  if (type.kind === "struct") {
    arb = fc
      .tuple(...type.fields.map((f) => valueArb(f.type, encoding)))
      .map((values) => Object.fromEntries(type.fields.map((f, i) => [f.name, values[i]])));
  } else if (type.kind === "list") {
    arb = fc.array(valueArb(type.element, encoding, true), { maxLength: 4 });
  } else {
    arb = scalarArb(type.kind, encoding);
  }
  // Protobuf: repeated fields are never NULL and hold no NULL elements; a map (jsonb) is never NULL.
  const nullable = !(encoding === "protobuf" && (inList || type.kind === "list" || type.kind === "jsonb"));
  return nullable ? fc.option(arb, { nil: null, freq: 5 }) : arb;
}

const schemaArb = (encoding: Encoding) =>
  fc
    .integer({ min: 1, max: 5 })
    .chain((n) => fc.tuple(names(n), fc.array(typeArb(encoding, 2), { minLength: n, maxLength: n })))
    .map(([ns, types]): ColumnDef[] => ns.map((name, i) => ({ name, type: types[i]! })));

const caseArb = (encoding: Encoding) =>
  schemaArb(encoding).chain((columns) =>
    fc.tuple(
      fc.constant(columns),
      fc.array(fc.tuple(...columns.map((c) => valueArb(c.type, encoding))), { minLength: 1, maxLength: 8 }),
    ),
  );

// ---- encoders ----

function jsonText(value: unknown, type: SqlType): string {
  if (value === null) return "null";
  switch (type.kind) {
    case "struct": {
      const v = value as Record<string, unknown>;
      return `{${type.fields.map((f) => `${JSON.stringify(f.name)}: ${jsonText(v[f.name], f.type)}`).join(", ")}}`;
    }
    case "list":
      return `[${(value as unknown[]).map((e) => jsonText(e, type.element)).join(",")}]`;
    case "bigint":
    case "numeric":
      return String(value); // a bare literal: must come back digit for digit
    case "time":
      return JSON.stringify(timeText(Number(value)));
    case "timestamp":
    case "timestamptz":
      return JSON.stringify(timestampText(value as bigint, type.kind === "timestamptz"));
    default:
      return JSON.stringify(plainValue(value, type.kind));
  }
}

/** The MessagePack (and JSON scalar) form of a canonical value. */
function plainValue(value: unknown, kind: ScalarKind | "struct" | "list"): unknown {
  if (value === null) return null;
  switch (kind) {
    case "bytea":
      return `\\x${hex(value as Uint8Array)}`;
    case "date":
      return dateText(value as number);
    case "time":
      return timeText(Number(value));
    case "timestamp":
    case "timestamptz":
      return timestampText(value as bigint, kind === "timestamptz");
    case "interval":
      return intervalText(value as Interval);
    case "jsonb":
      return JSON.parse(value as string);
    default:
      return value;
  }
}

function msgpackValue(value: unknown, type: SqlType): unknown {
  if (value === null) return null;
  if (type.kind === "struct") {
    const v = value as Record<string, unknown>;
    return Object.fromEntries(type.fields.map((f) => [f.name, msgpackValue(v[f.name], f.type)]));
  }
  if (type.kind === "list") return (value as unknown[]).map((e) => msgpackValue(e, type.element));
  if (type.kind === "bytea") return value; // bin
  return plainValue(value, type.kind);
}

const PROTO_SCALARS: Readonly<Record<ScalarKind, string>> = {
  boolean: "bool",
  smallint: "int32",
  integer: "int32",
  bigint: "int64",
  real: "float",
  "double precision": "double",
  numeric: "string",
  varchar: "string",
  bytea: "bytes",
  date: "int32",
  time: "int64",
  timestamp: "google.protobuf.Timestamp",
  timestamptz: "google.protobuf.Timestamp",
  interval: "string",
  jsonb: "map<string, string>",
};

/** `.proto` text for the columns: one message per struct, proto3 `optional` scalars so NULL survives. */
function protoText(columns: readonly ColumnDef[]): string {
  const messages: string[] = [];
  const message = (fields: readonly { name: string; type: SqlType }[]): string => {
    const name = `M${messages.length}`;
    messages.push("");
    const slot = messages.length - 1;
    const lines = fields.map((f, i) => {
      const t = f.type;
      const element = t.kind === "list" ? t.element : t;
      const base = element.kind === "struct" ? message(element.fields) : PROTO_SCALARS[element.kind as ScalarKind];
      const optional =
        t.kind !== "list" && element.kind !== "struct" && element.kind !== "jsonb" && !base.startsWith("google");
      return `  ${t.kind === "list" ? "repeated " : optional ? "optional " : ""}${base} ${f.name} = ${i + 1};`;
    });
    messages[slot] = `message ${name} {\n${lines.join("\n")}\n}`;
    return name;
  };
  message(columns);
  return `syntax = "proto3";\npackage prop;\nimport "google/protobuf/timestamp.proto";\n${messages.join("\n")}\n`;
}

function protoValue(value: unknown, type: SqlType): unknown {
  if (value === null) return undefined;
  switch (type.kind) {
    case "struct": {
      const v = value as Record<string, unknown>;
      return Object.fromEntries(type.fields.map((f) => [f.name, protoValue(v[f.name], f.type)]));
    }
    case "list":
      return (value as unknown[]).map((e) => protoValue(e, type.element));
    case "bigint":
    case "time":
      return String(value);
    case "jsonb":
      return plainValue(value, type.kind);
    case "timestamp":
    case "timestamptz": {
      const us = value as bigint;
      const seconds = us >= 0n ? us / 1_000_000n : -((-us + 999_999n) / 1_000_000n);
      return { seconds: seconds.toString(), nanos: Number(us - seconds * 1_000_000n) * 1000 };
    }
    case "interval":
      return intervalText(value as Interval);
    default:
      return value;
  }
}

// ---- the properties ----

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "jetflow-prop-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const expectedRows = (columns: readonly ColumnDef[], rows: readonly unknown[][]) =>
  rows.map((r) => Object.fromEntries(columns.map((c, i) => [c.name, r[i]])));

const json = { format: "plain", encode: "json", options: {} } as const;
const msgpack = { format: "plain", encode: "msgpack", options: {} } as const;

describe("decode(encode(rows)) == rows for random schemas", () => {
  test("the generated schemas cover every type, nested", () => {
    const kinds = new Set<string>();
    const visit = (t: SqlType, depth: number): void => {
      kinds.add(`${t.kind}@${depth}`);
      if (t.kind === "struct") for (const f of t.fields) visit(f.type, depth + 1);
      if (t.kind === "list") visit(t.element, depth + 1);
    };
    for (const [columns] of fc.sample(caseArb("json"), { numRuns: 300, seed: 42 }))
      for (const c of columns) visit(c.type, 0);
    for (const kind of [...SCALARS, "struct", "list"]) expect(kinds).toContain(`${kind}@0`);
    expect(kinds).toContain("struct@1");
    expect(kinds).toContain("list@1");
  });

  test("JSON", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb("json"), async ([columns, rows]) => {
        const decoder = await createDecoder({ format: json, columns, include: [] });
        const payloads = rows.map(
          (r) => `{${columns.map((c, i) => `${JSON.stringify(c.name)}: ${jsonText(r[i], c.type)}`).join(", ")}}`,
        );
        const { batch, bad } = decoder.decode(rawBatch(payloads));
        expect(bad).toEqual([]);
        expect(rowsOf(batch)).toEqual(expectedRows(columns, rows));
      }),
      { numRuns: 300 },
    );
  });

  test("JSON with bad messages mixed in: good rows all kept in order, bad ones reported", async () => {
    await fc.assert(
      fc.asyncProperty(
        caseArb("json").chain(([columns, rows]) =>
          fc.tuple(
            fc.constant(columns),
            fc.constant(rows),
            fc.array(fc.tuple(fc.boolean(), fc.nat({ max: columns.length - 1 })), {
              minLength: rows.length,
              maxLength: rows.length,
            }),
          ),
        ),
        async ([columns, rows, corruption]) => {
          const decoder = await createDecoder({ format: json, columns, include: [{ kind: "sequence", name: "seq" }] });
          const badIndices: number[] = [];
          const payloads = rows.map((r, i) => {
            const [corrupt, at] = corruption[i]!;
            const texts = columns.map((c, k) => jsonText(r[k], c.type));
            if (corrupt) {
              badIndices.push(i);
              const column = columns[at]!;
              if (column.type.kind === "jsonb") return `{${texts.join(",")}`; // truncated: malformed JSON
              texts[at] = column.type.kind === "struct" ? "[true]" : '{"x": 1}'; // a value of the wrong shape
            }
            return `{${columns.map((c, k) => `${JSON.stringify(c.name)}: ${texts[k]}`).join(", ")}}`;
          });
          const { batch, bad } = decoder.decode(rawBatch(payloads));
          expect(bad.map((b) => [b.index, b.sequence])).toEqual(badIndices.map((i) => [i, i + 1]));
          const good = rows.map((r, i) => ({ r, i })).filter(({ i }) => !badIndices.includes(i));
          expect(rowsOf(batch)).toEqual(
            good.map(({ r, i }) => ({
              ...Object.fromEntries(columns.map((c, k) => [c.name, r[k]])),
              seq: BigInt(i + 1),
            })),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  test("MessagePack", async () => {
    const packr = new Packr({ useRecords: false });
    await fc.assert(
      fc.asyncProperty(caseArb("msgpack"), async ([columns, rows]) => {
        const decoder = await createDecoder({ format: msgpack, columns, include: [] });
        const payloads = rows.map((r) =>
          packr.pack(Object.fromEntries(columns.map((c, i) => [c.name, msgpackValue(r[i], c.type)]))),
        );
        const { batch, bad } = decoder.decode(rawBatch(payloads));
        expect(bad).toEqual([]);
        expect(rowsOf(batch)).toEqual(expectedRows(columns, rows));
      }),
      { numRuns: 300 },
    );
  });

  test("protobuf, with the column list and without it", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(caseArb("protobuf"), async ([columns, rows]) => {
        const text = protoText(columns);
        const file = join(dir, `prop${run++}.proto`);
        await writeFile(file, text);
        const root = new protobuf.Root();
        root.addJSON(protobuf.common.get("google/protobuf/timestamp.proto")!.nested!);
        const type = protobuf.parse(text, root, { keepCase: true }).root.lookupType("prop.M0");
        const payloads = rows.map((r) =>
          type
            .encode(type.fromObject(Object.fromEntries(columns.map((c, i) => [c.name, protoValue(r[i], c.type)]))))
            .finish(),
        );
        const options = { message: "prop.M0", "schema.location": pathToFileURL(file).href };
        const format = { format: "plain", encode: "protobuf", options } as const;
        const declared = await createDecoder({ format, columns, include: [] });
        const declaredResult = declared.decode(rawBatch(payloads));
        expect(declaredResult.bad).toEqual([]);
        expect(rowsOf(declaredResult.batch)).toEqual(expectedRows(columns, rows));
        // Derived columns differ in type (e.g. int32 -> integer for smallint), not in the number of rows or NULLs.
        const derived = await createDecoder({ format, columns: undefined, include: [] });
        const derivedResult = derived.decode(rawBatch(payloads));
        expect(derivedResult.bad).toEqual([]);
        expect(derivedResult.batch.numRows).toBe(rows.length);
        expect(derived.schema.fields.map((f) => f.name)).toEqual(columns.map((c) => c.name));
      }),
      { numRuns: 150 },
    );
  });
});

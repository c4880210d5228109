import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type ColumnDef, parseSqlType } from "@jetflow/core";
import fc from "fast-check";
import { Packr } from "msgpackr";
import protobuf from "protobufjs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDecoder } from "./create-decoder.js";
import type { Decoder, FormatSpec } from "./decoder.js";
import { rawBatch, rowsOf } from "./test-support.js";

/**
 * Fuzzing: every decoder, fed batches where good messages are mixed with random bytes,
 * mutated good messages (cut, flipped, spliced) and hand-made hostile payloads (empty, invalid
 * UTF-8, 100k levels of nesting, wrong types, out-of-range numbers), never throws out of
 * `decode()`, accounts for every message (a row or a bad message, never both, never neither),
 * and decodes each good message exactly as it decodes alone: hostile neighbours cannot lose,
 * shift or corrupt a good row. One decoder per encoding is reused across all runs, so a
 * hostile batch that left state behind (a half-written row, a parser mid-stream) would show
 * in the later ones.
 */

const COLUMNS: ColumnDef[] = Object.entries({
  id: "bigint",
  name: "varchar",
  score: "double precision",
  small: "smallint",
  ok: "boolean",
  amount: "numeric",
  tags: "varchar[]",
  meta: "jsonb",
  at: "timestamptz",
  pt: "struct<x int, y int>",
  blob: "bytea",
}).map(([name, type]) => ({ name, type: parseSqlType(type) }));

const PROTO = `
syntax = "proto3";
package fuzz;
message Point { int32 x = 1; int32 y = 2; }
message Node { Node child = 1; int32 v = 2; }
message Row {
  int64 id = 1;
  string name = 2;
  double score = 3;
  int32 small = 4;
  bool ok = 5;
  string amount = 6;
  repeated string tags = 7;
  string meta = 8;
  int64 at = 9;
  Point pt = 10;
  bytes blob = 11;
  Node tree = 12;
  Point zz = 30;
}
`;

/** A row every encoding can carry and every decoder must accept. */
interface GoodRow {
  id: number;
  name: string;
  score: number;
  small: number;
  ok: boolean;
  amount: string;
  tags: string[];
  meta: string;
  at: number;
  pt: { x: number; y: number };
  blob: Uint8Array;
}

const goodRow: fc.Arbitrary<GoodRow> = fc.record({
  id: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  name: fc.string({ maxLength: 12, unit: "grapheme" }),
  score: fc.double({ noNaN: true, noDefaultInfinity: true }),
  small: fc.integer({ min: -32768, max: 32767 }),
  ok: fc.boolean(),
  amount: fc.integer({ min: -1_000_000, max: 1_000_000 }).map((n) => (n / 100).toFixed(2)),
  tags: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  meta: fc.string({ maxLength: 10 }),
  // Milliseconds in 2001..2100: unambiguous for the magnitude guess of timestamptz numbers.
  at: fc.integer({ min: 978_307_200_000, max: 4_102_444_800_000 }),
  pt: fc.record({ x: fc.integer({ min: -1000, max: 1000 }), y: fc.integer({ min: -1000, max: 1000 }) }),
  blob: fc.uint8Array({ maxLength: 8 }),
});

const DEPTH = 100_000;
const utf8 = new TextEncoder();
const packr = new Packr({ useRecords: false });

interface Encoding {
  readonly encode: FormatSpec["encode"];
  good(row: GoodRow): Uint8Array;
  /** Payloads that are wrong in ways specific to the encoding. */
  readonly hostile: readonly Uint8Array[];
  /** Well-formed messages with wrong types or out-of-range values. */
  wrongTypes: fc.Arbitrary<Uint8Array>;
}

/** `{"a": {"a": ... 1 ... }}` and `[[[...]]]`, `levels` deep. */
function deepJson(levels: number): Uint8Array[] {
  return [
    utf8.encode(`${'{"meta":'.repeat(levels)}1${"}".repeat(levels)}`),
    utf8.encode(`{"id":1,"meta":${"[".repeat(levels)}${"]".repeat(levels)}}`),
    utf8.encode(`{"id":1,"tags":${"[".repeat(levels)}${"]".repeat(levels)}}`),
    utf8.encode(`{"id":1,"pt":${'{"x":'.repeat(levels)}1${"}".repeat(levels)}}`),
    utf8.encode(`{"id":1,"ignored":${"[".repeat(levels)}${"]".repeat(levels)}}`),
    utf8.encode("[".repeat(levels)),
  ];
}

/** Protobuf `Row { tree: Node { child: Node { ... } } }`, `levels` deep, built inside out. */
function deepProtobuf(levels: number): Uint8Array {
  const varint = (n: number) => {
    const out: number[] = [];
    while (n > 127) {
      out.push((n & 127) | 128);
      n >>>= 7;
    }
    out.push(n);
    return out;
  };
  // Field 1 (child) of Node, length-delimited, wrapped `levels` times; then field 12 of Row.
  const inner = [0x10, 0x01]; // v = 1
  const chunks: number[][] = [];
  let length = inner.length;
  for (let i = 0; i < levels; i++) {
    const header = [0x0a, ...varint(length)];
    chunks.push(header);
    length += header.length;
  }
  const out = new Uint8Array(2 + varint(length).length + length);
  let pos = 0;
  for (const b of [0x62, ...varint(length)]) out[pos++] = b;
  for (let i = chunks.length - 1; i >= 0; i--) for (const b of chunks[i]!) out[pos++] = b;
  for (const b of inner) out[pos++] = b;
  return out;
}

const COMMON_HOSTILE: readonly Uint8Array[] = [
  new Uint8Array(0),
  new Uint8Array([0xff, 0xfe, 0xfd]),
  new Uint8Array([0xc3, 0x28]), // invalid UTF-8 continuation
  new Uint8Array([0xed, 0xa0, 0x80]), // UTF-16 surrogate encoded in UTF-8
  new Uint8Array(1000).fill(0),
];

const json: Encoding = {
  encode: "json",
  good: (row) =>
    utf8.encode(JSON.stringify({ ...row, blob: `\\x${Buffer.from(row.blob).toString("hex")}`, at: row.at })),
  hostile: [
    ...COMMON_HOSTILE,
    ...deepJson(DEPTH),
    utf8.encode('{"id": 1,'), // truncated
    utf8.encode('{"id": "x"}'), // wrong type
    utf8.encode('{"id": 1e400}'),
    utf8.encode('{"id": 99999999999999999999999999}'), // out of range for bigint
    utf8.encode('{"small": 40000}'), // out of range for smallint
    utf8.encode('{"score": "NaN-ish"}'),
    utf8.encode('{"amount": "12.3.4"}'),
    utf8.encode('{"at": "not a time"}'),
    utf8.encode('{"name": {"nested": true}}'),
    utf8.encode('{"pt": [1, 2]}'),
    utf8.encode('{"__proto__": {"id": 5}, "constructor": 1}'),
    utf8.encode(`{"id": ${"9".repeat(5000)}}`),
    utf8.encode('"just a string"'),
    utf8.encode("null"),
    new Uint8Array([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), // {"name":"\xff"}
  ],
  wrongTypes: fc
    .dictionary(fc.constantFrom(...COLUMNS.map((c) => c.name), "other"), fc.jsonValue({ maxDepth: 3 }), {
      maxKeys: 6,
    })
    .map((o) => utf8.encode(JSON.stringify(o))),
};

/** A msgpack array nested `levels` deep: 0x91 (fixarray of 1) repeated, then nil. */
function deepMsgpack(levels: number): Uint8Array {
  const out = new Uint8Array(levels + 1).fill(0x91);
  out[levels] = 0xc0;
  return out;
}

const msgpack: Encoding = {
  encode: "msgpack",
  good: (row) => packr.pack(row),
  hostile: [
    ...COMMON_HOSTILE,
    deepMsgpack(DEPTH),
    Uint8Array.from([...packr.pack({ id: 1 }), ...deepMsgpack(10)]).subarray(0, 3), // truncated map
    Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff]), // array32 claiming 4G elements
    Uint8Array.from([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61]), // str32 claiming 4 GB
    Uint8Array.from([0xc7, 0x05, 0x01, 1, 2]), // truncated ext
    packr.pack({ id: 1.5e300 }),
    packr.pack({ id: 2n ** 64n - 1n }), // above bigint
    packr.pack({ small: 70000 }),
    packr.pack({ name: new Map([[1, 2]]) }),
    packr.pack({ meta: deepNested(50) }),
    packr.pack([1, 2, 3]),
    Uint8Array.from([...packr.pack({ id: 1 }), 0x01]), // trailing byte
  ],
  wrongTypes: fc
    .dictionary(
      fc.constantFrom(...COLUMNS.map((c) => c.name), "other"),
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.uint8Array({ maxLength: 4 }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
        fc.date(),
      ),
      { maxKeys: 6 },
    )
    .map((o) => packr.pack(o)),
};

function deepNested(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

let Row: protobuf.Type;

const protobufEncoding: Encoding = {
  encode: "protobuf",
  good: (row) => Row.encode(Row.fromObject({ ...row, meta: JSON.stringify(row.meta) })).finish(),
  get hostile() {
    const good = protobufEncoding.good({
      id: 7,
      name: "x",
      score: 1,
      small: 1,
      ok: true,
      amount: "1.00",
      tags: ["a"],
      meta: "m",
      at: 1_700_000_000_000,
      pt: { x: 1, y: 2 },
      blob: new Uint8Array([1]),
    });
    return [
      ...COMMON_HOSTILE,
      deepProtobuf(DEPTH),
      good.subarray(0, good.length - 3), // truncated
      Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), // field 1 LEN claiming 4 GB
      Uint8Array.from([0x0f]), // wire type 7 (invalid)
      Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // 11-byte varint
      Uint8Array.from([0x12, 0x02, 0xff, 0xfe]), // name: invalid UTF-8
      Uint8Array.from([0x32, 0x03, 0x61, 0x62, 0x63]), // amount "abc": not a number
      Uint8Array.from([0x20, 0x80, 0x80, 0x04]), // small = 65536: out of range for smallint
      Uint8Array.from([0x4b]), // start group, never ended
    ];
  },
  // Random field numbers and wire types with random payloads: mostly wrong types for the schema.
  wrongTypes: fc
    .array(
      fc.record({
        field: fc.integer({ min: 1, max: 13 }),
        wire: fc.constantFrom(0, 1, 2, 5),
        data: fc.uint8Array({ maxLength: 9 }),
      }),
      { maxLength: 5 },
    )
    .map((fields) => {
      const w = protobuf.Writer.create();
      for (const f of fields) {
        w.uint32((f.field << 3) | f.wire);
        if (f.wire === 0) w.uint64(f.data.length * 1_000_003);
        else if (f.wire === 1) w.fixed64(f.data.length);
        else if (f.wire === 5) w.fixed32(f.data.length);
        else w.bytes(f.data);
      }
      return w.finish();
    }),
};

const bytes: Encoding = {
  encode: "bytes",
  good: (row) => utf8.encode(JSON.stringify({ id: row.id, name: row.name })),
  hostile: [...COMMON_HOSTILE, new Uint8Array(2 * 1024 * 1024).fill(0xab)],
  wrongTypes: fc.uint8Array({ maxLength: 64 }),
};

/** One message of a fuzz batch: known good (with its encoded row), or hostile. */
type Item = { kind: "good"; payload: Uint8Array } | { kind: "hostile"; payload: Uint8Array };

/** Mutations of a good payload: most make it bad, some leave it valid; either is fine. */
function mutated(payload: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = Math.max(payload.length, 1);
  return fc.oneof(
    fc.integer({ min: 0, max: n - 1 }).map((k) => payload.subarray(0, k)),
    fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: 255 })).map(([k, x]) => {
      const out = Uint8Array.from(payload);
      if (out.length > 0) out[k % out.length]! ^= x;
      return out;
    }),
    fc
      .tuple(fc.integer({ min: 0, max: n }), fc.uint8Array({ minLength: 1, maxLength: 8 }))
      .map(([k, extra]) => Uint8Array.from([...payload.subarray(0, k), ...extra, ...payload.subarray(k)])),
    fc.constant(Uint8Array.from([...payload, ...payload])),
  );
}

function items(enc: Encoding): fc.Arbitrary<Item[]> {
  const good = goodRow.map((r): Item => ({ kind: "good", payload: enc.good(r) }));
  const hostile = fc.oneof(
    fc.uint8Array({ maxLength: 256 }),
    fc.constantFrom(...enc.hostile),
    enc.wrongTypes,
    goodRow.chain((r) => mutated(enc.good(r))),
  );
  return fc.array(
    fc.oneof(
      good,
      hostile.map((payload): Item => ({ kind: "hostile", payload })),
    ),
    {
      minLength: 1,
      maxLength: 24,
    },
  );
}

let dir: string;
const decoders = new Map<FormatSpec["encode"], { fuzzed: Decoder; alone: Decoder }>();
/** Per encoding: a decoder of plain scalar columns (its fast path reads them from the bytes) and
 * one of the same columns plus a struct (which keeps it on the general parser). */
const fastAndGeneral = new Map<FormatSpec["encode"], { fast: Decoder; general: Decoder; names: string[] }>();

/** Scalar columns each fast path takes: protobuf's has no jsonb or bytes. */
function flatColumns(encode: FormatSpec["encode"]): ColumnDef[] {
  const skip = encode === "protobuf" ? ["tags", "pt", "meta", "blob"] : ["tags", "pt"];
  return COLUMNS.filter((c) => !skip.includes(c.name));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "jetflow-fuzz-"));
  const protoFile = join(dir, "fuzz.proto");
  await writeFile(protoFile, PROTO);
  Row = protobuf.parse(PROTO).root.lookupType("fuzz.Row");
  for (const encode of ["json", "msgpack", "protobuf", "bytes"] as const) {
    const options: Record<string, string> =
      encode === "protobuf" ? { message: "fuzz.Row", "schema.location": pathToFileURL(protoFile).href } : {};
    const columns = encode === "bytes" ? [{ name: "data", type: parseSqlType("bytea") }] : COLUMNS;
    const make = () => createDecoder({ format: { format: "plain", encode, options }, columns, include: [] });
    decoders.set(encode, { fuzzed: await make(), alone: await make() });
    if (encode === "bytes") continue;
    const flat = flatColumns(encode);
    // A struct column no payload sets (protobuf: a message field no generator writes): it only
    // keeps the decoder off its fast path.
    const zz = { name: "zz", type: parseSqlType("struct<x int, y int>") };
    const withColumns = (columns: ColumnDef[]) =>
      createDecoder({ format: { format: "plain", encode, options }, columns, include: [] });
    fastAndGeneral.set(encode, {
      fast: await withColumns(flat),
      general: await withColumns([...flat, zz]),
      names: flat.map((c) => c.name),
    });
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each([json, msgpack, protobufEncoding, bytes])("fuzz: ENCODE $encode", (enc) => {
  test("decode() never throws, accounts for every message and keeps each good row exactly", () => {
    const { fuzzed, alone } = decoders.get(enc.encode)!;
    fc.assert(
      fc.property(items(enc), (list) => {
        const raw = rawBatch(list.map((it, i) => ({ payload: it.payload, sequence: 100 + i })));
        const { batch, bad } = fuzzed.decode(raw);
        expect(batch.numRows + bad.length).toBe(list.length);
        const badAt = new Set(bad.map((b) => b.index));
        expect(badAt.size).toBe(bad.length);
        for (const b of bad) {
          expect(b.sequence).toBe(100 + b.index);
          expect(b.reason.length).toBeGreaterThan(0);
          expect(Buffer.from(b.payload).equals(list[b.index]!.payload)).toBe(true);
        }
        const rows = rowsOf(batch);
        let row = 0;
        list.forEach((it, i) => {
          if (badAt.has(i)) {
            expect(it.kind, `good message ${i} reported bad: ${bad.find((b) => b.index === i)?.reason}`).toBe(
              "hostile",
            );
            return;
          }
          if (it.kind === "good") {
            const single = alone.decode(rawBatch([it.payload]));
            expect(single.bad).toEqual([]);
            expect(rows[row]).toEqual(rowsOf(single.batch)[0]);
          }
          row++;
        });
      }),
      { numRuns: 150 },
    );
  });

  test("every hand-made hostile payload is accounted for, and the good row after it survives", () => {
    const { fuzzed, alone } = decoders.get(enc.encode)!;
    const goodPayload = enc.good({
      id: 42,
      name: "after",
      score: 2.5,
      small: -3,
      ok: false,
      amount: "12.34",
      tags: ["t"],
      meta: "x",
      at: 1_700_000_000_000,
      pt: { x: 3, y: 4 },
      blob: new Uint8Array([9]),
    });
    const expected = rowsOf(alone.decode(rawBatch([goodPayload])).batch)[0];
    for (const payload of enc.hostile) {
      const { batch, bad } = fuzzed.decode(rawBatch([payload, goodPayload]));
      expect(batch.numRows + bad.length).toBe(2);
      expect(bad.every((b) => b.index === 0)).toBe(true);
      const rows = rowsOf(batch);
      expect(rows[rows.length - 1]).toEqual(expected);
    }
  });
});

describe.each([json, msgpack, protobufEncoding])("fuzz: ENCODE $encode fast path against the general parser", (enc) => {
  test("the same messages are bad, the good ones give the same values", () => {
    const { fast, general, names } = fastAndGeneral.get(enc.encode)!;
    const pick = (row: Record<string, unknown>) => Object.fromEntries(names.map((n) => [n, row[n]]));
    fc.assert(
      fc.property(items(enc), (list) => {
        const raw = rawBatch(list.map((it) => it.payload));
        const a = fast.decode(raw);
        const b = general.decode(raw);
        // Whether a message is bad must agree; the reason may differ (the fast path may meet
        // another fault of the same message first).
        const shown = () =>
          `payloads ${JSON.stringify(list.map((it) => Array.from(it.payload)))}; general: ${b.bad.map((m) => `${m.index} ${m.reason}`).join("; ")}`;
        expect(
          a.bad.map((m) => m.index),
          shown(),
        ).toEqual(b.bad.map((m) => m.index));
        expect(rowsOf(a.batch)).toEqual(rowsOf(b.batch).map(pick));
      }),
      { numRuns: 300 },
    );
  });

  test.runIf(enc.encode === "protobuf")("fields that are no column are checked as protobufjs checks them", () => {
    const { fast, general } = fastAndGeneral.get("protobuf")!;
    const cases = [
      [0x3a, 0x01, 0x80], // tags: invalid UTF-8 in a proto3 string
      [0x42, 0x02, 0xc3, 0x28], // meta: likewise
      [0x52, 0x02, 0x08, 0xff], // pt: a nested message cut inside a varint
      [0x52, 0x02, 0x08, 0x01], // pt: a fine nested message (good)
      [0x5a, 0x01, 0x80], // blob: bytes are not UTF-8 (good)
    ].map((c) => Uint8Array.from([0x08, 0x07, 0x32, 0x01, 0x31, ...c])); // id 7, amount "1"
    const raw = rawBatch(cases);
    const bad = (d: Decoder) => d.decode(raw).bad.map((m) => m.index);
    expect(bad(general)).toEqual([0, 1, 2]);
    expect(bad(fast)).toEqual([0, 1, 2]);
  });
});

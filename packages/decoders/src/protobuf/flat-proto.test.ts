import fc from "fast-check";
import protobuf from "protobufjs";
import { describe, expect, test } from "vitest";
import type { PayloadParser } from "../batch-decoder.js";
import { RecordRowWriter, SlotKind } from "../row-writer.js";
import { columnsOf, damaged, payloadDecoder, sameDecoding } from "../test-support.js";
import { jsonTextOfValue } from "../values/jsonb.js";
import { FlatProtoReader } from "./flat-proto.js";
import { ProtoPlanner } from "./proto-plan.js";

const PROTO = `
syntax = "proto3";
package t;
message Flat {
  double d = 1; float f = 2; int32 i32 = 3; uint32 u32 = 4; sint32 s32 = 5; fixed32 f32 = 6;
  sfixed32 sf32 = 7; int64 i64 = 8; uint64 u64 = 9; sint64 s64 = 10; fixed64 f64 = 11;
  sfixed64 sf64 = 12; bool b = 13; string s = 14; string t = 15;
}
// The same numbers with other types and extra fields: unknown fields and wire-type mismatches for Flat.
message Other {
  string d = 1; int64 f = 2; double i32 = 3; string u32 = 4; fixed64 s32 = 5; int32 f32 = 6;
  bool sf32 = 7; float i64 = 8; string u64 = 9; double s64 = 10; int32 f64 = 11;
  string sf64 = 12; double b = 13; int32 s = 14; uint64 t = 15;
  string extra = 20; int64 extra2 = 21; double extra3 = 22; repeated int32 r = 23; Flat nested = 24; fixed32 x = 25;
}
message WithEnum { enum E { A = 0; B = 1; } E e = 1; }
message WithOptional { optional int32 o = 1; }
`;
const root = protobuf.parse(PROTO).root;
const Flat = root.lookupType("t.Flat");
const Other = root.lookupType("t.Other");

/** long.js's `Long.fromString` (protobufjs types `util.Long` as a bare constructor). */
const longOf = (text: string) => (protobuf.util.Long as unknown as { fromString(s: string): unknown }).fromString(text);

const columns = columnsOf({
  d: "double precision",
  f: "real",
  i32: "integer",
  u32: "bigint",
  s32: "varchar",
  f32: "numeric",
  sf32: "smallint",
  i64: "bigint",
  u64: "numeric",
  s64: "varchar",
  f64: "bigint",
  sf64: "double precision",
  b: "boolean",
  s: "varchar",
  t: "numeric",
  I32: "integer", // reads field i32 too (names match ignoring case)
});

describe("FlatProtoReader", () => {
  test("plans only messages whose columns are plain scalar fields", () => {
    expect(FlatProtoReader.plan(Flat, columns)).toBeDefined();
    expect(FlatProtoReader.plan(root.lookupType("t.WithEnum"), columnsOf({ e: "varchar" }))).toBeUndefined();
    expect(FlatProtoReader.plan(root.lookupType("t.WithOptional"), columnsOf({ o: "integer" }))).toBeUndefined();
    expect(FlatProtoReader.plan(Other, columnsOf({ nested: "jsonb" }))).toBeUndefined();
    expect(FlatProtoReader.plan(Other, columnsOf({ r: "integer[]" }))).toBeUndefined();
  });

  test("reads fields into column values; unset ones are the prototype's defaults", () => {
    const reader = FlatProtoReader.plan(Flat, columns) as FlatProtoReader;
    const bytes = Flat.encode({ i64: longOf("-5"), s: "héllo", d: 1.5 }).finish();
    const row = reader.read(bytes);
    expect(row?.kinds[13]).toBe(SlotKind.utf8);
    expect(new TextDecoder().decode(row?.source.subarray(row.starts[13], row.ends[13]))).toBe("héllo");
    expect(row?.valueAt(0)).toBe(1.5);
    expect(String(row?.valueAt(7))).toBe("-5");
    expect(row?.valueAt(8)).toBe((Flat.ctor.prototype as Record<string, unknown>).u64);
    expect(reader.read(Uint8Array.from([0x0b, 0x0c]))).toBeUndefined(); // a group
    expect(reader.read(Uint8Array.from([0x72, 0x02, 0xc3]))).toBeUndefined(); // truncated
    expect(reader.read(Uint8Array.from([0x72, 0x01, 0xff]))).toBeUndefined(); // invalid UTF-8
  });
});

describe("ENCODE PROTOBUF fast path", () => {
  const rows = () =>
    new RecordRowWriter(
      new ProtoPlanner(root, { timestamptzNumbers: "guess", jsonText: jsonTextOfValue }, 64).columns(Flat, columns),
      "a protobuf message",
    );
  const reader = FlatProtoReader.plan(Flat, columns) as FlatProtoReader;
  const fast: PayloadParser = { parse: (p) => reader.read(p) ?? Flat.decode(p) };
  const general: PayloadParser = { parse: (p) => Flat.decode(p) };
  const decoderOf = (parser: PayloadParser) => payloadDecoder(columns, "protobuf", parser, rows());

  const long = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }).map((b) => longOf(String(b)));
  const flat = fc.record(
    {
      d: fc.double(),
      f: fc.float(),
      i32: fc.integer(),
      u32: fc.nat(),
      s32: fc.integer(),
      f32: fc.nat(),
      sf32: fc.integer(),
      i64: long,
      u64: long,
      s64: long,
      f64: long,
      sf64: long,
      b: fc.boolean(),
      s: fc.string(),
      t: fc.constantFrom("", "12.50", "x", "1e3", "é"),
    },
    { requiredKeys: [] },
  );
  const other = fc.record(
    {
      d: fc.string(),
      f: long,
      i32: fc.double(),
      s32: long,
      sf32: fc.boolean(),
      b: fc.double(),
      s: fc.integer(),
      extra: fc.string(),
      extra2: long,
      extra3: fc.double(),
      r: fc.array(fc.integer(), { maxLength: 3 }),
      nested: flat,
      x: fc.nat(),
    },
    { requiredKeys: [] },
  );
  const encoded = fc.oneof(
    flat.map((m) => Flat.encode(Flat.fromObject(m)).finish()),
    other.map((m) => Other.encode(Other.fromObject(m)).finish()),
  );
  const spoiled = damaged(encoded, ["set", "insert", "cut", "truncate"]);
  // One field alone, so it is the last bytes of the payload (protobufjs reads varints there differently).
  const single = fc
    .tuple(fc.constantFrom(...Object.keys(Flat.fields)), flat)
    .map(([name, m]) => Flat.encode(Flat.fromObject({ [name]: (m as Record<string, unknown>)[name] })).finish());
  // Text fields with arbitrary bytes (invalid UTF-8 too).
  const rawText = fc
    .tuple(fc.constantFrom(0x72, 0x7a, 0x0a), fc.uint8Array({ maxLength: 8 }))
    .map(([tag, bytes]) => Uint8Array.from([tag, bytes.length, ...bytes]));
  const payload = fc.oneof(
    { weight: 5, arbitrary: encoded },
    { weight: 2, arbitrary: single },
    { weight: 2, arbitrary: rawText },
    // A field repeated across two encodings: the last value wins.
    { weight: 2, arbitrary: fc.tuple(encoded, encoded).map(([a, b]) => Uint8Array.from([...a, ...b])) },
    { weight: 3, arbitrary: spoiled },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  );

  test("property: the same rows and bad messages as protobufjs", () => {
    fc.assert(
      sameDecoding(
        () => decoderOf(fast),
        () => decoderOf(general),
        payload,
        6,
      ),
      { numRuns: 600 },
    );
  });
});

import fc from "fast-check";
import { Packr, Unpackr } from "msgpackr";
import { describe, expect, test } from "vitest";
import type { PayloadParser } from "../batch-decoder.js";
import { FlatRow } from "../row-writer.js";
import { columnsOf, damaged, FLAT_EVENT_COLUMNS, flatValues, payloadDecoder, sameDecoding } from "../test-support.js";
import { FlatMsgpackReader } from "./flat-msgpack.js";
import { msgpackParts } from "./msgpack-decoder.js";

const columns = columnsOf({
  ...FLAT_EVENT_COLUMNS,
  r: "real",
  bin: "bytea",
  __proto_: "varchar",
});
const packr = new Packr({ useRecords: false });
const pack = (value: unknown) => new Uint8Array(packr.pack(value));

describe("FlatMsgpackReader", () => {
  const reader = new FlatMsgpackReader(columns);

  test("reads a flat map into column values; text for varchar stays bytes", () => {
    const row = reader.read(
      pack({ name: "héllo", id: 42, score: -1.5, flag: true, doc: null, x: "y", big: 2n ** 60n }),
    );
    expect(row).toBeInstanceOf(FlatRow);
    expect(flatValues(row as FlatRow).slice(0, 7)).toEqual([
      42,
      { utf8: "héllo" },
      -1.5,
      undefined,
      true,
      undefined,
      null,
    ]);
    const text = new TextDecoder().decode(row?.source.subarray(row?.starts[1], row?.ends[1]));
    expect(text).toBe("héllo");
    expect(reader.read(pack({ id: 2n ** 63n - 1n }))?.valueAt(0)).toBe(2n ** 63n - 1n);
  });

  test("leaves to msgpackr what it does not read exactly", () => {
    for (const value of [
      { doc: { a: 1 } }, // nested
      { other: [1, 2] },
      { bin: new Uint8Array([1, 2]) },
      { ID: 1 }, // a key equal to a column but for case
      { ["__proto__"]: "x" }, // msgpackr renames it
      { at: new Date(0) }, // ext
      [1, 2], // not a map
      "text",
    ]) {
      const bytes =
        value !== null && typeof value === "object" && "__proto__" in value
          ? pack(JSON.parse('{"__proto__": "x"}'))
          : pack(value);
      expect(reader.read(bytes), JSON.stringify(value)).toBeUndefined();
    }
    const good = pack({ name: "a" });
    expect(reader.read(good.subarray(0, good.length - 1))).toBeUndefined(); // truncated
    expect(reader.read(Uint8Array.from([...good, 0xc0]))).toBeUndefined(); // trailing bytes
    expect(reader.read(Uint8Array.from([0x81, 0xa4, 0x6e, 0x61, 0x6d, 0x65, 0xa1, 0xff]))).toBeUndefined(); // invalid UTF-8 text
  });
});

describe("ENCODE MSGPACK fast path", () => {
  const fastDecoder = () => {
    const { parser, rows } = msgpackParts(columns, "milli");
    return payloadDecoder(columns, "MessagePack", parser, rows);
  };
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: "bigint" });
  const general: PayloadParser = { parse: (payload) => unpackr.unpack(payload) };
  const generalDecoder = () => payloadDecoder(columns, "MessagePack", general, msgpackParts(columns, "milli").rows);

  // Every column name, and keys that are none or match one only ignoring case.
  const key = fc.constantFrom(...columns.map((c) => c.name), "other", "ID", "Name", "");
  const value = fc.oneof(
    fc.constantFrom(
      null,
      true,
      false,
      0,
      -1,
      -32,
      -33,
      127,
      128,
      255,
      256,
      65535,
      65536,
      2 ** 32 - 1,
      2 ** 32,
      -(2 ** 31),
    ),
    fc.integer(),
    fc.double(),
    fc.float().map(Math.fround),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
    fc.string(),
    fc.string({ minLength: 30, maxLength: 300 }),
    fc.constantFrom("12.50", "2024-01-02T03:04:05Z", "NaN", "é✓😀", "42"),
    fc.constantFrom([1], { a: 1 }, new Uint8Array([1])),
  );
  const map = fc.array(fc.tuple(key, value), { maxLength: 8 }).map((entries) => {
    const object: Record<string, unknown> = {};
    for (const [k, v] of entries) object[k] = v;
    return object;
  });
  // Float 32 encodings too (msgpackr packs doubles that fit as float 32 when asked).
  const packers = [packr, new Packr({ useRecords: false, useFloat32: 1 })];
  const payload = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(map, fc.nat(1)).map(([m, p]) => new Uint8Array((packers[p] as Packr).pack(m))) },
    { weight: 2, arbitrary: damaged(map.map(pack)) },
  );

  test("property: the same rows and bad messages as msgpackr", () => {
    fc.assert(sameDecoding(fastDecoder, generalDecoder, payload), { numRuns: 400 });
  });
});

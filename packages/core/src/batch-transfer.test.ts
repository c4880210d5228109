import { MessageChannel } from "node:worker_threads";
import {
  Bool,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray,
  Binary,
} from "apache-arrow";
import { describe, expect, it } from "vitest";
import { type PackedRecordBatch, packRecordBatch, unpackRecordBatch } from "./batch-transfer.js";

const point = new Struct([new Field("x", new Int32(), true), new Field("tag", new Utf8(), true)]);
const fields = [
  new Field("id", new Int64(), false),
  new Field("name", new Utf8(), true),
  new Field("score", new Float64(), true),
  new Field("ok", new Bool(), true),
  new Field("at", new TimestampMicrosecond(), true),
  new Field("raw", new Binary(), true),
  new Field("tags", new List(new Field("item", new Utf8(), true)), true),
  new Field("point", point, true),
];
const schema = new Schema(fields);

const columns: unknown[][] = [
  [1n, 2n, 3n, 4n, 5n, 6n],
  ["a", null, "ünï", "", "long text ".repeat(20), "z"],
  [1.5, -0, null, Number.MAX_VALUE, 3, Number.NaN],
  [true, false, null, true, true, false],
  [1_700_000_000_000, null, 0, -1, 2, 3],
  [new Uint8Array([1, 2]), null, new Uint8Array(0), Buffer.from("pooled"), new Uint8Array([255]), null],
  [["a", "b"], [], null, [null, "c"], ["d"], ["e", "f", "g"]],
  [{ x: 1, tag: "p" }, null, { x: null, tag: null }, { x: -7, tag: "q" }, { x: 0, tag: "" }, { x: 2, tag: "r" }],
];

function batchOf(): RecordBatch {
  const children = fields.map((f, c) => vectorFromArray(columns[c] as never, f.type).data[0]!);
  const data = makeData({ type: new Struct(fields), length: 6, nullCount: 0, children });
  return new RecordBatch(schema, data);
}

/** Rows as plain values, to compare batches by content. */
function rows(batch: RecordBatch): unknown[] {
  return batch.toArray().map((r) => {
    const o = r.toJSON() as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(o).map(([k, v]) => [
        k,
        v !== null && typeof v === "object" && "toJSON" in v ? (v as { toJSON(): unknown }).toJSON() : v,
      ]),
    );
  });
}

/** Sends a packed batch to another port and back out, transferring its buffers as a reader thread does. */
async function postAndReceive(packed: PackedRecordBatch): Promise<PackedRecordBatch> {
  const { port1, port2 } = new MessageChannel();
  try {
    const received = new Promise<PackedRecordBatch>((resolve) => port2.once("message", resolve));
    port1.postMessage(packed, [packed.bytes, packed.nodes.buffer as ArrayBuffer]);
    return await received;
  } finally {
    port1.close();
    port2.close();
  }
}

describe("packRecordBatch / unpackRecordBatch: a record batch between threads", () => {
  it("crosses a MessageChannel with every value, null and nested value intact; the sender's batch stays usable", async () => {
    const batch = batchOf();
    const want = rows(batch);
    const packed = packRecordBatch(batch);
    const got = unpackRecordBatch(schema, await postAndReceive(packed));
    expect(packed.bytes.byteLength).toBe(0); // moved, not copied
    expect(got.numRows).toBe(6);
    expect(rows(got)).toEqual(want);
    expect(rows(batch)).toEqual(want); // packing copied out of the columns: nothing of theirs was detached
    expect(got.getChild("tags")?.get(3)?.toArray()).toEqual([null, "c"]);
    expect(got.getChild("raw")?.get(3)).toEqual(new Uint8Array(Buffer.from("pooled")));
  });

  it("keeps a slice's offset: the rows of a sliced batch, not the whole", async () => {
    const slice = batchOf().slice(2, 5);
    const got = unpackRecordBatch(schema, await postAndReceive(packRecordBatch(slice)));
    expect(rows(got)).toEqual(rows(slice));
    expect(got.numRows).toBe(3);
  });

  it("an empty batch and a batch of no columns", async () => {
    const empty = batchOf().slice(0, 0);
    expect(rows(unpackRecordBatch(schema, await postAndReceive(packRecordBatch(empty))))).toEqual([]);
    const none = new RecordBatch(
      new Schema([]),
      makeData({ type: new Struct([]), length: 3, nullCount: 0, children: [] }),
    );
    expect(unpackRecordBatch(new Schema([]), packRecordBatch(none)).numRows).toBe(3);
  });

  it("a schema with another shape is a RangeError, not a misread batch", () => {
    const packed = packRecordBatch(batchOf());
    expect(() => unpackRecordBatch(new Schema(fields.slice(0, 3)), packed)).toThrow(/more columns than the schema/);
    expect(() => unpackRecordBatch(new Schema([...fields, new Field("more", new Int32())]), packed)).toThrow(
      /fewer columns than the schema/,
    );
  });

  it("every buffer starts 8-byte aligned (64-bit columns are views of the one buffer)", () => {
    const { nodes } = packRecordBatch(batchOf());
    for (let at = 0; at < nodes.length; at += 15) {
      for (let s = 0; s < 4; s++) if (nodes[at + 3 + 3 * s]! >= 0) expect(nodes[at + 4 + 3 * s]! % 8).toBe(0);
    }
  });
});

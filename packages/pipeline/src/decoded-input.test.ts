import { MessageChannel } from "node:worker_threads";
import { type RawBatch, toJsonLines } from "@jetflow/core";
import { createDecoder } from "@jetflow/decoders";
import { Table } from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeInput, type PackedInput, packInput, schemaFingerprint, unpackInput } from "./decoded-input.js";
import { columnsFrom } from "./test-support.js";

const columns = columnsFrom({
  id: "bigint",
  name: "varchar",
  score: "double precision",
  ok: "boolean",
  at: "timestamptz",
  tags: "varchar[]",
  doc: "jsonb",
  amount: "decimal",
  point: "struct<x int, y int>",
});
const spec = {
  format: { format: "plain", encode: "json", options: {} } as const,
  columns,
  include: [
    { kind: "subject", name: "subj" },
    { kind: "sequence", name: "seq" },
  ] as const,
};

function raw(payloads: string[]): RawBatch {
  const n = payloads.length;
  return {
    length: n,
    payloads: payloads.map((p) => new TextEncoder().encode(p)),
    subjects: payloads.map((_, i) => `ev.${i % 3}`),
    sequences: new Float64Array(payloads.map((_, i) => 100 + i)),
    timestampsUs: new Float64Array(n).fill(1_700_000_000_000_000),
    headers: undefined,
    offsets: new Map([["c", 99 + n]]),
  };
}

async function acrossThreads(packed: PackedInput, transfer: ArrayBuffer[]): Promise<PackedInput> {
  const { port1, port2 } = new MessageChannel();
  try {
    const received = new Promise<PackedInput>((resolve) => port2.once("message", resolve));
    port1.postMessage(packed, transfer);
    return await received;
  } finally {
    port1.close();
    port2.close();
  }
}

const row = fc.record(
  {
    id: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
    name: fc.option(fc.string({ unit: "binary" })),
    score: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true })),
    ok: fc.option(fc.boolean()),
    at: fc.option(fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString())),
    tags: fc.option(fc.array(fc.option(fc.string()), { maxLength: 4 })),
    doc: fc.option(fc.jsonValue({ maxDepth: 2 })),
    amount: fc.option(fc.integer().map((i) => `${i}.25`)),
    point: fc.option(fc.record({ x: fc.integer(), y: fc.option(fc.integer()) })),
  },
  { requiredKeys: ["id"] },
);
// Bad messages between good ones: malformed JSON, a value of the wrong type.
const payload = fc.oneof(
  { weight: 6, arbitrary: row.map((r) => JSON.stringify(r).replace(/"id":"(-?\d+)"/, '"id":$1')) },
  { weight: 1, arbitrary: fc.constantFrom("{not json", '{"id": "x1"}', '{"id": 1, "ok": 3}') },
);

describe("DecodedInput between threads (what a reader thread's decode stage posts)", () => {
  it("rows, bad messages with their payloads, offsets and counts arrive as decoded on the sending thread", async () => {
    const decoder = await createDecoder(spec);
    const again = await createDecoder(spec); // the receiving thread's own decoder is not used: only its schema
    await fc.assert(
      fc.asyncProperty(fc.array(payload, { maxLength: 40 }), async (payloads) => {
        const input = raw(payloads);
        const here = decodeInput(decoder, input);
        const { packed, transfer } = packInput(decodeInput(again, input));
        const there = unpackInput(decoder.schema, await acrossThreads(packed, transfer));
        expect(toJsonLines(new Table([there.batch]))).toEqual(toJsonLines(new Table([here.batch])));
        expect(there.bad).toEqual(here.bad);
        expect(there.offsets).toEqual(new Map([["c", 99 + payloads.length]]));
        expect([there.messages, there.bytes]).toEqual([payloads.length, Buffer.byteLength(payloads.join(""))]);
        expect(here.batch.numRows + here.bad.length).toBe(payloads.length);
      }),
      { numRuns: 150 },
    );
  });

  it("a bad message keeps the reason and a payload of its own", async () => {
    const decoder = await createDecoder(spec);
    const { packed, transfer } = packInput(decodeInput(decoder, raw(['{"id": 1}', '{"id": 2, "ok": 3}'])));
    const got = unpackInput(decoder.schema, await acrossThreads(packed, transfer));
    expect(got.batch.numRows).toBe(1);
    expect(got.bad).toEqual([
      expect.objectContaining({ index: 1, sequence: 101, subject: "ev.1", reason: expect.stringMatching(/"ok"/) }),
    ]);
    expect(new TextDecoder().decode(got.bad[0]?.payload)).toBe('{"id": 2, "ok": 3}');
  });

  it("schemaFingerprint tells schemas apart by name, type and nullability", async () => {
    const a = schemaFingerprint((await createDecoder(spec)).schema);
    const b = schemaFingerprint((await createDecoder({ ...spec, columns: columns.slice(0, 8) })).schema);
    expect(a).toMatch(/^id: Int64, name: Utf8/);
    expect(a).toMatch(/subj: Utf8, seq: Int64/);
    expect(b).not.toBe(a);
  });
});

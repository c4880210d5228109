import { columnsOf, parseSqlType, schemaOf, sortedCells } from "@jetflow/core";
import { type Data, makeData, RecordBatch, Struct, Table, Utf8, vectorFromArray } from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sortedChunks } from "./sorted-runs.js";

/** The sorted rows as text; checks on the way that each row's position names that row of `table`. */
async function collect(table: Table, chunkRows: number, limit?: number): Promise<string[]> {
  const out: string[] = [];
  const byPosition = [...table].map((row) => `${row?.k},${JSON.stringify(row?.s)}`);
  const seen = new Set<number>();
  for await (const { rows, at } of sortedChunks(table, columnsOf(table.schema), chunkRows, limit)) {
    expect(rows.length).toBeLessThanOrEqual(chunkRows);
    expect(at.length).toBe(rows.length);
    rows.forEach((r, i) => {
      const text = r.map((c) => c.json).join(",");
      expect(byPosition[at[i] as number]).toBe(text);
      expect(seen.has(at[i] as number)).toBe(false);
      seen.add(at[i] as number);
      out.push(text);
    });
  }
  return out;
}

const SCHEMA = schemaOf([
  { name: "k", type: parseSqlType("integer") },
  { name: "s", type: parseSqlType("varchar") },
]);

/** One batch of the jetflow schema (SQL types in the field metadata) holding these rows. */
function batchOf(rows: readonly { k: number; s: string }[]): RecordBatch {
  const children = [
    vectorFromArray(Int32Array.from(rows.map((r) => r.k))).data[0],
    vectorFromArray(
      rows.map((r) => r.s),
      new Utf8(),
    ).data[0],
  ] as Data[];
  return new RecordBatch(SCHEMA, makeData({ type: new Struct(SCHEMA.fields), length: rows.length, children }));
}

describe("sortedChunks", () => {
  it("gives the rows in sortedCells' order, in chunks, whatever the batches, chunk size and limit", async () => {
    const row = fc.record({ k: fc.integer({ min: -5, max: 5 }), s: fc.constantFrom("a", "b", "ä", "😀", "") });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(row, { maxLength: 30 }), { maxLength: 5 }),
        fc.integer({ min: 1, max: 12 }),
        fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
        async (batches, chunkRows, limit) => {
          const table = new Table(SCHEMA, batches.filter((b) => b.length > 0).map(batchOf));
          const expected = sortedCells(table).rows.map((r) => r.map((c) => c.json).join(","));
          expect(await collect(table, chunkRows, limit)).toEqual(expected.slice(0, limit ?? expected.length));
        },
      ),
      { numRuns: 200 },
    );
  });
});

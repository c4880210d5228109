import { type ChangeBatch, cellAt, parseSqlType, type RawBatch, sqlTypeOfField } from "@jetflow/core";
import { createDecoder } from "@jetflow/decoders";
import type { Data } from "apache-arrow";

const encoder = new TextEncoder();

/**
 * A change as a source would make it: JSON rows decoded by jetflow's JSON decoder into columns
 * of the given SQL types (`{ name: "timestamptz" }`), with `ops` (all inserts when absent).
 */
export async function decodedChange(
  columns: Readonly<Record<string, string>>,
  rows: readonly object[],
  ops?: readonly number[],
): Promise<ChangeBatch> {
  const decoder = await createDecoder({
    format: { format: "plain", encode: "json", options: {} },
    columns: Object.entries(columns).map(([name, type]) => ({ name, type: parseSqlType(type, name) })),
    include: [],
  });
  const n = rows.length;
  const raw: RawBatch = {
    length: n,
    payloads: rows.map((r) => encoder.encode(JSON.stringify(r))),
    subjects: rows.map(() => "events"),
    sequences: Float64Array.from({ length: n }, (_, i) => i + 1),
    timestampsUs: new Float64Array(n),
    headers: undefined,
    offsets: new Map([["c", n]]),
  };
  const { batch, bad } = decoder.decode(raw);
  if (bad.length > 0) throw new Error(`rows did not decode: ${bad.map((b) => b.reason).join("; ")}`);
  return { batch, ops: ops === undefined ? undefined : Int8Array.from(ops) };
}

/** Each row of a change as `[op, JSON text of each cell]`, as the CLI would print its values. */
export function changeRows(change: ChangeBatch): [number, ...string[]][] {
  const types = change.batch.schema.fields.map((f) => sqlTypeOfField(f));
  const out: [number, ...string[]][] = [];
  for (let i = 0; i < change.batch.numRows; i++) {
    const cells = types.map((t, c) => cellAt(change.batch.data.children[c] as Data, i, t).json);
    out.push([change.ops === undefined ? 1 : (change.ops[i] as number), ...cells]);
  }
  return out;
}

import { type ColumnDef, cellAt, columnsOf, type RawBatch, type SqlType } from "@jetflow/core";
import { createDecoder, type Decoder } from "@jetflow/decoders";
import { type Data, makeData, RecordBatch, Schema, Struct, Table } from "apache-arrow";
import { LookupError } from "./errors.js";
import type { Relation } from "./relation.js";

/** Column equalities of a lookup: column name -> value, as a JSON message would carry it. */
export type Equalities = Readonly<Record<string, unknown>>;

/** How a lookup on these columns finds rows: `"index"` when they cover the relation's key, else `"scan"`. */
export function lookupPlan(key: readonly string[], columns: readonly string[]): "index" | "scan" {
  return key.length > 0 && key.every((k) => columns.includes(k)) ? "index" : "scan";
}

/** Per relation, the JSON decoder that parses lookup values (built once). */
const decoders = new WeakMap<Relation, Promise<Decoder>>();

/**
 * The rows of `r` whose columns equal `equal` (see `RelationHandle.lookup`): the values are
 * parsed as a JSON message's are, then the rows are probed by key when `equal` covers the key
 * (`Relation.probeByKey`), else scanned; other columns are compared as the rows print.
 * @throws LookupError naming an unknown column or a value that does not parse as its type
 */
export async function lookupRows(r: Relation, equal: Equalities): Promise<Table> {
  const names = Object.keys(equal);
  const columns = r.columns.map((c) => c.name);
  for (const n of names) {
    if (!columns.includes(n)) {
      throw new LookupError("unknown-column", `"${r.name}" has no column "${n}" (columns: ${columns.join(", ")})`);
    }
  }
  const probe = await probeRow(r, equal);
  // Nothing awaits from here on: the rows read below are of one instant, between two batches.
  const byKey =
    lookupPlan(r.key, names) === "index"
      ? r.probeByKey(
          pick(
            probe,
            r.key.map((k) => columns.indexOf(k)),
          ),
        )
      : undefined;
  const rows = byKey ?? r.snapshot() ?? new Table(r.schema);
  return names.length === 0
    ? rows
    : keepEqual(
        rows,
        probe,
        names.map((n) => columns.indexOf(n)),
      );
}

/** The lookup values as a one-row batch of the relation's schema, parsed as a JSON message is. */
async function probeRow(r: Relation, equal: Equalities): Promise<RecordBatch> {
  let decoder = decoders.get(r);
  if (decoder === undefined) {
    decoder = createDecoder({
      format: { format: "plain", encode: "json", options: {} },
      columns: r.columns,
      include: [],
    });
    decoders.set(r, decoder);
  }
  const { batch, bad } = (await decoder).decode(oneMessage(JSON.stringify(equal)));
  if (bad.length > 0 || batch.numRows !== 1) {
    throw new LookupError("invalid-value", `lookup on "${r.name}": ${bad[0]?.reason ?? "invalid values"}`);
  }
  return batch;
}

/** A RecordBatch of some columns of `batch`, in the given order. */
function pick(batch: RecordBatch, positions: readonly number[]): RecordBatch {
  const fields = positions.map((p) => batch.schema.fields[p] as (typeof batch.schema.fields)[number]);
  const children = positions.map((p) => batch.data.children[p] as Data);
  const data = makeData({ type: new Struct(fields), length: batch.numRows, children });
  return new RecordBatch(new Schema(fields), data);
}

/**
 * The rows of `table` equal to the probe's row on the given columns, compared as the rows print
 * (one value formatter, so `1.0` equals `1.00` and -0 equals 0). Matching runs are sliced, not copied.
 */
function keepEqual(table: Table, probe: RecordBatch, columns: readonly number[]): Table {
  const all = columnsOf(probe.schema);
  const types = columns.map((c) => (all[c] as ColumnDef).type);
  const wanted = columns.map((c, k) => cellAt(probe.data.children[c] as Data, 0, types[k] as SqlType).json);
  const kept: RecordBatch[] = [];
  for (const batch of table.batches) {
    let start = -1;
    for (let i = 0; i <= batch.numRows; i++) {
      const match =
        i < batch.numRows &&
        columns.every((c, k) => cellAt(batch.data.children[c] as Data, i, types[k] as SqlType).json === wanted[k]);
      if (match && start < 0) start = i;
      if (!match && start >= 0) {
        kept.push(batch.slice(start, i));
        start = -1;
      }
    }
  }
  return new Table(table.schema, kept);
}

function oneMessage(json: string): RawBatch {
  return {
    length: 1,
    payloads: [new TextEncoder().encode(json)],
    subjects: [""],
    sequences: new Float64Array(1),
    timestampsUs: new Float64Array(1),
    headers: undefined,
    offsets: new Map(),
  };
}

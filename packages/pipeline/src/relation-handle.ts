import { type ChangeBatch, type ColumnDef, cellAt, columnsOf, type RawBatch, type SqlType } from "@jetflow/core";
import { createDecoder, type Decoder } from "@jetflow/decoders";
import { type Data, makeData, RecordBatch, Schema, Struct, Table } from "apache-arrow";
import type { Observable } from "rxjs";
import { LookupError } from "./errors.js";
import { IngestRelation } from "./ingest.js";
import type { Relation, RelationKind } from "./relation.js";
import { ViewRelation } from "./view.js";

/** Column equalities of a lookup: column name -> value, as a JSON message would carry it. */
export type Equalities = Readonly<Record<string, unknown>>;

/**
 * A relation of a running pipeline, for readers that serve it (HTTP, a NATS service): what it
 * is, its rows now, rows by column values, and its changes.
 *
 * Every read is synchronous against the current state, so it reflects whole batches: a source
 * batch is pushed through the whole graph inside one call, and reads never run in the middle.
 *
 * @example
 * ```ts
 * const orders = p.relation("orders");
 * orders.key;                                      // ["id"]
 * const row = await orders.lookup({ id: 42 });     // an index probe: the key is covered
 * const north = await orders.lookup({ region: "north" }); // a scan
 * ```
 */
export interface RelationHandle {
  readonly name: string;
  readonly kind: RelationKind;
  readonly columns: readonly ColumnDef[];
  /**
   * The columns a lookup finds rows by without a scan: a table's primary key, an aggregate
   * view's group columns; empty for the rest.
   */
  readonly key: readonly string[];
  /** The table's primary key (empty for views, sources and tables without one). */
  readonly primaryKey: readonly string[];
  /** Rows it holds now (0 for a source, which keeps none). */
  readonly size: number;
  /** The rows now as an Arrow Table (a source's is empty). */
  snapshot(): Table;
  /**
   * The rows whose columns equal `equal` (values as in a JSON message: `{ "id": 42 }`, `"42"`
   * also reads as an integer; `null` matches NULL). An index probe when `equal` covers
   * {@link key}, else a scan of the current rows.
   * @throws LookupError naming an unknown column or a value that does not parse as its type
   */
  lookup(equal: Equalities): Promise<Table>;
  /** How {@link lookup} finds rows for these columns: `"index"` (a probe by key) or `"scan"`. */
  lookupPlan(columns: readonly string[]): "index" | "scan";
  /** Every change from now on, one emission per batch (a source's are inserts). */
  readonly changes$: Observable<ChangeBatch>;
}

const handles = new WeakMap<Relation, RelationHandle>();

/** The handle of a relation (one per relation, so its lookup decoder is built once). */
export function relationHandle(r: Relation): RelationHandle {
  let handle = handles.get(r);
  if (handle === undefined) {
    handle = new Handle(r);
    handles.set(r, handle);
  }
  return handle;
}

class Handle implements RelationHandle {
  private decoder: Promise<Decoder> | undefined;

  constructor(private readonly r: Relation) {}

  get name(): string {
    return this.r.name;
  }

  get kind(): RelationKind {
    return this.r.kind;
  }

  get columns(): readonly ColumnDef[] {
    return this.r.columns;
  }

  get key(): readonly string[] {
    if (this.r instanceof ViewRelation) return this.r.view.indexColumns;
    return this.primaryKey;
  }

  get primaryKey(): readonly string[] {
    return this.r instanceof IngestRelation && this.r.kind === "table" ? this.r.primaryKey : [];
  }

  get size(): number {
    return this.r.size;
  }

  get changes$(): Observable<ChangeBatch> {
    if (this.r instanceof ViewRelation) return this.r.view.changes$;
    return (this.r as IngestRelation).changes$;
  }

  snapshot(): Table {
    return this.r.snapshot() ?? new Table(this.r.schema);
  }

  lookupPlan(columns: readonly string[]): "index" | "scan" {
    const key = this.key;
    return key.length > 0 && key.every((k) => columns.includes(k)) ? "index" : "scan";
  }

  async lookup(equal: Equalities): Promise<Table> {
    const names = Object.keys(equal);
    const columns = this.r.columns.map((c) => c.name);
    for (const n of names) {
      if (!columns.includes(n)) {
        throw new LookupError("unknown-column", `"${this.name}" has no column "${n}" (columns: ${columns.join(", ")})`);
      }
    }
    const probe = await this.probeRow(equal);
    // Nothing awaits from here on: the rows read below are of one instant, between two batches.
    const rows = this.lookupPlan(names) === "index" ? this.probeByKey(probe) : this.snapshot();
    return names.length === 0
      ? rows
      : keepEqual(
          rows,
          probe,
          names.map((n) => columns.indexOf(n)),
        );
  }

  /** Candidate rows by key: the stored rows with the probe's key (other columns filtered later). */
  private probeByKey(probe: RecordBatch): Table {
    const positions = this.key.map((k) => this.r.schema.fields.findIndex((f) => f.name === k));
    const keyBatch = pick(probe, positions);
    if (this.r instanceof ViewRelation) return this.r.view.lookup(keyBatch);
    return (this.r as IngestRelation).lookupByKey(keyBatch);
  }

  /** The lookup values as a one-row batch of the relation's schema, parsed as a JSON message is. */
  private async probeRow(equal: Equalities): Promise<RecordBatch> {
    this.decoder ??= createDecoder({
      format: { format: "plain", encode: "json", options: {} },
      columns: this.r.columns,
      include: [],
    });
    const { batch, bad } = (await this.decoder).decode(oneMessage(JSON.stringify(equal)));
    if (bad.length > 0 || batch.numRows !== 1) {
      throw new LookupError("invalid-value", `lookup on "${this.name}": ${bad[0]?.reason ?? "invalid values"}`);
    }
    return batch;
  }
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

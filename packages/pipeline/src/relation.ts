import { type ChangeBatch, type ColumnDef, columnsOf } from "@jetflow/core";
import { type KeyedRows, probeKeyedRows } from "@jetflow/operators";
import type { KeyedStore } from "@jetflow/state";
import type { RecordBatch, Schema, Table } from "apache-arrow";
import { type Equalities, type KeyedLookup, lookupKeyed, lookupPlan, lookupRows } from "./lookup.js";
import { Observable } from "rxjs";

export type RelationKind = "source" | "table" | "view";

/** Where a relation's changes go: a downstream view's input, a `changes$` subscriber, a sink. */
export type ChangeSink = (change: ChangeBatch) => void;

/**
 * What a relation offers its readers: its columns, its current rows and its changes.
 *
 * @example
 * ```ts
 * const r = p.relation("by_region");
 * r.columns;                          // [{ name: "region", type }, ...]
 * r.key;                              // ["region"]: the group key of an aggregate view
 * r.changes$.subscribe((c) => {});    // one emission per batch: retractions, then inserts
 * ```
 */
export interface RelationHandle {
  readonly name: string;
  readonly kind: RelationKind;
  readonly columns: readonly ColumnDef[];
  /**
   * The columns that identify a row: a table's primary key, an aggregate view's group columns
   * (as the view names them). Empty when rows have no key (a source, an append-only table, a
   * projection).
   */
  readonly key: readonly string[];
  /** Rows held now (0 for a source). */
  readonly size: number;
  /** The current rows as an Arrow Table; undefined for a source, which keeps none. */
  snapshot(): Table | undefined;
  /** The current rows as plain objects; undefined for a source. */
  rows(): Record<string, unknown>[] | undefined;
  /** Every change from the moment of subscribing, one emission per batch. */
  readonly changes$: Observable<ChangeBatch>;
  /**
   * The rows whose columns equal `equal` (values as in a JSON message: `{ "id": 42 }`; `"42"`
   * reads as an integer too; `null` matches NULL), taken at one instant. An index probe when
   * `equal` covers {@link key} (a table's primary key, an aggregate view's group columns), else
   * a scan of the current rows. A source's lookups find nothing: it keeps no rows.
   * @throws LookupError naming an unknown column or a value that does not parse as its type
   * @example
   * ```ts
   * await p.relation("by_region").lookup({ region: "north" }); // a probe by group key
   * ```
   */
  lookup(equal: Equalities): Promise<Table>;
  /** How {@link lookup} finds rows for these columns: `"index"` (a probe by key) or `"scan"`. */
  lookupPlan(columns: readonly string[]): "index" | "scan";
  /**
   * {@link lookup} for the common case of a probe by key, without an Arrow table: when `equal`
   * names exactly the key's columns (nothing else to compare), the rows found, as the plain values
   * the relation held at that instant (copies), in column order ({@link columns}), unsorted; format them with
   * `@jetflow/core`'s `plainCell`. Undefined when `equal` is not such a probe: call `lookup`.
   * @throws LookupError as {@link lookup} does
   * @example
   * ```ts
   * const found = await p.relation("t").lookupByKey({ id: 42 }); // { rows: [[42, "a", 1.5]] }
   * ```
   */
  lookupByKey(equal: Equalities): Promise<KeyedLookup | undefined>;
}

/**
 * A named node of the dataflow: a source, a table or a view, and the ONE channel its changes
 * leave by. Downstream views, `changes$` subscribers and sinks all `feed()` from it; it pushes
 * each change to them synchronously, so between two source batches the whole graph is
 * consistent.
 */
export abstract class Relation implements RelationHandle {
  /** The sinks fed, in the order they came, each with the columns it reads (undefined: every column). */
  private readonly downstream = new Map<ChangeSink, readonly string[] | undefined>();

  /** Every change from the moment of subscribing; a subscriber reads every column. */
  readonly changes$: Observable<ChangeBatch> = new Observable<ChangeBatch>((subscriber) =>
    this.feed((change) => subscriber.next(change)),
  );

  constructor(
    readonly name: string,
    readonly kind: RelationKind,
  ) {}

  abstract get schema(): Schema;
  abstract get key(): readonly string[];
  abstract snapshot(): Table | undefined;
  abstract rows(): Record<string, unknown>[] | undefined;
  /** The keyed stores holding its state, for checkpoints. */
  abstract stores(): readonly KeyedStore<unknown>[];
  abstract get size(): number;
  /** Rebuilds derived in-memory indexes after its stores were restored from a checkpoint. */
  abstract restored(): void;

  /** The columns of the schema last read (a schema is immutable; lookups read the columns per request). */
  private columnsOfSchema: { readonly schema: Schema; readonly columns: readonly ColumnDef[] } | undefined;

  get columns(): readonly ColumnDef[] {
    const schema = this.schema;
    if (this.columnsOfSchema?.schema !== schema) this.columnsOfSchema = { schema, columns: columnsOf(schema) };
    return this.columnsOfSchema.columns;
  }

  lookup(equal: Equalities): Promise<Table> {
    return lookupRows(this, equal);
  }

  lookupPlan(columns: readonly string[]): "index" | "scan" {
    return lookupPlan(this.key, columns);
  }

  lookupByKey(equal: Equalities): Promise<KeyedLookup | undefined> {
    return lookupKeyed(this, equal);
  }

  /**
   * {@link probeByKey}'s rows as the plain values the relation holds (read only), no Arrow table
   * built; undefined when the relation keeps no index. A keyed table reads its own rows.
   */
  probeRowsByKey(keys: RecordBatch): readonly (readonly unknown[])[] | undefined {
    const rows = this.keyedRows();
    return rows === undefined ? undefined : probeKeyedRows(rows, keys);
  }

  /**
   * The rows whose {@link key} equals a row of `keys` (its columns: the key's, in key order), by
   * an index; undefined when the relation keeps none (then lookups scan).
   */
  probeByKey(_keys: RecordBatch): Table | undefined {
    return undefined;
  }

  /**
   * A keyed table's own rows by primary key, which an INNER or LEFT join (temporal or not) on that
   * key probes instead of keeping a copy; undefined for other relations.
   */
  keyedRows(): KeyedRows | undefined {
    return undefined;
  }

  /**
   * Feeds every change of this relation to `sink`, which reads only `columns` of it when given
   * (other columns may then arrive NULL). Returns the unsubscribe.
   */
  feed(sink: ChangeSink, columns?: readonly string[]): () => void {
    this.downstream.set(sink, columns);
    this.downstreamChanged();
    return () => {
      this.downstream.delete(sink);
      this.downstreamChanged();
    };
  }

  get hasDownstream(): boolean {
    return this.downstream.size > 0;
  }

  /** The names of the columns downstream reads; undefined when some sink reads every column. */
  protected columnsRead(): string[] | undefined {
    const read = new Set<string>();
    for (const columns of this.downstream.values()) {
      if (columns === undefined) return undefined;
      for (const c of columns) read.add(c);
    }
    return [...read];
  }

  /** Called when a sink is added or removed. */
  protected downstreamChanged(): void {}

  protected emit(change: ChangeBatch): void {
    for (const sink of this.downstream.keys()) sink(change);
  }
}

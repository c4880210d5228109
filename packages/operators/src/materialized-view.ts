import { type ChangeBatch, RETRACT, SchemaError, type SqlType } from "@jetflow/core";
import { KeyedStore, type StoreKey } from "@jetflow/state";
import type { RecordBatch, Schema, Table } from "apache-arrow";
import { concat, defer, type Observable, of, Subject } from "rxjs";
import { sqlTypesOf } from "./expr/compile.js";
import { plainColumns } from "./columnar/plain.js";
import { RowSink } from "./columnar/row-sink.js";
import type { Plain } from "./columnar/plain.js";
import { rowKeys, sameValue } from "./columnar/row-key.js";
import { jsRow, tableOf } from "./columnar/table-rows.js";
import { probeKeys } from "./columnar/probe.js";
import { rowsIn } from "./columnar/columns-change.js";

/** One distinct row of a view and how many times it is present. */
interface Entry {
  c: number;
  r: Plain[];
}

/**
 * A materialized view's current rows: a multiset of rows with counts, keyed by the exact row
 * content (see row-key.ts; numeric text is kept as written). `apply()` folds a change in and
 * re-emits it on `changes$`; `snapshot()` / `rows()` read the current rows.
 *
 * A view can feed another operator or view: subscribe to `stream$` (current rows as one
 * insert batch, then every change) or, from the start, to `changes$`.
 *
 * State: one KeyedStore (`opts.id`) from row key (or, `unique`, the key over `indexBy`) to
 * `{ c: count, r: row }`. After restoring
 * it, call {@link restored} so `size` (and the index) is recomputed.
 *
 * With `opts.indexBy` (an aggregate view's group columns) it also keeps an in-memory index from
 * the key over those columns to the rows holding it, so {@link lookup} is a probe, not a scan.
 * With `opts.unique` as well, those columns are a unique key (an aggregate's output has one row
 * per group): rows are stored by that key instead (no key over whole rows, no separate index),
 * and each change applies its retractions before its inserts, so a group's retract(old) +
 * insert(new) lands whatever their order in the batch. A retraction of a row the view does not
 * hold counts in `unmatchedRetractions`; an insert under a key that holds another row (a
 * producer that broke the key) replaces it and counts in `keyConflicts`.
 *
 * @example
 * ```ts
 * const v = new MaterializedView("totals", agg.schema, { id: "view:totals" });
 * source$.pipe(asOperatorFunction(agg)).subscribe((c) => v.apply(c));
 * v.rows(); // [{ customer: "a", total: 42n }, ...]
 * ```
 */
export class MaterializedView {
  readonly store: KeyedStore<unknown>;
  private readonly entries: KeyedStore<Entry>;
  private readonly types: readonly SqlType[];
  private readonly names: readonly string[];
  private readonly subject = new Subject<ChangeBatch>();
  private rowCount = 0;
  /** Positions of the indexed columns, and per key over them the row keys holding it. */
  private readonly indexed: readonly number[];
  private readonly index = new Map<StoreKey, Set<string>>();
  /** Whether the indexed columns are a unique key, rows stored by it. */
  private readonly unique: boolean;
  /** Retractions of rows the view did not hold (a bug upstream, or a view fed from the middle of a stream). */
  unmatchedRetractions = 0;
  /** Inserts under a unique key that held another row (a bug upstream). */
  keyConflicts = 0;

  /** Every change applied to the view, one emission per non-empty batch. */
  readonly changes$: Observable<ChangeBatch> = this.subject.asObservable();

  /** The current rows as one insert batch (when there are any), then every later change. */
  readonly stream$: Observable<ChangeBatch> = defer(() => {
    const now = this.snapshotChange();
    return now === undefined ? this.changes$ : concat(of(now), this.changes$);
  });

  constructor(
    readonly name: string,
    readonly schema: Schema,
    opts: { id: string; indexBy?: readonly string[]; unique?: boolean },
  ) {
    this.entries = new KeyedStore<Entry>(opts.id);
    this.store = this.entries as KeyedStore<unknown>;
    this.types = sqlTypesOf(schema);
    this.names = schema.fields.map((f) => f.name);
    this.indexed = (opts.indexBy ?? []).map((name) => {
      const i = this.names.indexOf(name);
      if (i < 0) throw new SchemaError(`view "${this.name}": cannot index by "${name}", not a column`);
      return i;
    });
    this.unique = opts.unique === true && this.indexed.length > 0;
  }

  /** The columns `lookup` probes by (empty: the view keeps no index). */
  get indexColumns(): readonly string[] {
    return this.indexed.map((i) => this.names[i] as string);
  }

  /** Number of rows, counting duplicates. */
  get size(): number {
    return this.rowCount;
  }

  /** Folds a change into the rows and emits it on `changes$`. */
  apply(change: ChangeBatch): void {
    const n = rowsIn(change);
    if (n === 0) return;
    const columns = plainColumns(change, this.types);
    if (this.unique) this.applyKeyed(columns, n, change.ops);
    else this.applyRows(columns, n, change.ops);
    this.subject.next(change);
  }

  /**
   * {@link apply} of a view whose indexed columns are a unique key: retractions, then inserts.
   * A key the batch retracts and inserts again (an update: retract(old) + insert(new)) keeps its
   * entry, its row array and its key string, the row's values rewritten in place where they
   * changed: what the batch leaves in the view is then only the values that are new, not a new
   * entry, row and key per update for the garbage collector to promote. Entries whose count the
   * retractions took to 0 and no insert revived are deleted last.
   */
  private applyKeyed(columns: readonly (readonly Plain[])[], n: number, ops: Int8Array | undefined): void {
    const keys = this.indexKeys(columns, n) as string[];
    const entries = this.entries;
    const emptied: string[] = [];
    if (ops !== undefined) {
      for (let i = 0; i < n; i++) {
        if (ops[i] !== RETRACT) continue;
        const key = keys[i] as string;
        const entry = entries.get(key);
        if (entry === undefined || entry.c === 0 || !sameRowAt(entry.r, columns, i, this.types)) {
          this.unmatchedRetractions++;
          continue;
        }
        this.rowCount--;
        entry.c--;
        if (entry.c === 0) emptied.push(key);
        else entries.touch(key);
      }
    }
    for (let i = 0; i < n; i++) {
      if (ops !== undefined && ops[i] === RETRACT) continue;
      const key = keys[i] as string;
      const entry = entries.get(key);
      this.rowCount++;
      if (entry === undefined) {
        entries.set(key, { c: 1, r: rowAt(columns, i) });
        continue;
      }
      if (entry.c > 0 && sameRowAt(entry.r, columns, i, this.types)) entry.c++;
      else {
        if (entry.c > 0) {
          this.keyConflicts++;
          this.rowCount -= entry.c;
        }
        overwriteRow(entry.r, columns, i);
        entry.c = 1;
      }
      entries.touch(key);
    }
    for (const key of emptied) if (entries.get(key)?.c === 0) entries.delete(key);
  }

  /** {@link apply} of a multiset of rows, keyed by their whole content. */
  private applyRows(columns: readonly (readonly Plain[])[], n: number, ops: Int8Array | undefined): void {
    const keys = rowKeys(columns, this.types, n, false);
    const indexKeys = this.indexKeys(columns, n);
    for (let i = 0; i < n; i++) {
      const key = keys[i] as string;
      const entry = this.entries.get(key);
      if (ops !== undefined && ops[i] === RETRACT) {
        if (entry === undefined) {
          this.unmatchedRetractions++;
          continue;
        }
        this.rowCount--;
        if (entry.c === 1) {
          this.entries.delete(key);
          if (indexKeys !== undefined) this.unindex(indexKeys[i] as string, key);
        } else {
          entry.c--;
          this.entries.touch(key);
        }
        continue;
      }
      this.rowCount++;
      if (entry !== undefined) {
        entry.c++;
        this.entries.touch(key);
      } else {
        this.entries.set(key, { c: 1, r: rowAt(columns, i) });
        if (indexKeys !== undefined) this.indexRow(indexKeys[i] as string, key);
      }
    }
  }

  /** Call after `store` was restored from a checkpoint. */
  restored(): void {
    this.rowCount = 0;
    for (const e of this.entries.values()) this.rowCount += e.c;
    this.index.clear();
    if (this.indexed.length === 0 || this.unique) return;
    for (const [key, e] of this.entries.entries()) {
      const indexKey = this.indexKeys(
        this.indexed.map((c) => [e.r[c]]),
        1,
        true,
      )?.[0] as string;
      this.indexRow(indexKey, key as string);
    }
  }

  /**
   * The rows whose indexed columns equal a row of `probe` (its columns: `indexBy`'s, in that
   * order): one Map probe per row of `probe`.
   * @throws SchemaError when the view keeps no index
   */
  lookup(probe: RecordBatch): Table {
    return tableOf(this.schema, this.types, this.probe(probe));
  }

  /**
   * {@link lookup}'s rows as the plain values the view holds (read only), no Arrow table built:
   * for an answer of a few rows formatted at once.
   * @throws SchemaError when the view keeps no index
   */
  probe(probe: RecordBatch): Plain[][] {
    if (this.indexed.length === 0) throw new SchemaError(`view "${this.name}" keeps no index`);
    const rows: Plain[][] = [];
    const types = this.indexed.map((c) => this.types[c] as SqlType);
    for (const indexKey of probeKeys(probe, types, false)) {
      if (this.unique) {
        const e = this.entries.get(indexKey as string);
        if (e !== undefined) for (let k = 0; k < e.c; k++) rows.push(e.r);
        continue;
      }
      for (const key of this.index.get(indexKey) ?? []) {
        const e = this.entries.get(key) as Entry;
        for (let k = 0; k < e.c; k++) rows.push(e.r);
      }
    }
    return rows;
  }

  /** Keys over the indexed columns (the same text `colKeys` gives), or undefined without an index. */
  private indexKeys(columns: readonly (readonly Plain[])[], n: number, picked = false): string[] | undefined {
    if (this.indexed.length === 0) return undefined;
    const cols = picked ? columns : this.indexed.map((c) => columns[c] as Plain[]);
    return rowKeys(
      cols,
      this.indexed.map((c) => this.types[c] as SqlType),
      n,
      true,
    );
  }

  private indexRow(indexKey: string, key: string): void {
    let keys = this.index.get(indexKey);
    if (keys === undefined) {
      keys = new Set();
      this.index.set(indexKey, keys);
    }
    keys.add(key);
  }

  private unindex(indexKey: string, key: string): void {
    const keys = this.index.get(indexKey);
    if (keys === undefined) return;
    keys.delete(key);
    if (keys.size === 0) this.index.delete(indexKey);
  }

  private *expanded(): IterableIterator<Plain[]> {
    for (const e of this.entries.values()) for (let k = 0; k < e.c; k++) yield e.r;
  }

  /** The current rows as an Arrow Table (duplicates repeated; no particular order). */
  snapshot(): Table {
    return tableOf(this.schema, this.types, this.expanded());
  }

  /**
   * The current rows as JS objects keyed by column name. bigint stays bigint; numeric and jsonb
   * are text; timestamptz is ISO-8601 UTC with 6 fractional digits (`...T00:00:00.000000Z`, sortable as text), timestamp the same without `Z`; date `YYYY-MM-DD`; bytea a Uint8Array.
   */
  rows(): Record<string, unknown>[] {
    return Array.from(this.expanded(), (r) => jsRow(this.names, this.types, r));
  }

  private snapshotChange(): ChangeBatch | undefined {
    const sink = new RowSink(this.schema, this.types);
    for (const r of this.expanded()) sink.push(r, 1);
    return sink.build();
  }

  /** Completes `changes$` (the pipeline calls this when the view is dropped). */
  close(): void {
    this.subject.complete();
  }
}

/** Row `i` of plain columns, as a new array. */
function rowAt(columns: readonly (readonly Plain[])[], i: number): Plain[] {
  const row = new Array<Plain>(columns.length);
  for (let c = 0; c < columns.length; c++) row[c] = (columns[c] as Plain[])[i];
  return row;
}

/** Whether stored `row` equals row `i` of `columns` ({@link sameValue} per column), no row built. */
function sameRowAt(
  row: readonly Plain[],
  columns: readonly (readonly Plain[])[],
  i: number,
  types: readonly SqlType[],
) {
  for (let c = 0; c < row.length; c++) {
    if (!sameValue(row[c], (columns[c] as Plain[])[i], types[c] as SqlType)) return false;
  }
  return true;
}

/** Writes row `i` of `columns` into stored `row`, keeping each value equal to the one there (`Object.is`). */
function overwriteRow(row: Plain[], columns: readonly (readonly Plain[])[], i: number): void {
  for (let c = 0; c < row.length; c++) {
    const value = (columns[c] as Plain[])[i];
    if (!Object.is(row[c], value)) row[c] = value;
  }
}

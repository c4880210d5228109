import { type ChangeBatch, InvalidOptionError, RETRACT, SchemaError, type SqlType } from "@jetflow/core";
import { KeyedStore, type StoreKey } from "@jetflow/state";
import type { Data, RecordBatch, Schema, Table } from "apache-arrow";
import { sqlTypesOf } from "./expr/compile.js";
import { type Col, fromArrow, repOf } from "./columnar/col.js";
import { concatCols } from "./columnar/concat.js";
import { ColumnMap } from "./columnar/column-map.js";
import { KeyTable } from "./columnar/key-table.js";
import { takeCol } from "./columnar/take.js";
import type { TableOperator } from "./operator.js";
import { fromPlain, type Plain, PlainRowReader } from "./columnar/plain.js";
import { colKeys, hasScalarKeys, sameValue, scalarKeys } from "./columnar/row-key.js";
import { jsRow, tableOf } from "./columnar/table-rows.js";
import { probeKeys } from "./columnar/probe.js";
import type { KeyedRows } from "./columnar/keyed-rows.js";
import { ColumnsChange, rowsIn } from "./columnar/columns-change.js";

/**
 * The upsert operator of a table with a primary key; it is also the table's storage.
 * `snapshot()` gives the table's current rows, `rows()` them as JS objects, `size` their count.
 */
export interface UpsertOperator extends TableOperator {
  /** Input rows with NULL in a primary-key column (kept or dropped per `nullKeys`), since creation. */
  readonly nullKeyRows: number;
  /**
   * Tells the operator which columns its consumers read: retracted rows then carry only those
   * (the others are NULL), which saves re-encoding wide rows nobody reads. Names that are not
   * columns, and `undefined`, mean every column. Stored rows always keep every column.
   */
  emitOnly(columns: readonly string[] | undefined): void;
  /**
   * The stored rows whose primary key equals a row of `probe` (its columns: the key columns in
   * key order, of the key's types): one store probe per row of `probe`, never a scan.
   */
  lookup(probe: RecordBatch): Table;
  /** The stored rows by primary key, for a join that probes the table instead of copying it. */
  readonly rowsByKey: KeyedRows;
}

/** Options of {@link upsert}. */
export interface UpsertOptions {
  /** The id of the operator's state store (unique within a pipeline). */
  readonly id: string;
  /**
   * What a NULL in a primary-key column means.
   * - `"value"`: NULL is a key value like any other (two rows with NULL keys overwrite each
   *   other), as RisingWave's primary keys allow NULL;
   * - `"drop"`: the row is dropped, as PostgreSQL's NOT NULL primary keys would refuse it.
   * Either way such rows are counted in `nullKeyRows`.
   * @default "value"
   */
  readonly nullKeys?: "value" | "drop";
}

/**
 * CREATE TABLE with a primary key: each input row (an insert) replaces the row with its key.
 * Emits insert(new) for a new key, retract(old) + insert(new) for a changed row, nothing for
 * an identical rewrite. An input retraction deletes the row with its key (retract(old)).
 * Within one batch only a key's last write counts; the output lists the retractions of stored
 * rows first, then the inserted rows in input order.
 *
 * Keys are encoded exactly over the key columns (any type, composite keys in column order;
 * see row-key.ts); a key of one numeric column is the number itself ({@link scalarKeys}).
 * NULL in a key column is a key value by default, as in RisingWave (see
 * {@link UpsertOptions.nullKeys} to drop such rows instead); a stream never stops for one.
 *
 * State: one KeyedStore (`opts.id`) from key to the row's plain values, kept by column
 * ({@link ColumnMap}: `rowsByKey` probes read values with no row in between).
 *
 * @example
 * ```ts
 * const t = upsert(schema, ["id"], { id: "orders" });
 * t.process(insertsOf(batch)); // retract+insert pairs for overwritten ids
 * t.snapshot();                // the table now
 * ```
 * @throws SchemaError when the key is empty or names a column the schema lacks
 */
export function upsert(input: Schema, primaryKey: readonly string[], opts: UpsertOptions): UpsertOperator {
  const nullKeys = opts.nullKeys ?? "value";
  if (nullKeys !== "value" && nullKeys !== "drop") {
    throw new InvalidOptionError("nullKeys", `nullKeys must be "value" or "drop", got ${JSON.stringify(nullKeys)}`);
  }
  const names = input.fields.map((f) => f.name);
  if (primaryKey.length === 0) throw new SchemaError("a primary key needs at least one column");
  const keyIndex = primaryKey.map((k) => {
    const i = names.indexOf(k);
    if (i < 0) throw new SchemaError(`primary key column "${k}" is not a column (columns: ${names.join(", ")})`);
    return i;
  });
  const types = sqlTypesOf(input);
  // A key of one integer (or float, or date) column is the number itself: no string per row.
  const scalar = hasScalarKeys(keyIndex.map((i) => types[i] as SqlType));
  // Rows live by column (a probe by key reads values without a row object); the store tracks and checkpoints them as rows.
  const columns = new ColumnMap(types.length);
  const store = new KeyedStore<Plain[], StoreKey>(opts.id, columns);
  const table = new KeyTable();
  // Columns a stored row and its replacement can differ in: not the key, which is equal by
  // construction (except numeric text, where 1.0 and 1.00 are one key but different rows).
  const compared = types.flatMap((t, c) => (keyIndex.includes(c) && t.kind !== "numeric" ? [] : [c]));
  // Columns an overwrite must copy: all but key columns whose equal keys mean identical values
  // (floats and nested values can differ under one key: -0 and 0).
  const copied = types.flatMap((t, c) =>
    keyIndex.includes(c) && SAME_WHEN_KEYS_EQUAL.has(repOf(t)) && t.kind !== "numeric" ? [] : [c],
  );
  let nullKeyRows = 0;
  const rowsByKey: KeyedRows = {
    keyColumns: keyIndex,
    keyTypes: keyIndex.map((i) => types[i] as SqlType),
    scalar,
    get: (key) => store.get(key),
    slotOf: (key) => columns.slotOf(key),
    column: (c) => columns.column(c),
  };
  /** Per column, whether consumers read it; undefined: every column. */
  let only: boolean[] | undefined;

  return {
    schema: input,
    stores: [store as KeyedStore<unknown>],
    get size() {
      return store.size;
    },
    get nullKeyRows() {
      return nullKeyRows;
    },
    rowsByKey,
    emitOnly(columns) {
      const read = new Set(columns);
      if (columns === undefined || [...read].some((c) => !names.includes(c))) {
        only = undefined;
        return;
      }
      const mask = types.map((t, c) => read.has(names[c] as string) || repOf(t) === "nested");
      only = mask.every(Boolean) ? undefined : mask;
    },
    snapshot: () => tableOf(input, types, store.values()),
    rows: () => Array.from(store.values(), (row) => jsRow(names, types, row)),
    lookup(probe) {
      const keyTypes = keyIndex.map((i) => types[i] as SqlType);
      const found: Plain[][] = [];
      for (const key of probeKeys(probe, keyTypes, scalar)) {
        const row = store.get(key);
        if (row !== undefined) found.push(row);
      }
      return tableOf(input, types, found);
    },
    process(change: ChangeBatch): ChangeBatch | undefined {
      const n = rowsIn(change);
      if (n === 0) return undefined;
      const children = change.batch.data.children;
      const cols = types.map((t, c) => fromArrow(children[c] as Data, t));
      const keyCols = keyIndex.map((i) => cols[i] as Col);
      const keys: StoreKey[] = scalar ? scalarKeys(keyCols[0] as Col, n) : colKeys(keyCols, n, true);
      const ops = change.ops;
      // Only a key's last write in the batch matters: `writes[f]` is the last write (row index, or
      // ~index for a delete) of the key first seen at row f; `firsts` lists those rows in order.
      let dropped: Uint8Array | undefined;
      for (let i = 0; i < n; i++) {
        if (!hasNullKey(keyCols, i)) continue;
        nullKeyRows++;
        if (nullKeys !== "drop") continue;
        dropped ??= new Uint8Array(n);
        dropped[i] = 1;
      }
      const firstOf = table.firsts(keys, n, dropped);
      const writes = new Int32Array(n);
      const firsts = new Int32Array(n);
      let unique = 0;
      for (let i = 0; i < n; i++) {
        const f = firstOf[i] as number;
        if (f < 0) continue;
        if (f === i) firsts[unique++] = i;
        writes[f] = ops !== undefined && ops[i] === RETRACT ? ~i : i;
      }
      const repeated = unique < n;
      // Retractions of stored rows come first, then the new rows, taken from the input columns:
      // every retraction refers to a row from an earlier batch, so the order is valid downstream.
      // First decide per key, so the retracted values are read from the table's columns before
      // any of this batch's writes land in them.
      const reader = new PlainRowReader(cols);
      const inserted = new Int32Array(unique);
      const retractedSlots = new Int32Array(unique);
      /** Per decided key: the input row to write, `DELETE`, or `NOTHING`; and the slot its key had (-1: none). */
      const action = new Int32Array(unique);
      const slotOf = new Int32Array(unique);
      let k = 0;
      let r = 0;
      for (let j = 0; j < unique; j++) {
        const first = firsts[j] as number;
        const i = writes[first] as number;
        const slot = columns.slotOf(keys[first] as StoreKey);
        slotOf[j] = slot;
        action[j] = NOTHING;
        if (i < 0) {
          if (slot < 0) continue;
          retractedSlots[r++] = slot;
          action[j] = DELETE;
          continue;
        }
        if (slot >= 0) {
          if (sameAsStored(columns, slot, reader, i, compared, types)) continue;
          retractedSlots[r++] = slot;
        }
        action[j] = i;
        inserted[k++] = i;
      }
      const retracted = r === 0 ? undefined : storedRows(columns, retractedSlots.subarray(0, r), types, only);
      // Slots found above stay valid: a delete frees only its own slot, and only new keys take slots.
      for (let j = 0; j < unique; j++) {
        const a = action[j] as number;
        if (a === NOTHING) continue;
        const key = keys[firsts[j] as number] as StoreKey;
        const slot = slotOf[j] as number;
        if (a === DELETE) store.delete(key);
        else if (slot < 0) store.set(key, reader.row(a));
        else {
          for (let c = 0; c < copied.length; c++) {
            const col = copied[c] as number;
            columns.write(slot, col, reader.at(col, a));
          }
          store.touch(key);
        }
      }
      return combine(retracted, r, cols, sortedPrefix(inserted, k, repeated), n, input, types, only);
    },
  };
}

/** An {@link upsert} decision that writes nothing (an identical rewrite, or a delete of an absent key). */
const NOTHING = 0x7fffffff;
/** An {@link upsert} decision that deletes the stored row. */
const DELETE = -1;

/** Representations whose key text (row-key.ts) is equal only for identical values. */
const SAME_WHEN_KEYS_EQUAL = new Set(["bool", "i16", "i32", "i64", "date", "micros", "str", "bytes", "interval"]);

/** Whether row `i` has a NULL in a key column. */
function hasNullKey(keyCols: readonly Col[], i: number): boolean {
  for (let c = 0; c < keyCols.length; c++) {
    const valid = (keyCols[c] as Col).valid;
    if (valid !== undefined && valid[i] === 0) return true;
  }
  return false;
}

/** The first `k` indexes, ascending (input order), as takeChange wants them; already so without repeated keys. */
function sortedPrefix(idx: Int32Array, k: number, repeated: boolean): Int32Array {
  const prefix = idx.subarray(0, k);
  return repeated ? prefix.sort() : prefix;
}

/**
 * The stored rows in `slots`, column by column (columns `only` leaves out: undefined, NULL if
 * built), read straight from the table's columns.
 */
function storedRows(
  columns: ColumnMap,
  slots: Int32Array,
  types: readonly SqlType[],
  only: readonly boolean[] | undefined,
): (Col | undefined)[] {
  const m = slots.length;
  return types.map((t, c) => {
    if (only?.[c] === false) return undefined;
    const column = columns.column(c);
    const values = new Array<Plain>(m);
    for (let j = 0; j < m; j++) values[j] = column[slots[j] as number] as Plain;
    return fromPlain(values, t);
  });
}

/**
 * `r` retracted rows (columns of {@link storedRows}) followed by the input rows `idx` (inserts),
 * as one change of columns as made (no Arrow built: the operators downstream read them as they
 * are); columns `only` leaves out come out NULL.
 */
function combine(
  retracted: readonly (Col | undefined)[] | undefined,
  r: number,
  cols: readonly Col[],
  idx: Int32Array,
  n: number,
  schema: Schema,
  types: readonly SqlType[],
  only: readonly boolean[] | undefined,
): ChangeBatch | undefined {
  const m = idx.length;
  if (r + m === 0) return undefined;
  const columns = types.map((t, c): Col | undefined => {
    if (only?.[c] === false) return undefined;
    const old = retracted?.[c];
    const col = cols[c] as Col;
    const inserted = m === n ? col : takeCol(col, idx);
    if (old === undefined) return inserted;
    return m === 0 ? old : concatCols([old, inserted], t);
  });
  let ops: Int8Array | undefined;
  if (r > 0) {
    ops = new Int8Array(r + m).fill(1);
    ops.fill(RETRACT, 0, r);
  }
  return new ColumnsChange(schema, types, columns, r + m, ops);
}

/** {@link sameRow} of the stored row in `slot` and row `i` of the batch, over the `compared` columns. */
function sameAsStored(
  columns: ColumnMap,
  slot: number,
  reader: PlainRowReader,
  i: number,
  compared: readonly number[],
  types: readonly SqlType[],
): boolean {
  for (let j = 0; j < compared.length; j++) {
    const c = compared[j] as number;
    if (!sameValue(columns.column(c)[slot], reader.at(c, i), types[c] as SqlType)) return false;
  }
  return true;
}

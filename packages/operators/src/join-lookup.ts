import { type ChangeBatch, RETRACT, type SqlType } from "@jetflow/core";
import type { StoreKey } from "@jetflow/state";
import type { Schema } from "apache-arrow";
import { type Col, repOf } from "./columnar/col.js";
import { type ChangeColumn, ColumnsChange, columnAsIs, columnOf, rowsIn } from "./columnar/columns-change.js";
import type { KeyedRows } from "./columnar/keyed-rows.js";
import { fromPlain, type Plain } from "./columnar/plain.js";
import { colKeys, scalarKeys } from "./columnar/row-key.js";
import { takeCol } from "./columnar/take.js";
import { changeContext } from "./expr/compile.js";
import type { EvalWarnings } from "./expr/context.js";
import type { Expr } from "./expr/expr.js";
import type { Node } from "./expr/node.js";
import { hasNull, isTrue } from "./join-rows.js";
import type { JoinOperator } from "./join.js";

/** What {@link lookupJoin} needs, prepared by `join()`. */
export interface LookupJoinParts {
  readonly kind: "inner" | "left";
  /** The join's output schema and its columns' types: the left input's, then the table's. */
  readonly schema: Schema;
  readonly types: readonly SqlType[];
  readonly leftWidth: number;
  /** The left side's key expressions, compiled, in the table's primary-key order. */
  readonly keys: readonly Node[];
  readonly table: KeyedRows;
  readonly residual: Node | undefined;
  readonly warnings: EvalWarnings;
  /** Per output column, whether consumers (or the residual) read it, for a list of columns read. */
  readonly readBy: (columns: readonly string[] | undefined) => boolean[];
}

/**
 * The left key expressions of a join, in the order of `table`'s primary key, when the join can
 * probe the table itself: the right side's key expressions are exactly its primary-key columns
 * (each once, by their output names) and each left key has a type the table's key encoding
 * gives the same key for. Undefined otherwise (the join then keeps a copy).
 *
 * @example tableKeyOrder(on, rightNames, table, leftTypes) // [col("o.user_id")]
 */
export function tableKeyOrder(
  on: readonly { readonly left: Expr; readonly right: Expr }[],
  rightNames: readonly string[],
  table: KeyedRows,
  leftKeyTypes: readonly SqlType[],
): Expr[] | undefined {
  if (on.length !== table.keyColumns.length) return undefined;
  const ordered = new Array<Expr | undefined>(on.length);
  for (let p = 0; p < on.length; p++) {
    const { left, right } = on[p] as (typeof on)[number];
    if (right.kind !== "column") return undefined;
    const at = table.keyColumns.findIndex((c) => rightNames[c] === right.name);
    if (at < 0 || ordered[at] !== undefined) return undefined;
    if (!sameKeyEncoding(leftKeyTypes[p] as SqlType, table.keyTypes[at] as SqlType)) return undefined;
    ordered[at] = left;
  }
  return ordered as Expr[];
}

/** Integer kinds print the same key text and number; other kinds only match themselves. */
function sameKeyEncoding(a: SqlType, b: SqlType): boolean {
  if (INTEGER.has(a.kind) && INTEGER.has(b.kind)) return true;
  return a.kind === b.kind && a.kind !== "struct" && a.kind !== "list";
}

const INTEGER = new Set(["smallint", "integer", "bigint"]);

/**
 * A temporal (lookup) join of an append-only left input with a keyed table on the table's whole
 * primary key: each left row probes the table's own rows ({@link KeyedRows}) as they are when the
 * row arrives, so the join stores nothing, and a left row matches at most one table row. The
 * table's changes need no work here (they do not revise past output). The table's rows are in
 * the table's own store, which the same checkpoint covers and which is updated before its
 * changes move on, so restored runs probe what an uninterrupted one would.
 */
export function lookupJoin(parts: LookupJoinParts): JoinOperator {
  const { kind, schema, types, leftWidth, keys, table, residual, warnings } = parts;
  const leftTypes = types.slice(0, leftWidth);
  let emitted = parts.readBy(undefined);

  /**
   * Output columns of rows `rows` of the input beside the table rows in `slots` (-1: NULL); with
   * `identity`, every input row in order (`rows` unread).
   */
  const gather = (
    change: ChangeBatch,
    cols: (Col | undefined)[],
    rows: Int32Array,
    slots: Int32Array,
    identity: boolean,
  ): ChangeColumn[] => {
    const m = identity ? rowsIn(change) : rows.length;
    return types.map((t, c): ChangeColumn => {
      if (emitted[c] !== true) return undefined;
      if (c < leftWidth) {
        if (identity) return columnAsIs(change, c);
        cols[c] ??= columnOf(change, c, t);
        return takeCol(cols[c] as Col, rows);
      }
      const column = table.column(c - leftWidth);
      if (repOf(t) === "str") return textColumn(t, column, slots, m);
      const values = new Array<Plain>(m);
      for (let j = 0; j < m; j++) {
        const slot = slots[j] as number;
        values[j] = slot < 0 ? null : (column[slot] as Plain);
      }
      return fromPlain(values, t);
    });
  };

  return {
    schema,
    stores: [],
    warnings,
    emitOnly(columns) {
      emitted = parts.readBy(columns);
    },
    sizes: { left: 0, right: 0 },
    probesTable: true,
    restored() {},
    process(side, change) {
      const n = rowsIn(change);
      // The table's changes revise no past output: its rows are probed where they are kept.
      if (side === "right" || n === 0) return undefined;
      const keyCols = keys.map((k) => k.evaluate(changeContext(change, leftTypes, warnings)));
      const slots = new Int32Array(n);
      let hits = probeTable(table, keyCols, n, slots);
      const cols = new Array<Col | undefined>(leftWidth);
      if (residual !== undefined && hits > 0) {
        const candRows = new Int32Array(hits);
        const candSlots = new Int32Array(hits);
        for (let i = 0, k = 0; i < n; i++) {
          if (slots[i] === -1) continue;
          candRows[k] = i;
          candSlots[k++] = slots[i] as number;
        }
        const candidates = new ColumnsChange(
          schema,
          types,
          gather(change, cols, candRows, candSlots, hits === n),
          hits,
          undefined,
        );
        const tried = hits;
        const pass = isTrue(residual.evaluate(changeContext(candidates, types, warnings)), tried);
        for (let k = 0; k < tried; k++) {
          if (pass[k] === 1) continue;
          slots[candRows[k] as number] = -1;
          hits--;
        }
      }
      // Each left row gives at most one row: its match, or (LEFT) itself padded with NULLs.
      const m = kind === "left" ? n : hits;
      if (m === 0) return undefined;
      if (m === n) return new ColumnsChange(schema, types, gather(change, cols, IDENTITY, slots, true), m, change.ops);
      const rows = new Int32Array(m);
      const matched = new Int32Array(m);
      for (let i = 0, k = 0; i < n; i++) {
        if (slots[i] === -1) continue;
        rows[k] = i;
        matched[k++] = slots[i] as number;
      }
      const ops = change.ops;
      let outOps: Int8Array | undefined;
      if (ops !== undefined) {
        for (let j = 0; j < m; j++) {
          if (ops[rows[j] as number] !== RETRACT) continue;
          outOps ??= new Int8Array(m).fill(1);
          outOps[j] = RETRACT;
        }
      }
      return new ColumnsChange(schema, types, gather(change, cols, rows, matched, false), m, outOps);
    },
  };
}

/** `rows` of an identity gather: not read. */
const IDENTITY = new Int32Array(0);

/**
 * Probes the table with each row's key, into `slots` (the row's slot in the table's columns, or
 * -1); returns how many rows matched. A key of one 16/32-bit integer column (the usual foreign
 * key) probes with the value itself: no key array per batch.
 */
function probeTable(table: KeyedRows, keyCols: readonly Col[], n: number, slots: Int32Array): number {
  let hits = 0;
  const first = keyCols[0] as Col;
  const rep = repOf(first.type);
  if (table.scalar && (rep === "i32" || rep === "i16" || rep === "date")) {
    const v = first.values as Int32Array;
    const valid = first.valid;
    for (let i = 0; i < n; i++) {
      const slot = valid !== undefined && valid[i] === 0 ? -1 : table.slotOf(v[i] as number);
      slots[i] = slot;
      if (slot >= 0) hits++;
    }
    return hits;
  }
  const probe: StoreKey[] = table.scalar ? scalarKeys(first, n) : colKeys(keyCols, n, true);
  for (let i = 0; i < n; i++) {
    const slot = hasNull(keyCols, i) ? -1 : table.slotOf(probe[i] as StoreKey);
    slots[i] = slot;
    if (slot >= 0) hits++;
  }
  return hits;
}

/** A text column of the table at `slots` (-1 and NULLs: NULL), in one pass. */
function textColumn(type: SqlType, column: readonly Plain[], slots: Int32Array, m: number): Col {
  const values = new Array<string>(m);
  let valid: Uint8Array | undefined;
  for (let j = 0; j < m; j++) {
    const slot = slots[j] as number;
    const v = slot < 0 ? null : column[slot];
    if (typeof v === "string") values[j] = v;
    else {
      valid ??= new Uint8Array(m).fill(1);
      valid[j] = 0;
      values[j] = "";
    }
  }
  return { type, length: m, values, valid };
}

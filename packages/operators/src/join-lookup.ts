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
   * Output columns of rows `rows` (-1: NULL) of the input beside table rows `found` (undefined:
   * NULL); with `identity`, every input row in order (`rows` unread).
   */
  const gather = (
    change: ChangeBatch,
    cols: (Col | undefined)[],
    rows: Int32Array,
    found: readonly (readonly Plain[] | undefined)[],
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
      const at = c - leftWidth;
      if (repOf(t) === "str") return textColumn(t, found, at, m);
      const values = new Array<Plain>(m);
      for (let j = 0; j < m; j++) {
        const row = found[j];
        values[j] = row === undefined ? null : row[at];
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
      const found = new Array<readonly Plain[] | undefined>(n);
      let hits = probeTable(table, keyCols, n, found);
      const cols = new Array<Col | undefined>(leftWidth);
      if (residual !== undefined && hits > 0) {
        const candRows = new Int32Array(hits);
        const candFound = new Array<readonly Plain[]>(hits);
        for (let i = 0, k = 0; i < n; i++) {
          if (found[i] === undefined) continue;
          candRows[k] = i;
          candFound[k++] = found[i] as readonly Plain[];
        }
        const candidates = new ColumnsChange(
          schema,
          types,
          gather(change, cols, candRows, candFound, hits === n),
          hits,
          undefined,
        );
        const tried = hits;
        const pass = isTrue(residual.evaluate(changeContext(candidates, types, warnings)), tried);
        for (let k = 0; k < tried; k++) {
          if (pass[k] === 1) continue;
          found[candRows[k] as number] = undefined;
          hits--;
        }
      }
      // Each left row gives at most one row: its match, or (LEFT) itself padded with NULLs.
      const m = kind === "left" ? n : hits;
      if (m === 0) return undefined;
      if (m === n) return new ColumnsChange(schema, types, gather(change, cols, IDENTITY, found, true), m, change.ops);
      const rows = new Int32Array(m);
      const matched = new Array<readonly Plain[] | undefined>(m);
      for (let i = 0, k = 0; i < n; i++) {
        if (found[i] === undefined) continue;
        rows[k] = i;
        matched[k++] = found[i];
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
 * Probes the table with each row's key, into `found`; returns how many rows matched. A key of
 * one 16/32-bit integer column (the usual foreign key) probes with the value itself: no key
 * array per batch.
 */
function probeTable(
  table: KeyedRows,
  keyCols: readonly Col[],
  n: number,
  found: (readonly Plain[] | undefined)[],
): number {
  let hits = 0;
  const first = keyCols[0] as Col;
  const rep = repOf(first.type);
  if (table.scalar && (rep === "i32" || rep === "i16" || rep === "date")) {
    const v = first.values as Int32Array;
    const valid = first.valid;
    for (let i = 0; i < n; i++) {
      const row = valid !== undefined && valid[i] === 0 ? undefined : table.get(v[i] as number);
      found[i] = row;
      if (row !== undefined) hits++;
    }
    return hits;
  }
  const probe: StoreKey[] = table.scalar ? scalarKeys(first, n) : colKeys(keyCols, n, true);
  for (let i = 0; i < n; i++) {
    const row = hasNull(keyCols, i) ? undefined : table.get(probe[i] as StoreKey);
    found[i] = row;
    if (row !== undefined) hits++;
  }
  return hits;
}

/** Column `at` of the found rows, as text (undefined rows and NULLs: NULL), in one pass. */
function textColumn(type: SqlType, found: readonly (readonly Plain[] | undefined)[], at: number, m: number): Col {
  const values = new Array<string>(m);
  let valid: Uint8Array | undefined;
  for (let j = 0; j < m; j++) {
    const row = found[j];
    const v = row === undefined ? null : row[at];
    if (typeof v === "string") values[j] = v;
    else {
      valid ??= new Uint8Array(m).fill(1);
      valid[j] = 0;
      values[j] = "";
    }
  }
  return { type, length: m, values, valid };
}

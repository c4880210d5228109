import { type ChangeBatch, RETRACT, SchemaError, type SqlType, sqlField } from "@jetflow/core";
import { KeyedStore, type StoreKey } from "@jetflow/state";
import { type Data, Schema } from "apache-arrow";
import { batchOf, type Col, fromArrow, nullData, toArrow } from "./columnar/col.js";
import { fromPlain, type Plain, PlainRowReader } from "./columnar/plain.js";
import { colKeys, hasScalarKeys, scalarKeys } from "./columnar/row-key.js";
import { takeCol } from "./columnar/take.js";
import { unsupported } from "./errors.js";
import { compileNode, changeContext, evalContext, sqlTypesOf } from "./expr/compile.js";
import { type EvalWarnings, newWarnings } from "./expr/context.js";
import { col, type Expr, exprColumns } from "./expr/expr.js";
import type { Node } from "./expr/node.js";
import type { KeyedRows } from "./columnar/keyed-rows.js";
import { lookupJoin, tableKeyOrder } from "./join-lookup.js";
import { hasNull, isTrue } from "./join-rows.js";
import {
  type Bucket,
  COUNT,
  type Entry,
  entryOf,
  identityOf,
  isEntry,
  MATCHES,
  reviveBucket,
  type StoredSide,
  store,
  VALUES,
} from "./join-state.js";
import type { ChangeOperator, StatePartitioning } from "./operator.js";
import { rowsIn } from "./columnar/columns-change.js";
import { retractionsFirst } from "./retractions-first.js";
import { shardOfKey } from "./shard-key.js";

/** Which rows a join keeps: matched pairs only, or also the unmatched rows of one or both sides padded with NULLs. */
export type JoinKind = "inner" | "left" | "right" | "full";

/** The two inputs of a join. */
export type JoinSide = "left" | "right";

/** Options of {@link join}. */
export interface JoinOptions {
  /** The id prefix of the operator's state stores (unique within a pipeline). */
  readonly id: string;
  /** @default "inner" */
  readonly kind?: JoinKind;
  /** Names of the output columns: the left input's columns, then the right's, in order (all distinct). */
  readonly names: readonly string[];
  /**
   * Equi-join key pairs: an expression over the left side's columns equals one over the right
   * side's, each naming columns by their output names (`names`).
   */
  readonly on: readonly { readonly left: Expr; readonly right: Expr }[];
  /** A further condition over the output columns (by `names`); NULL and FALSE do not match. */
  readonly residual?: Expr | undefined;
  /**
   * Temporal (lookup) join: the left input is append-only and is not stored; each left row joins
   * the right side as it is when the row arrives, and later right changes do not revise past
   * output. Only for `inner` and `left` joins.
   * @default false
   */
  readonly temporal?: boolean;
  /**
   * The right input's own rows by primary key, when the right input is that keyed table as it
   * is (every column, in order, its changes fed to `process("right", ...)` right after the table
   * applied them). When the equalities are exactly the table's primary key and the join is INNER
   * or LEFT (right rows are never padded), the join keeps no copy of the table: it probes these
   * rows (a temporal join then stores nothing at all). Otherwise this is ignored and the join
   * keeps its own copy.
   */
  readonly table?: KeyedRows | undefined;
  /**
   * Per side, the input columns its rows are unique by (a table's primary key, an aggregate's
   * group columns): a stored row is identified by them instead of by all its values, which is
   * cheaper (one short key per row). Such a side applies a batch's retractions before its inserts,
   * so a key's update (a retraction and an insert in one batch) may come in either order.
   */
  readonly rowKey?: { readonly left?: readonly number[] | undefined; readonly right?: readonly number[] | undefined };
}

/**
 * A two-input operator: each side's changes go in through `process(side, change)`.
 * It shares the rest of {@link ChangeOperator}'s contract (schema, stores, restored, warnings);
 * its partitioning routes each side's rows.
 */
export interface JoinOperator extends Omit<ChangeOperator, "process" | "partitioning"> {
  process(side: JoinSide, change: ChangeBatch): ChangeBatch | undefined;
  /**
   * Tells the operator which output columns its consumers read, before any input: the others
   * come out NULL, and are not stored unless a key or the residual reads them. `undefined`
   * means every column.
   */
  emitOnly(columns: readonly string[] | undefined): void;
  /** Stored rows per side (distinct rows; duplicates share an entry with a count). */
  readonly sizes: { readonly left: number; readonly right: number };
  /**
   * Whether the right side is the table's own rows (`JoinOptions.table` applied): nothing of it is
   * stored, and feeding it the table's current rows (a backfill) would count them twice.
   */
  readonly probesTable: boolean;
  /**
   * How the join splits by its key, when it keeps both sides itself (not a table's own rows): a
   * row meets only rows of its own join key, so N copies, each fed the rows of both sides whose
   * key it owns, together hold and emit exactly what one would.
   */
  readonly partitioning?: JoinPartitioning;
}

/**
 * A join's rows and state entries by join key (see {@link JoinOperator.partitioning}): row i of
 * a change of `side` goes to the copy `shardsOf(side, change, n)[i]`. A row with a NULL key
 * matches nothing and is not stored: it goes to copy 0 (a padded side emits it there).
 *
 * @example
 * ```ts
 * j.partitioning?.shardsOf("left", change, 4); // Int32Array [1, 3, 1]
 * ```
 */
export interface JoinPartitioning extends StatePartitioning {
  shardsOf(side: JoinSide, change: ChangeBatch, shards: number): Int32Array;
}

interface Side extends StoredSide {
  readonly name: JoinSide;
  readonly width: number;
  readonly offset: number;
  readonly keys: readonly Node[];
  readonly keyColumns: ReadonlySet<string>;
  /** Unmatched rows of this side come out padded with NULLs (outer side). */
  readonly padded: boolean;
  /** Rows of this side are stored (not the left of a temporal join, not a table's own rows). */
  readonly stored: boolean;
  /**
   * The side is a keyed table's own rows (`JoinOptions.table`): a bucket is the table row itself
   * (values from index 0, count 1, never padded, so no match count), probed, never written.
   */
  readonly tableRows: boolean;
  /** The bucket of a join key: from the side's store, or the table's row. */
  get(key: StoreKey): Bucket | undefined;
}

/**
 * An incremental equi-join, with an optional residual predicate, of any {@link JoinKind}.
 * Each side's state is a KeyedStore from the join key (row-key.ts encoding of the key values) to
 * the rows with that key and their counts, so a change costs work proportional to its matches.
 * A change on one side joins the other side's current state: Δ(L ⋈ R) = ΔL ⋈ R + L' ⋈ ΔR.
 * Rows with a NULL key never match (SQL equality) and are not stored. Outer joins: a padded row
 * is retracted when its row's first match arrives and comes back when the last match leaves
 * (each stored row counts its matches).
 *
 * @example
 * ```ts
 * const j = join(orders, customers, {
 *   id: "v/join", kind: "left", names: ["o_id", "o_cust", "c_id", "c_name"],
 *   on: [{ left: col("cust"), right: col("id") }],
 * });
 * j.process("right", insertsOf(customerBatch));
 * j.process("left", insertsOf(orderBatch)); // joined rows, NULL-padded where no customer
 * ```
 * @throws SchemaError when `names` does not fit the inputs; ExpressionError when a key or the residual does not compile
 */
export function join(left: Schema, right: Schema, opts: JoinOptions): JoinOperator {
  const kind = opts.kind ?? "inner";
  const widths = [left.fields.length, right.fields.length] as const;
  if (opts.names.length !== widths[0] + widths[1] || new Set(opts.names).size !== opts.names.length) {
    throw new SchemaError(`a join needs ${widths[0] + widths[1]} distinct output names, got ${opts.names.join(", ")}`);
  }
  if (opts.on.length === 0) throw unsupported("a join needs at least one equality between its two sides");
  if (opts.temporal === true && kind !== "inner" && kind !== "left") {
    throw unsupported(`a temporal join is an INNER or LEFT join, not ${kind.toUpperCase()}`);
  }
  const types = [...sqlTypesOf(left), ...sqlTypesOf(right)];
  const schema = new Schema(opts.names.map((n, c) => sqlField(n, types[c] as SqlType)));
  const residual = opts.residual === undefined ? undefined : compileNode(opts.residual, schema);
  if (residual !== undefined && residual.type.kind !== "boolean" && !residual.untyped) {
    throw unsupported(`argument of JOIN/ON must be type boolean, not type ${residual.type.kind}`);
  }
  /** Which input columns a side keeps: its join key's, its row key's and those read. */
  const keptBy = (
    name: JoinSide,
    input: Schema,
    offset: number,
    keyColumns: ReadonlySet<string>,
    read: ReadonlySet<string>,
  ) =>
    input.fields.map(
      (_f, c) =>
        keyColumns.has(opts.names[offset + c] as string) ||
        read.has(opts.names[offset + c] as string) ||
        opts.rowKey?.[name]?.includes(c) === true,
    );
  const readSet = (columns: readonly string[] | undefined) => {
    const read = new Set(columns ?? opts.names);
    if (opts.residual !== undefined) exprColumns(opts.residual, read);
    return read;
  };
  const warnings = newWarnings();

  // The right input's own table rows can stand for its side when the join is on exactly its
  // primary key and right rows are never padded (INNER or LEFT): then no copy is kept.
  const leftNamed = new Schema(schema.fields.slice(0, widths[0]));
  const tableOrder =
    opts.table !== undefined && (kind === "inner" || kind === "left")
      ? tableKeyOrder(
          opts.on,
          opts.names.slice(widths[0]),
          opts.table,
          opts.on.map((p) => compileNode(p.left, leftNamed).type),
        )
      : undefined;
  const table = tableOrder === undefined ? undefined : opts.table;
  if (tableOrder !== undefined && table !== undefined && opts.temporal === true) {
    return lookupJoin({
      kind: kind as "inner" | "left",
      schema,
      types,
      leftWidth: widths[0],
      keys: tableOrder.map((e) => compileNode(e, leftNamed)),
      table,
      residual,
      warnings,
      readBy: (columns) => {
        const read = readSet(columns);
        return opts.names.map((n) => read.has(n));
      },
    });
  }
  // With the table's rows, the equalities go in its key order (its rows are keyed that way).
  const on =
    tableOrder === undefined || table === undefined
      ? opts.on
      : tableOrder.map((e, k) => ({
          left: e,
          right: col(opts.names[widths[0] + (table.keyColumns[k] as number)] as string),
        }));

  const side = (name: JoinSide, input: Schema, offset: number): Side => {
    const keyExprs = on.map((p) => p[name]);
    const keyColumns = new Set<string>();
    for (const e of keyExprs) exprColumns(e, keyColumns);
    // Keys name the side's columns by their output names.
    const named = new Schema(input.fields.map((_f, c) => schema.fields[offset + c] as (typeof schema.fields)[number]));
    const padded = kind === "full" || kind === name;
    const store = new KeyedStore<Bucket, StoreKey>(`${opts.id}/${name}`, undefined, reviveBucket);
    const rowsOfTable = name === "right" && table !== undefined;
    return {
      name,
      width: input.fields.length,
      offset,
      types: sqlTypesOf(input),
      keys: keyExprs.map((e) => compileNode(e, named)),
      keyColumns,
      kept: keptBy(name, input, offset, keyColumns, readSet(undefined)),
      padded,
      stored: !(opts.temporal === true && name === "left") && !rowsOfTable,
      store,
      tableRows: rowsOfTable,
      get: rowsOfTable ? (key) => table?.get(key) as Bucket | undefined : (key) => store.get(key),
      rows: 0,
      identity: opts.rowKey?.[name],
    };
  };
  const sides = { left: side("left", left, 0), right: side("right", right, widths[0]) };
  // A key of one number on both sides is the number itself (no string per row), as in upsert.
  // With the table's rows, keys are encoded as the table encodes its primary key.
  const scalar =
    table?.scalar ??
    (hasScalarKeys(sides.left.keys.map((k) => k.type)) && hasScalarKeys(sides.right.keys.map((k) => k.type)));
  /** Per output column, whether consumers (or the residual) read it: the others come out NULL. */
  let emitted = opts.names.map(() => true);

  /** A change's join key columns on side `s`, and each row's store key. */
  const keysOf = (s: Side, change: ChangeBatch, n: number, counted: EvalWarnings) => {
    const ctx = changeContext(change, s.types, counted);
    const keyCols = s.keys.map((k) => k.evaluate(ctx));
    const keys: StoreKey[] = scalar ? scalarKeys(keyCols[0] as Col, n) : colKeys(keyCols, n, true);
    return { keyCols, keys };
  };
  const partitioning: JoinPartitioning = {
    shardsOf(name, change, shards) {
      const n = rowsIn(change);
      // Warnings are counted where the rows are joined, not here.
      const { keyCols, keys } = keysOf(sides[name], change, n, newWarnings());
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) if (!hasNull(keyCols, i)) out[i] = shardOfKey(String(keys[i]), shards);
      return out;
    },
    entryKeys: [String, String],
  };

  const countRows = (s: Side) => {
    s.rows = 0;
    for (const bucket of s.store.values()) s.rows += isEntry(bucket) ? 1 : bucket.size;
  };

  return {
    schema,
    stores: (table === undefined ? [sides.left.store, sides.right.store] : [sides.left.store]) as KeyedStore<unknown>[],
    probesTable: table !== undefined,
    ...(table === undefined ? { partitioning } : {}),
    warnings,
    emitOnly(columns) {
      const read = readSet(columns);
      sides.left.kept = keptBy("left", left, 0, sides.left.keyColumns, read);
      sides.right.kept = keptBy("right", right, widths[0], sides.right.keyColumns, read);
      emitted = opts.names.map((n) => read.has(n));
    },
    get sizes() {
      return { left: sides.left.rows, right: sides.right.rows };
    },
    restored() {
      countRows(sides.left);
      countRows(sides.right);
    },
    process(name: JoinSide, change: ChangeBatch): ChangeBatch | undefined {
      const n = rowsIn(change);
      if (n === 0) return undefined;
      const s = name === "left" ? sides.left : sides.right;
      const o = name === "left" ? sides.right : sides.left;
      const { keyCols, keys } = keysOf(s, change, n, warnings);
      const ops = change.ops;
      // Rows identified by their input's key: a key's retraction goes before its new row.
      const order = s.identity === undefined || !s.stored || ops === undefined ? undefined : retractionsFirst(ops);
      // Input columns are unpacked only when read (kept), once each.
      const cols = new Array<Col | undefined>(s.width);
      const colAt = (c: number): Col =>
        (cols[c] ??= fromArrow(change.batch.data.children[c] as Data, s.types[c] as SqlType));

      // Each row's bucket on the other side's current state: the rows it may pair with.
      const found = new Array<Bucket | undefined>(n);
      for (let i = 0; i < n; i++) found[i] = hasNull(keyCols, i) ? undefined : o.get(keys[i] as StoreKey);
      // The residual is evaluated over every candidate pair at once, as one batch, in the order
      // the loop below visits them.
      let pass: Uint8Array | undefined;
      if (residual !== undefined) {
        const candRow: number[] = [];
        const candEntry: Entry[] = [];
        for (let r = 0; r < n; r++) {
          const i = order === undefined ? r : (order[r] as number);
          const bucket = found[i];
          if (bucket === undefined) continue;
          if (isEntry(bucket)) {
            candRow.push(i);
            candEntry.push(bucket);
          } else {
            for (const e of bucket.values()) {
              candRow.push(i);
              candEntry.push(e);
            }
          }
        }
        const m = candRow.length;
        const candidates = batchOf(schema, gather(s, colAt, candRow, candEntry, emitted), m);
        pass = m === 0 ? undefined : isTrue(residual.evaluate(evalContext(candidates, types, warnings)), m);
      }

      // Output rows as gather indexes: an input row (-1: NULL) beside an other-side entry (undefined: NULL).
      const outRow: number[] = [];
      const outEntry: (Entry | undefined)[] = [];
      const outOp: number[] = [];
      let retractions = 0;
      const emit = (row: number, entry: Entry | undefined, op: number, times: number) => {
        for (let k = 0; k < times; k++) {
          outRow.push(row);
          outEntry.push(entry);
          outOp.push(op);
        }
        if (op === RETRACT) retractions += times;
      };
      let candidate = 0;
      /** Joins input row `i` with entry `e`; how many matches that makes. */
      const pair = (i: number, e: Entry, sign: number): number => {
        if (pass !== undefined && pass[candidate++] !== 1) return 0;
        const count = o.tableRows ? 1 : e[COUNT];
        emit(i, e, sign, count);
        if (o.padded) {
          const before = e[MATCHES];
          const after = before + sign;
          e[MATCHES] = after;
          o.store.touch(keys[i] as StoreKey);
          if (before === 0 && after > 0) emit(-1, e, RETRACT, count);
          else if (before > 0 && after === 0) emit(-1, e, 1, count);
        }
        return count;
      };
      const reader = s.stored ? new PlainRowReader(s.kept.map((k, c) => (k ? colAt(c) : NULL_COL))) : undefined;
      const ids = s.stored ? colKeys(identityOf(s).map(colAt), n, false) : [];
      for (let r = 0; r < n; r++) {
        const i = order === undefined ? r : (order[r] as number);
        const sign = ops !== undefined && ops[i] === RETRACT ? -1 : 1;
        let matches = 0;
        const bucket = found[i];
        if (bucket !== undefined) {
          if (isEntry(bucket)) matches = pair(i, bucket, sign);
          else for (const e of bucket.values()) matches += pair(i, e, sign);
        }
        if (s.padded && matches === 0) emit(i, undefined, sign, 1);
        if (reader !== undefined && !hasNull(keyCols, i)) {
          store(s, keys[i] as StoreKey, ids[i] as string, sign, () => entryOf(reader, s.kept, i, matches));
        }
      }
      const m = outRow.length;
      if (m === 0) return undefined;
      return {
        batch: batchOf(schema, gather(s, colAt, outRow, outEntry, emitted), m),
        ops: retractions === 0 ? undefined : Int8Array.from(outOp),
      };
    },
  };

  /**
   * The output columns of rows given by gather indexes: side `s`'s columns taken from its input
   * batch at `rows` (-1: NULL), the other side's from the stored `entries` (undefined: NULL).
   * Columns not `kept` come out all NULL.
   */
  function gather(
    s: Side,
    colAt: (c: number) => Col,
    rows: readonly number[],
    entries: readonly (Entry | undefined)[],
    kept: readonly boolean[],
  ): Data[] {
    const m = rows.length;
    const o = s.name === "left" ? sides.right : sides.left;
    return types.map((t, c) => {
      if (kept[c] !== true) return nullData(t, m);
      if (c >= s.offset && c < s.offset + s.width) return toArrow(takeCol(colAt(c - s.offset), rows));
      const at = (o.tableRows ? 0 : VALUES) + c - o.offset;
      const values = new Array<Plain>(m);
      for (let j = 0; j < m; j++) {
        const e = entries[j];
        values[j] = e === undefined ? null : e[at];
      }
      return toArrow(fromPlain(values, t));
    });
  }
}

/** A placeholder for input columns not read. */
const NULL_COL: Col = { type: { kind: "boolean" }, length: 0, values: new Uint8Array(0), valid: undefined };

import { type ChangeBatch, RETRACT, SchemaError, type SqlType, sqlField } from "@jetflow/core";
import { KeyedStore, type StoreKey } from "@jetflow/state";
import { type Data, Schema } from "apache-arrow";
import { type Col, fromArrow } from "./columnar/col.js";
import { type Plain, PlainRowReader } from "./columnar/plain.js";
import { colKeys, hasScalarKeys, scalarKeys } from "./columnar/row-key.js";
import { RowSink } from "./columnar/row-sink.js";
import { unsupported } from "./errors.js";
import { compileNode, evalContext, sqlTypesOf } from "./expr/compile.js";
import { newWarnings } from "./expr/context.js";
import { type Expr, exprColumns } from "./expr/expr.js";
import type { Node } from "./expr/node.js";
import type { ChangeOperator } from "./operator.js";

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
}

/**
 * A two-input operator: each side's changes go in through `process(side, change)`.
 * It shares the rest of {@link ChangeOperator}'s contract (schema, stores, restored, warnings).
 */
export interface JoinOperator extends Omit<ChangeOperator, "process"> {
  process(side: JoinSide, change: ChangeBatch): ChangeBatch | undefined;
  /**
   * Tells the operator which output columns its consumers read, before any input: the others
   * come out NULL and are not stored (keys and the residual's columns always are). `undefined`
   * means every column.
   */
  emitOnly(columns: readonly string[] | undefined): void;
  /** Stored rows per side (distinct rows; duplicates share an entry with a count). */
  readonly sizes: { readonly left: number; readonly right: number };
}

/** A stored row: its plain values (unread columns NULL), its multiplicity, and how many other-side rows it matches. */
type Entry = [row: Plain[], count: number, matches: number];
/** The rows of one join key, by exact row identity. */
type Bucket = Record<string, Entry>;

interface Side {
  readonly name: JoinSide;
  readonly width: number;
  readonly offset: number;
  readonly types: readonly SqlType[];
  readonly keys: readonly Node[];
  readonly keyColumns: ReadonlySet<string>;
  /** Per input column, whether it is kept (read downstream, in a key or in the residual). */
  kept: boolean[];
  /** Unmatched rows of this side come out padded with NULLs (outer side). */
  readonly padded: boolean;
  /** Rows of this side are stored (not the left of a temporal join). */
  readonly stored: boolean;
  readonly store: KeyedStore<Bucket, StoreKey>;
  rows: number;
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
  const keptBy = (input: Schema, offset: number, keyColumns: ReadonlySet<string>, read: ReadonlySet<string>) =>
    input.fields.map(
      (_f, c) => keyColumns.has(opts.names[offset + c] as string) || read.has(opts.names[offset + c] as string),
    );
  const readSet = (columns: readonly string[] | undefined) => {
    const read = new Set(columns ?? opts.names);
    if (opts.residual !== undefined) exprColumns(opts.residual, read);
    return read;
  };
  const warnings = newWarnings();

  const side = (name: JoinSide, input: Schema, offset: number): Side => {
    const keyExprs = opts.on.map((p) => p[name]);
    const keyColumns = new Set<string>();
    for (const e of keyExprs) exprColumns(e, keyColumns);
    // Keys name the side's columns by their output names.
    const named = new Schema(input.fields.map((_f, c) => schema.fields[offset + c] as (typeof schema.fields)[number]));
    const padded = kind === "full" || kind === name;
    return {
      name,
      width: input.fields.length,
      offset,
      types: sqlTypesOf(input),
      keys: keyExprs.map((e) => compileNode(e, named)),
      keyColumns,
      kept: keptBy(input, offset, keyColumns, readSet(undefined)),
      padded,
      stored: !(opts.temporal === true && name === "left"),
      store: new KeyedStore<Bucket, StoreKey>(`${opts.id}/${name}`),
      rows: 0,
    };
  };
  const sides = { left: side("left", left, 0), right: side("right", right, widths[0]) };
  // A key of one number on both sides is the number itself (no string per row), as in upsert.
  const scalar =
    hasScalarKeys(sides.left.keys.map((k) => k.type)) && hasScalarKeys(sides.right.keys.map((k) => k.type));
  let outKept = [...sides.left.kept, ...sides.right.kept];

  const countRows = (s: Side) => {
    s.rows = 0;
    for (const bucket of s.store.values()) s.rows += Object.keys(bucket).length;
  };

  return {
    schema,
    stores: [sides.left.store, sides.right.store] as KeyedStore<unknown>[],
    warnings,
    emitOnly(columns) {
      const read = readSet(columns);
      sides.left.kept = keptBy(left, 0, sides.left.keyColumns, read);
      sides.right.kept = keptBy(right, widths[0], sides.right.keyColumns, read);
      outKept = [...sides.left.kept, ...sides.right.kept];
    },
    get sizes() {
      return { left: sides.left.rows, right: sides.right.rows };
    },
    restored() {
      countRows(sides.left);
      countRows(sides.right);
    },
    process(name: JoinSide, change: ChangeBatch): ChangeBatch | undefined {
      const n = change.batch.numRows;
      if (n === 0) return undefined;
      const s = name === "left" ? sides.left : sides.right;
      const o = name === "left" ? sides.right : sides.left;
      const ctx = evalContext(change.batch, s.types, warnings);
      const keyCols = s.keys.map((k) => k.evaluate(ctx));
      const keys: StoreKey[] = scalar ? scalarKeys(keyCols[0] as Col, n) : colKeys(keyCols, n, true);
      const cols = s.types.map((t, c) => fromArrow(change.batch.data.children[c] as Data, t));
      const keptCols = s.stored ? cols.filter((_, c) => s.kept[c]) : [];
      // Row identities only where rows are stored (not the left of a temporal join).
      const ids = s.stored ? colKeys(keptCols, n, false) : [];
      const reader = new PlainRowReader(cols);
      const rowAt = (i: number): Plain[] => {
        const row = new Array<Plain>(s.width);
        for (let c = 0; c < s.width; c++) row[c] = s.kept[c] ? reader.at(c, i) : null;
        return row;
      };

      // Candidate pairs against the other side's current state; the residual is evaluated over all at once.
      const rows: Plain[][] = new Array(n);
      const pairStart = new Int32Array(n + 1);
      const pairs: Entry[] = [];
      const pairKeys: StoreKey[] = [];
      for (let i = 0; i < n; i++) {
        pairStart[i] = pairs.length;
        rows[i] = rowAt(i);
        if (hasNull(keyCols, i)) continue;
        const bucket = o.store.get(keys[i] as StoreKey);
        if (bucket === undefined) continue;
        for (const id in bucket) {
          pairs.push(bucket[id] as Entry);
          pairKeys.push(keys[i] as StoreKey);
        }
      }
      pairStart[n] = pairs.length;
      const pass =
        residual === undefined
          ? undefined
          : evaluateResidual(residual, pairs, pairStart, rows, s, schema, types, warnings);

      const out = new RowSink(schema, types, Math.max(16, pairs.length), outKept.every(Boolean) ? undefined : outKept);
      const combined = (mine: Plain[] | undefined, theirs: Plain[] | undefined): Plain[] => {
        const l = s.name === "left" ? mine : theirs;
        const r = s.name === "left" ? theirs : mine;
        const row = new Array<Plain>(types.length).fill(null);
        if (l !== undefined) for (let c = 0; c < widths[0]; c++) row[c] = l[c];
        if (r !== undefined) for (let c = 0; c < widths[1]; c++) row[widths[0] + c] = r[c];
        return row;
      };
      const ops = change.ops;
      for (let i = 0; i < n; i++) {
        const sign = ops !== undefined && ops[i] === RETRACT ? -1 : 1;
        const row = rows[i] as Plain[];
        let matches = 0;
        for (let p = pairStart[i] as number; p < (pairStart[i + 1] as number); p++) {
          if (pass !== undefined && pass[p] !== 1) continue;
          const e = pairs[p] as Entry;
          const joined = combined(row, e[0]);
          for (let k = 0; k < e[1]; k++) out.push(joined, sign);
          matches += e[1];
          if (o.padded) {
            const before = e[2];
            e[2] += sign;
            o.store.touch(pairKeys[p] as StoreKey);
            if (before === 0 && e[2] > 0) pushTimes(out, combined(undefined, e[0]), RETRACT, e[1]);
            else if (before > 0 && e[2] === 0) pushTimes(out, combined(undefined, e[0]), 1, e[1]);
          }
        }
        if (s.padded && matches === 0) out.push(combined(row, undefined), sign);
        if (s.stored && !hasNull(keyCols, i)) store(s, keys[i] as StoreKey, ids[i] as string, row, sign, matches);
      }
      return out.build();
    },
  };
}

/** Adds (`sign` 1) or removes (-1) one copy of a row in its key's bucket. */
function store(s: Side, key: StoreKey, id: string, row: Plain[], sign: number, matches: number): void {
  let bucket = s.store.get(key);
  const entry = bucket?.[id];
  if (sign > 0) {
    if (entry !== undefined) entry[1]++;
    else {
      bucket ??= {};
      bucket[id] = [row, 1, matches];
      s.store.set(key, bucket);
      s.rows++;
    }
    s.store.touch(key);
    return;
  }
  // A retraction of a row never stored (bad upstream input) changes nothing.
  if (bucket === undefined || entry === undefined) return;
  if (--entry[1] === 0) {
    delete bucket[id];
    s.rows--;
    let empty = true;
    for (const _ in bucket) {
      empty = false;
      break;
    }
    if (empty) s.store.delete(key);
    else s.store.touch(key);
  } else s.store.touch(key);
}

function pushTimes(out: RowSink, row: Plain[], op: number, times: number): void {
  for (let k = 0; k < times; k++) out.push(row, op);
}

function hasNull(cols: readonly Col[], i: number): boolean {
  for (let c = 0; c < cols.length; c++) {
    const valid = (cols[c] as Col).valid;
    if (valid !== undefined && valid[i] === 0) return true;
  }
  return false;
}

/** The residual over every candidate pair, as one batch: 1 where it is TRUE. */
function evaluateResidual(
  residual: Node,
  pairs: readonly Entry[],
  pairStart: Int32Array,
  rows: readonly Plain[][],
  s: Side,
  schema: Schema,
  types: readonly SqlType[],
  warnings: ReturnType<typeof newWarnings>,
): Uint8Array {
  const m = pairs.length;
  const sink = new RowSink(schema, types, Math.max(1, m));
  const width = types.length;
  for (let i = 0; i + 1 < pairStart.length; i++) {
    const mine = rows[i] as Plain[];
    for (let p = pairStart[i] as number; p < (pairStart[i + 1] as number); p++) {
      const theirs = (pairs[p] as Entry)[0];
      const row = new Array<Plain>(width);
      const [l, r] = s.name === "left" ? [mine, theirs] : [theirs, mine];
      for (let c = 0; c < l.length; c++) row[c] = l[c];
      for (let c = 0; c < r.length; c++) row[l.length + c] = r[c];
      sink.push(row, 1);
    }
  }
  const built = sink.build();
  const pass = new Uint8Array(m);
  if (built === undefined) return pass;
  const v = residual.evaluate(evalContext(built.batch, types, warnings));
  const values = v.values as Uint8Array;
  for (let p = 0; p < m; p++) pass[p] = values[p] === 1 && (v.valid === undefined || v.valid[p] === 1) ? 1 : 0;
  return pass;
}

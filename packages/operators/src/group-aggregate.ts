import { type ChangeBatch, RETRACT, type SqlType, sqlField } from "@jetflow/core";
import { KeyedStore } from "@jetflow/state";
import { type Data, Schema } from "apache-arrow";
import {
  type AggSpec,
  accumulate,
  aggSpec,
  countSpecial,
  finalizeAcc,
  type MultisetEntry,
  initialAcc,
  type SpecialCounts,
} from "./aggregates.js";
import { StringAggLists, stringAggItem, stringAggOrder } from "./aggregates-string.js";
import { AggregateValues } from "./aggregate-values.js";
import { unsupported } from "./errors.js";
import { changeContext, compileNode, sqlTypesOf } from "./expr/compile.js";
import { newWarnings } from "./expr/context.js";
import type { Node } from "./expr/node.js";
import type { AggregateCall, NamedExpr } from "./expr/expr.js";
import { RowSink } from "./columnar/row-sink.js";
import type { ChangeOperator } from "./operator.js";
import type { Col } from "./columnar/col.js";
import { KeyTable } from "./columnar/key-table.js";
import { madeCol, rowsIn } from "./columnar/columns-change.js";
import { type Plain, PlainRowReader, plainValues } from "./columnar/plain.js";
import { colKeys, sameRow } from "./columnar/row-key.js";
import { shardOfKey } from "./shard-key.js";

/** A group's state: row count, group values, one accumulator per aggregate. */
interface Group {
  n: number;
  g: Plain[];
  a: Plain[];
}

/**
 * `SELECT g..., agg(...)... GROUP BY g...`: output rows are the group columns then the
 * aggregates. Per batch, every changed group emits retract(old row) + insert(new row) once
 * (nothing when its row did not change); a group whose rows are all retracted disappears.
 * With no GROUP BY there is always exactly one row (count 0, sum NULL), as in PostgreSQL;
 * {@link ChangeOperator.initial} emits it before the first batch.
 *
 * min/max stay correct under retraction: each group keeps a multiset of its values (in a
 * store, with an in-memory ordered index rebuilt by `restored()`), shared by the aggregates of
 * the same argument (aggregate-values.ts). string_agg keeps a multiset of (value, ORDER BY keys)
 * items the same way and concatenates them again when its group changes (aggregates-string.ts).
 * count/sum/avg DISTINCT count a value when its multiplicity goes 0 -> 1 and uncount it on 1 -> 0.
 *
 * State: `${id}` (groups) and `${id}:values` (multisets).
 *
 * @example
 * ```ts
 * const agg = groupAggregate(schema, [{ name: "customer", expr: col("customer") }],
 *   [{ name: "total", fn: "sum", arg: col("amount"), distinct: false }], { id: "totals" });
 * ```
 * @throws ExpressionError when an expression or aggregate does not apply to its types
 */
export function groupAggregate(
  input: Schema,
  groupBy: readonly NamedExpr[],
  aggregates: readonly AggregateCall[],
  opts: { id: string },
): ChangeOperator {
  const groupNodes = groupBy.map((g) => compileNode(g.expr, input));
  const argNodes = aggregates.map((a) => (a.arg === undefined ? undefined : compileNode(a.arg, input)));
  const specs = aggregates.map((a, j) => aggSpec(a, argNodes[j]?.type));
  /** string_agg's ORDER BY keys, compiled; empty for other aggregates. */
  const orderNodes = aggregates.map((a) => (a.orderBy ?? []).map((o) => compileNode(o.expr, input)));
  const groupTypes = groupNodes.map((n) => n.type);
  for (const [i, t] of groupTypes.entries()) {
    if (t.kind === "struct" || t.kind === "list")
      throw unsupported(`cannot GROUP BY ${groupBy[i]?.name} of type ${t.kind}`);
  }
  const outTypes = [...groupTypes, ...specs.map((s) => s.outType)];
  const schema = new Schema([
    ...groupBy.map((g, i) => sqlField(g.name, groupTypes[i] as SqlType)),
    ...aggregates.map((a, j) => sqlField(a.name, (specs[j] as AggSpec).outType)),
  ]);
  const inputTypes = sqlTypesOf(input);
  const groups = new KeyedStore<Group>(opts.id);
  const multisets = new KeyedStore<MultisetEntry>(`${opts.id}:values`);
  const values = new AggregateValues(
    specs,
    argNodes.map((n) => n?.type),
    multisets,
  );
  const texts = new StringAggLists(
    multisets,
    specs.map((s, j) =>
      s.kind === "string_agg"
        ? stringAggOrder(
            aggregates[j]?.orderBy ?? [],
            (orderNodes[j] as Node[]).map((n) => n.type),
          )
        : undefined,
    ),
  );
  const warnings = newWarnings();
  const global = groupBy.length === 0;
  const table = new KeyTable();
  /** The input column of a GROUP BY on one text column (varchar, jsonb), grouped by its bytes; else -1. */
  const textColumn = textGroupColumn(groupBy, input);

  // Called twice per group a batch touches (its old row, its new one): the row is allocated at
  // its final size, values set in place (spread + push grew it to a 17-slot backing store).
  const outputRow = (key: string, group: Group): Plain[] => {
    const g = group.g;
    const row = new Array<Plain>(g.length + specs.length);
    for (let c = 0; c < g.length; c++) row[c] = g[c] as Plain;
    for (let j = 0; j < specs.length; j++) {
      const spec = specs[j] as AggSpec;
      let value: Plain;
      if (spec.kind === "string_agg") {
        const call = spec.call;
        value = texts.text(j, key, call.delimiter ?? null, call.distinct);
      } else if (spec.kind === "min") value = values.first(values.setOf[j] as number, key);
      else if (spec.kind === "max") value = values.last(values.setOf[j] as number, key);
      else value = finalizeAcc(spec, group.a[j], group.n);
      row[g.length + j] = value;
    }
    return row;
  };

  const newGroup = (g: Plain[]): Group => ({ n: 0, g, a: specs.map(initialAcc) });

  /**
   * The batch's rows by group: each row's first row with the same key (`firstOf`), and the key
   * and the group values of such a first row. One text column is grouped by the strings an
   * operator below made, else by its Arrow bytes (only each group's first row is read as text).
   */
  const groupsOf = (change: ChangeBatch, n: number, keyTable: KeyTable, ctx: ReturnType<typeof changeContext>) => {
    if (textColumn >= 0) {
      let text: (i: number) => string | null;
      let firstOf: Int32Array;
      const made = madeCol(change, textColumn);
      if (made !== undefined) {
        const values = made.values as string[];
        const valid = made.valid;
        firstOf = keyTable.firstsOfStrings(values, valid, n);
        text = (i) => (valid !== undefined && valid[i] === 0 ? null : (values[i] as string));
      } else {
        const data = change.batch.data.children[textColumn] as Data;
        firstOf = keyTable.firstsOfText(data, n);
        text = (i) => textAt(data, i);
      }
      return { firstOf, keyAt: (i: number) => textKey(text(i)), valuesAt: (i: number): Plain[] => [text(i)] };
    }
    const groupCols = groupNodes.map((node) => node.evaluate(ctx));
    const keys = global ? new Array<string>(n).fill("") : colKeys(groupCols, n, true);
    const reader = new PlainRowReader(groupCols);
    return {
      firstOf: keyTable.firsts(keys, n),
      keyAt: (i: number) => keys[i] as string,
      valuesAt: (i: number) => reader.row(i),
    };
  };

  /** Rows by key for {@link OperatorPartitioning.shardsOf}: a table of its own (`table`'s result is reused). */
  const routing = new KeyTable();
  /** Each row's shard: `shardOfKey` of its group key, computed once per group of the batch. */
  const shardsOf = (change: ChangeBatch, shards: number): Int32Array => {
    const n = rowsIn(change);
    // Warnings are counted where the rows are aggregated, not here.
    const { firstOf, keyAt } = groupsOf(change, n, routing, changeContext(change, inputTypes, newWarnings()));
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const f = firstOf[i] as number;
      out[i] = f < i ? (out[f] as number) : shardOfKey(keyAt(i), shards);
    }
    return out;
  };

  return {
    schema,
    stores: [groups as KeyedStore<unknown>, multisets as KeyedStore<unknown>],
    warnings,
    ...(global
      ? {}
      : {
          partitioning: {
            shardsOf,
            entryKeys: [(key) => key as string, (_key, value) => (value as MultisetEntry)[2]],
          },
        }),
    initial(): ChangeBatch | undefined {
      if (!global || groups.has("")) return undefined;
      const group = newGroup([]);
      groups.set("", group);
      const sink = new RowSink(schema, outTypes);
      sink.push(outputRow("", group), 1);
      return sink.build();
    },
    restored(): void {
      values.clear();
      texts.clear();
      for (const [mkey, entry] of multisets.entries()) {
        const j = Number(mkey.slice(0, mkey.indexOf(":")));
        if (!values.restore(j, entry)) texts.restore(j, entry);
      }
    },
    process(change: ChangeBatch): ChangeBatch | undefined {
      const n = rowsIn(change);
      if (n === 0) return undefined;
      const ctx = changeContext(change, inputTypes, warnings);
      const { firstOf, keyAt, valuesAt } = groupsOf(change, n, table, ctx);
      const ops = change.ops;
      // Rows -> batch-local group slots: one store lookup per group, not per row.
      const slot = new Int32Array(n);
      const recs: Group[] = [];
      const gkeys: string[] = [];
      /** Old output row of each group this batch touches (null: the group did not exist). */
      const olds: (Plain[] | null)[] = [];
      for (let i = 0; i < n; i++) {
        const f = firstOf[i] as number;
        if (f < i) {
          slot[i] = slot[f] as number;
          continue;
        }
        const key = keyAt(i);
        slot[i] = recs.length;
        gkeys.push(key);
        let group = groups.get(key);
        olds.push(group === undefined ? null : outputRow(key, group));
        if (group === undefined) {
          group = newGroup(valuesAt(i));
          groups.set(key, group);
        } else groups.touch(key);
        recs.push(group);
      }
      const m = recs.length;
      const rowCounts = new Int32Array(m);
      for (let i = 0; i < n; i++) {
        const g = slot[i] as number;
        rowCounts[g] = (rowCounts[g] as number) + (ops !== undefined && ops[i] === RETRACT ? -1 : 1);
      }
      for (let g = 0; g < m; g++) (recs[g] as Group).n += rowCounts[g] as number;
      /** Per value set, which rows' values crossed multiplicity 0 (each set moves once per batch). */
      const movedSets: (Uint8Array | undefined)[] = [];
      for (let j = 0; j < specs.length; j++) {
        const spec = specs[j] as AggSpec;
        if (spec.kind === "count_star") continue;
        const arg = (argNodes[j] as Node).evaluate(ctx);
        const columnar = spec.kind === "count" || spec.sumKind === "float" || (spec.sumKind === "int" && n < 4_000_000);
        if (!spec.multiset && columnar) {
          accumulateColumn(spec, j, arg, slot, ops, recs);
          continue;
        }
        if (spec.kind === "string_agg") {
          const items = plainValues(arg);
          const keyNodes = orderNodes[j] as Node[];
          const keyTypes = keyNodes.map((k) => k.type);
          const keyValues = keyNodes.map((k) => plainValues(k.evaluate(ctx)));
          for (let i = 0; i < n; i++) {
            const v = items[i];
            if (v === null) continue;
            const keys = keyValues.map((column) => column[i]);
            const item = stringAggItem(v as string, keys, keyTypes, spec.call.distinct);
            texts.move(j, gkeys[slot[i] as number] as string, item, ops !== undefined && ops[i] === RETRACT ? -1 : 1);
          }
          continue;
        }
        const column = plainValues(arg);
        const s = values.setOf[j] as number;
        // A multiset moves once, with the first aggregate that reads it; its DISTINCT readers count
        // the values whose multiplicity crossed 0.
        let crossed: Uint8Array | undefined;
        if (s >= 0) {
          crossed = movedSets[s] ?? values.move(s, column, ops, slot, gkeys);
          movedSets[s] = crossed;
          if (spec.kind === "min" || spec.kind === "max") continue;
        }
        for (let i = 0; i < n; i++) {
          const v = column[i];
          if (v === null || (crossed !== undefined && crossed[i] === 0)) continue;
          const sign = ops !== undefined && ops[i] === RETRACT ? -1 : 1;
          const group = recs[slot[i] as number] as Group;
          group.a[j] = accumulate(spec, group.a[j], v, sign);
        }
      }
      const sink = new RowSink(schema, outTypes);
      for (let g = 0; g < m; g++) {
        const key = gkeys[g] as string;
        const group = recs[g] as Group;
        const old = olds[g] as Plain[] | null;
        if (group.n <= 0 && !global) {
          groups.delete(key);
          if (old !== null) sink.push(old, RETRACT);
          continue;
        }
        const row = outputRow(key, group);
        if (old !== null && sameRow(old, row, outTypes)) continue;
        if (old !== null) sink.push(old, RETRACT);
        sink.push(row, 1);
      }
      return sink.build();
    },
  };
}

/** The input column index when the only group key is a varchar or jsonb column as it is; else -1. */
function textGroupColumn(groupBy: readonly NamedExpr[], input: Schema): number {
  const only = groupBy.length === 1 ? groupBy[0]?.expr : undefined;
  if (only?.kind !== "column") return -1;
  const index = input.fields.findIndex((f) => f.name === only.name);
  if (index < 0) return -1;
  const kind = sqlTypesOf(input)[index]?.kind;
  return kind === "varchar" || kind === "jsonb" ? index : -1;
}

/** A group key of one text column: length-prefixed text, `~` for NULL (as `colKeys` makes it). */
function textKey(t: string | null): string {
  return t === null ? "~" : `${t.length}:${t}`;
}

const utf8 = new TextDecoder();

/** Row `i` of UTF-8 Arrow data as text, or null. */
function textAt(data: Data, i: number): string | null {
  const at = data.offset + i;
  if (data.nullCount > 0 && (((data.nullBitmap as Uint8Array)[at >> 3] as number) & (1 << (at & 7))) === 0) return null;
  const offsets = data.valueOffsets as Int32Array; // sliced with the data (the bitmap is not)
  return utf8.decode((data.values as Uint8Array).subarray(offsets[i] as number, offsets[i + 1] as number));
}

/**
 * count(x), and sum/avg of integers and floats, column at a time: per-group partial counts and
 * sums of this batch in typed arrays, then one update per group. Integer partial sums are exact
 * (|sum| < 2^53 for fewer than 4M rows of 32-bit values); float sums are added in a different
 * order than row by row, which only moves rounding.
 */
function accumulateColumn(
  spec: AggSpec,
  j: number,
  arg: Col,
  slot: Int32Array,
  ops: Int8Array | undefined,
  recs: Group[],
): void {
  const n = arg.length;
  const m = recs.length;
  const counts = new Int32Array(m);
  const valid = arg.valid;
  if (spec.kind === "count") {
    for (let i = 0; i < n; i++) {
      if (valid !== undefined && valid[i] === 0) continue;
      const g = slot[i] as number;
      counts[g] = (counts[g] as number) + (ops !== undefined && ops[i] === RETRACT ? -1 : 1);
    }
    for (let g = 0; g < m; g++) {
      const group = recs[g] as Group;
      group.a[j] = (group.a[j] as number) + (counts[g] as number);
    }
    return;
  }
  const sums = new Float64Array(m);
  const values = arg.values as Float64Array;
  // Float NaN and ±Infinity are counted per group, not added (see SpecialCounts); rare, so found lazily.
  let specials: { g: number; v: number; sign: number }[] | undefined;
  for (let i = 0; i < n; i++) {
    if (valid !== undefined && valid[i] === 0) continue;
    const g = slot[i] as number;
    const sign = ops !== undefined && ops[i] === RETRACT ? -1 : 1;
    const v = values[i] as number;
    counts[g] = (counts[g] as number) + sign;
    if (v - v === 0) sums[g] = (sums[g] as number) + sign * v;
    else {
      specials ??= [];
      specials.push({ g, v, sign });
    }
  }
  for (let g = 0; g < m; g++) {
    const c = counts[g] as number;
    const d = sums[g] as number;
    if (c === 0 && d === 0) continue;
    const pair = (recs[g] as Group).a[j] as [number, number | bigint];
    pair[0] += c;
    const s = pair[1];
    if (spec.sumKind === "float") pair[1] = (s as number) + d;
    else if (typeof s === "number" && Number.isSafeInteger(s + d)) pair[1] = s + d;
    else pair[1] = BigInt(s) + BigInt(d);
  }
  for (const { g, v, sign } of specials ?? []) {
    countSpecial(((recs[g] as Group).a[j] as unknown[])[2] as SpecialCounts, v, sign);
  }
}

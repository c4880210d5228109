import { type ChangeBatch, RETRACT, type SqlType, sqlField } from "@jetflow/core";
import { KeyedStore } from "@jetflow/state";
import { Schema } from "apache-arrow";
import { type AggSpec, accumulate, aggSpec, finalizeAcc, initialAcc } from "./aggregates.js";
import { type Comparator, comparatorOf } from "./compare.js";
import { unsupported } from "./errors.js";
import { compileNode, evalContext, sqlTypesOf } from "./expr/compile.js";
import { newWarnings } from "./expr/context.js";
import type { Node } from "./expr/node.js";
import type { AggregateCall, NamedExpr } from "./expr.js";
import { type ChangeOperator, RowSink } from "./operator.js";
import { type Plain, plainValues } from "./plain.js";
import { keyPart, rowKeys } from "./row-key.js";
import { SortedList } from "./sorted-list.js";
import { sameRow } from "./upsert.js";

/** The order of min/max values: SQL order, equal numerics (1.0, 1.00) told apart by their text. */
function orderOf(type: SqlType): Comparator {
  const cmp = comparatorOf(type);
  if (type.kind !== "numeric") return cmp;
  return (a, b) => cmp(a, b) || (a === b ? 0 : (a as string) < (b as string) ? -1 : 1);
}

/** A group's state: row count, group values, one accumulator per aggregate. */
interface Group {
  n: number;
  g: Plain[];
  a: Plain[];
}

/** A value's multiplicity in one group's multiset for aggregate `j`: [count, value, group key]. */
type MultisetEntry = [number, Plain, string];

/**
 * `SELECT g..., agg(...)... GROUP BY g...`: output rows are the group columns then the
 * aggregates. Per batch, every changed group emits retract(old row) + insert(new row) once
 * (nothing when its row did not change); a group whose rows are all retracted disappears.
 * With no GROUP BY there is always exactly one row (count 0, sum NULL), as in PostgreSQL;
 * {@link ChangeOperator.initial} emits it before the first batch.
 *
 * min/max stay correct under retraction: each group keeps a multiset of its values (in a
 * store, with an in-memory ordered index rebuilt by `restored()`). count/sum/avg DISTINCT
 * count a value when its multiplicity goes 0 -> 1 and uncount it on 1 -> 0.
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
  const orders = specs.map((s, j) =>
    s.kind === "min" || s.kind === "max" ? comparatorOf(argNodes[j]?.type as SqlType) : undefined,
  );
  /** Ordered distinct values per `${j}:${groupKey}`, for min/max: derived from `multisets`. */
  const indexes = new Map<string, SortedList<Plain>>();
  const warnings = newWarnings();
  const global = groupBy.length === 0;

  const indexOf = (j: number, groupKey: string): SortedList<Plain> => {
    const id = `${j}:${groupKey}`;
    let list = indexes.get(id);
    if (list === undefined) {
      list = new SortedList<Plain>(orders[j] as Comparator);
      indexes.set(id, list);
    }
    return list;
  };

  const outputRow = (key: string, group: Group): Plain[] => {
    const row = [...group.g];
    specs.forEach((spec, j) => {
      if (spec.kind === "min" || spec.kind === "max") {
        const list = indexes.get(`${j}:${key}`);
        row.push((spec.kind === "min" ? list?.first() : list?.last()) ?? null);
      } else row.push(finalizeAcc(spec, group.a[j], group.n));
    });
    return row;
  };

  const newGroup = (g: Plain[]): Group => ({ n: 0, g, a: specs.map(initialAcc) });

  /** Moves one value in or out of a group's multiset for aggregate j; true when its multiplicity crossed 0. */
  const moveValue = (j: number, groupKey: string, value: Plain, sign: number, type: SqlType): boolean => {
    const spec = specs[j] as AggSpec;
    const ordered = spec.kind === "min" || spec.kind === "max";
    // DISTINCT counts equal numerics once (1.0 = 1.00); min/max keep each text so the one shown is present.
    const mkey = `${j}:${groupKey}${keyPart(value, type, !ordered)}`;
    const entry = multisets.get(mkey);
    if (entry === undefined) {
      if (sign < 0) return false; // retraction of a value never counted: ignore rather than go negative
      multisets.set(mkey, [1, value, groupKey]);
      if (ordered) indexOf(j, groupKey).insert(value);
      return true;
    }
    entry[0] += sign;
    if (entry[0] === 0) {
      multisets.delete(mkey);
      if (ordered) {
        const list = indexOf(j, groupKey);
        list.delete(entry[1]);
        if (list.size === 0) indexes.delete(`${j}:${groupKey}`);
      }
      return true;
    }
    multisets.touch(mkey);
    return false;
  };

  return {
    schema,
    stores: [groups as KeyedStore<unknown>, multisets as KeyedStore<unknown>],
    warnings,
    initial(): ChangeBatch | undefined {
      if (!global || groups.has("")) return undefined;
      const group = newGroup([]);
      groups.set("", group);
      const sink = new RowSink(schema, outTypes);
      sink.push(outputRow("", group), 1);
      return sink.build();
    },
    restored(): void {
      indexes.clear();
      for (const [mkey, [, value, groupKey]] of multisets.entries()) {
        const j = Number(mkey.slice(0, mkey.indexOf(":")));
        if (orders[j] !== undefined) indexOf(j, groupKey).insert(value);
      }
    },
    process(change: ChangeBatch): ChangeBatch | undefined {
      const n = change.batch.numRows;
      if (n === 0) return undefined;
      const ctx = evalContext(change.batch, inputTypes, warnings);
      const groupValues = groupNodes.map((node) => plainValues(node.evaluate(ctx)));
      const keys = global ? new Array<string>(n).fill("") : rowKeys(groupValues, groupTypes, n, true);
      const args = argNodes.map((node: Node | undefined) =>
        node === undefined ? undefined : plainValues(node.evaluate(ctx)),
      );
      const ops = change.ops;
      /** Old output row of each group this batch touches (null: the group did not exist). */
      const before = new Map<string, Plain[] | null>();
      for (let i = 0; i < n; i++) {
        const key = keys[i] as string;
        const sign = ops !== undefined && ops[i] === RETRACT ? -1 : 1;
        let group = groups.get(key);
        if (!before.has(key)) {
          before.set(key, group === undefined ? null : outputRow(key, group));
          if (group !== undefined) groups.touch(key);
        }
        if (group === undefined) {
          group = newGroup(groupValues.map((c) => c[i]));
          groups.set(key, group);
        }
        group.n += sign;
        for (let j = 0; j < specs.length; j++) {
          const spec = specs[j] as AggSpec;
          if (spec.kind === "count_star") continue;
          const v = (args[j] as Plain[])[i];
          if (v === null) continue;
          if (spec.multiset) {
            const crossed = moveValue(j, key, v, sign, argNodes[j]?.type as SqlType);
            if (!crossed || !spec.call.distinct || spec.kind === "min" || spec.kind === "max") continue;
          }
          group.a[j] = accumulate(spec, group.a[j], v, sign);
        }
      }
      const sink = new RowSink(schema, outTypes);
      for (const [key, old] of before) {
        const group = groups.get(key) as Group;
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

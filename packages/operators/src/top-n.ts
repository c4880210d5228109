import { type ChangeBatch, InvalidOptionError, RETRACT, type SqlType } from "@jetflow/core";
import { KeyedStore } from "@jetflow/state";
import type { Schema } from "apache-arrow";
import { type Comparator, comparatorOf } from "./columnar/compare.js";
import { compileNode, changeContext, sqlTypesOf } from "./expr/compile.js";
import { newWarnings } from "./expr/context.js";
import type { Expr } from "./expr/expr.js";
import { plainColumns } from "./columnar/plain.js";
import { RowSink } from "./columnar/row-sink.js";
import type { ChangeOperator, OperatorPartitioning } from "./operator.js";
import { type Plain, plainValues } from "./columnar/plain.js";
import { rowKeys } from "./columnar/row-key.js";
import { SortedList } from "./columnar/sorted-list.js";
import { columnOf, rowsIn } from "./columnar/columns-change.js";
import { retractionsFirst } from "./retractions-first.js";
import { shardOfKey } from "./shard-key.js";

/** A distinct input row: multiplicity, values, sort-key values. */
type Entry = [count: number, row: Plain[], sort: Plain[]];

/**
 * What the ordered index holds: the sort values, the row key as the tie-breaker. Ordered by one
 * key of a number type (the common `ORDER BY score DESC`), it also holds that key's place as two
 * numbers compared without the generic path: its class (`c`: NULLs first, NaN first in DESC,
 * numbers, NaN last in ASC, NULLs last) and, for a number, its value (`v`, negated in DESC).
 */
interface Ranked {
  readonly sort: Plain[];
  readonly key: string;
  readonly c: number;
  readonly v: number;
}

/**
 * A top-N: its rows split by row identity ({@link OperatorPartitioning}), and its window as rows.
 *
 * Split in two phases: N copies of `topN(input, orderBy, offset + limit, 0)`, each fed the rows
 * it owns, and one `topN(input, orderBy, limit, offset)` fed their changes emit what one
 * `topN(input, orderBy, limit, offset)` does: a row in the window ranks within its own copy's
 * first `offset + limit`, ties are broken by the same row identity everywhere, so the merge holds
 * every row the window can take.
 */
export interface TopNOperator extends ChangeOperator {
  readonly partitioning: OperatorPartitioning;
  /** The rows in the window now, as inserts (each as many times as it is in it); undefined when empty. */
  window(): ChangeBatch | undefined;
}

export interface OrderKey {
  readonly expr: Expr;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
}

/**
 * `ORDER BY ... LIMIT limit OFFSET offset` kept live: the output holds the rows ranked
 * [offset, offset + limit) by the order (ties broken by row content, so the result is
 * deterministic). All input rows stay in state, so a retraction pulls the next row back in.
 * Per batch it costs O(batch * log(state)) plus O(offset + limit) to diff the window.
 *
 * A row is identified by its whole content (rows are counted), or, given `opts.key`, by those
 * columns alone: for an input whose rows are unique by them (a table's primary key), which is
 * cheaper (one short key per row) and lets a row whose values change be replaced. A keyed top-N
 * applies a batch's retractions before its inserts, so a key's update may come in either order.
 *
 * State: one KeyedStore (`opts.id`) from row key to [count, row, sort values]; the ordered
 * index is rebuilt by `restored()`. It splits by row key: see {@link TopNOperator} for running
 * it as shards.
 *
 * @example
 * ```ts
 * const top = topN(schema, [{ expr: col("score"), desc: true, nullsFirst: true }], 10, 0, { id: "top10" });
 * ```
 */
export function topN(
  input: Schema,
  orderBy: readonly OrderKey[],
  limit: number,
  offset: number,
  opts: { readonly id: string; readonly key?: readonly number[] },
): TopNOperator {
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new InvalidOptionError("limit", `LIMIT must be a whole number >= 0, got ${limit}`);
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidOptionError("offset", `OFFSET must be a whole number >= 0, got ${offset}`);
  }
  const types = sqlTypesOf(input);
  const nodes = orderBy.map((o) => compileNode(o.expr, input));
  const cmps = nodes.map((n) => comparatorOf(n.type));
  const store = new KeyedStore<Entry>(opts.id);
  const warnings = newWarnings();

  const byNumber =
    orderBy.length === 1 &&
    ["smallint", "integer", "real", "double precision"].includes((nodes[0] as { type: SqlType }).type.kind);
  const rankedOf = (sort: Plain[], key: string): Ranked => {
    if (!byNumber) return { sort, key, c: 0, v: 0 };
    const x = sort[0] as number | null;
    const o = orderBy[0] as OrderKey;
    if (x === null) return { sort, key, c: o.nullsFirst ? 0 : 4, v: 0 };
    if (Number.isNaN(x)) return { sort, key, c: o.desc ? 1 : 3, v: 0 };
    return { sort, key, c: 2, v: o.desc ? -x : x };
  };
  const compareNumbers = (a: Ranked, b: Ranked): number =>
    a.c - b.c || (a.v < b.v ? -1 : a.v > b.v ? 1 : 0) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const compareValues = (a: Ranked, b: Ranked): number => {
    for (let k = 0; k < orderBy.length; k++) {
      const o = orderBy[k] as OrderKey;
      const x = a.sort[k];
      const y = b.sort[k];
      let c: number;
      if (x === null || y === null) {
        if (x === y) continue;
        c = (x === null) === o.nullsFirst ? -1 : 1;
      } else {
        c = (cmps[k] as Comparator)(x, y);
        if (o.desc) c = -c;
      }
      if (c !== 0) return c;
    }
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  };
  const index = new SortedList<Ranked>(byNumber ? compareNumbers : compareValues);

  /** The window's rows: key -> multiplicity within [offset, offset + limit). */
  const windowCounts = (): Map<string, number> => {
    const out = new Map<string, number>();
    let rank = 0;
    const end = offset + limit;
    for (const r of index) {
      if (rank >= end) break;
      const c = (store.get(r.key) as Entry)[0];
      const from = Math.max(rank, offset);
      const to = Math.min(rank + c, end);
      if (to > from) out.set(r.key, to - from);
      rank += c;
    }
    return out;
  };

  const identity = opts.key;
  const keyTypes = identity?.map((c) => types[c] as SqlType);
  /** Every row's identity, from its columns: its key columns, or its whole content. */
  const keysOf = (columns: readonly (readonly Plain[])[], n: number): string[] => {
    if (identity === undefined) return rowKeys(columns, types, n, false);
    return rowKeys(
      identity.map((c) => columns[c] as Plain[]),
      keyTypes as SqlType[],
      n,
      true,
    );
  };

  return {
    schema: input,
    stores: [store as KeyedStore<unknown>],
    warnings,
    partitioning: {
      shardsOf(change: ChangeBatch, shards: number): Int32Array {
        const n = rowsIn(change);
        // Only the columns the identity reads.
        const read = types.map((t, c) =>
          identity === undefined || identity.includes(c) ? plainValues(columnOf(change, c, t)) : [],
        );
        const keys = keysOf(read, n);
        const out = new Int32Array(n);
        for (let i = 0; i < n; i++) out[i] = shardOfKey(keys[i] as string, shards);
        return out;
      },
      entryKeys: [(key) => key as string],
    },
    window(): ChangeBatch | undefined {
      const sink = new RowSink(input, types);
      for (const [key, times] of windowCounts()) {
        const row = (store.get(key) as Entry)[1];
        for (let k = 0; k < times; k++) sink.push(row, 1);
      }
      return sink.build();
    },
    restored(): void {
      index.clear();
      for (const [key, entry] of store.entries()) index.insert(rankedOf(entry[2], key));
    },
    process(change: ChangeBatch): ChangeBatch | undefined {
      const n = rowsIn(change);
      if (n === 0 || limit === 0) return undefined;
      const ctx = changeContext(change, types, warnings);
      const sortValues = nodes.map((node) => plainValues(node.evaluate(ctx)));
      const columns = plainColumns(change, types);
      const keys = keysOf(columns, n);
      const before = windowCounts();
      const gone = new Map<string, Plain[]>(); // window rows that left the state this batch, to retract from the output
      // Entries whose count fell to 0 stay (count 0, out of the index) until the batch ends, so a
      // key's update, its retraction then its insert, rewrites its entry instead of deleting it
      // from the store and adding it again.
      const zeroed: string[] = [];
      const ops = change.ops;
      const order = identity === undefined || ops === undefined ? undefined : retractionsFirst(ops);
      for (let r = 0; r < n; r++) {
        const i = order === undefined ? r : (order[r] as number);
        const key = keys[i] as string;
        const sign = ops !== undefined && ops[i] === RETRACT ? -1 : 1;
        const entry = store.get(key);
        if (entry === undefined || entry[0] === 0) {
          if (sign < 0) continue;
          const row = valuesAt(columns, i);
          const sort = valuesAt(sortValues, i);
          if (entry === undefined) store.set(key, [1, row, sort]);
          else {
            entry[0] = 1;
            entry[1] = row;
            entry[2] = sort;
            store.touch(key);
          }
          index.insert(rankedOf(sort, key));
          continue;
        }
        entry[0] += sign;
        if (entry[0] === 0) {
          zeroed.push(key);
          index.delete(rankedOf(entry[2], key));
          if (before.has(key)) gone.set(key, entry[1]);
        } else store.touch(key);
      }
      // A row in and out twice in one batch is listed twice: the first pass deletes it.
      for (const key of zeroed) if (store.get(key)?.[0] === 0) store.delete(key);
      const after = windowCounts();
      const sink = new RowSink(input, types);
      // A key that left and came back in this batch was replaced: its old row goes, its new one comes.
      const replaced = (k: string): boolean => identity !== undefined && gone.has(k) && store.has(k);
      for (const [k, was] of before) {
        const extra = replaced(k) ? was : was - (after.get(k) ?? 0);
        const row = (gone.get(k) ?? (store.get(k) as Entry)[1]) as Plain[];
        for (let c = 0; c < extra; c++) sink.push(row, RETRACT);
      }
      for (const [k, now] of after) {
        const extra = replaced(k) ? now : now - (before.get(k) ?? 0);
        const row = (store.get(k) as Entry)[1];
        for (let c = 0; c < extra; c++) sink.push(row, 1);
      }
      return sink.build();
    },
  };
}

/** Row `i` of columns of plain values, as one array. */
function valuesAt(columns: readonly (readonly Plain[])[], i: number): Plain[] {
  const out = new Array<Plain>(columns.length);
  for (let c = 0; c < columns.length; c++) out[c] = (columns[c] as readonly Plain[])[i] as Plain;
  return out;
}

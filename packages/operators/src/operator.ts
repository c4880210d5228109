import type { ChangeBatch } from "@jetflow/core";
import type { KeyedStore, StoreKey } from "@jetflow/state";
import type { Schema, Table } from "apache-arrow";
import { concat, defer, Observable, type OperatorFunction, of } from "rxjs";
import type { EvalWarnings } from "./expr/context.js";
import { rowsIn } from "./columnar/columns-change.js";

/**
 * A synchronous, batch-at-a-time operator. `process()` returns the output change
 * (undefined = nothing changed). All state lives in `stores`, so restoring them restores
 * the operator (then call `restored()` to rebuild derived in-memory indexes).
 *
 * @example
 * ```ts
 * const f = filter(schema, call(">", col("amount"), lit(100)));
 * const out = f.process({ batch, ops: undefined });
 * ```
 */
export interface ChangeOperator {
  /** Output schema (fields built with core's `sqlField`, so SQL types are known). */
  readonly schema: Schema;
  process(input: ChangeBatch): ChangeBatch | undefined;
  /** State to checkpoint (empty for stateless operators). */
  readonly stores: readonly KeyedStore<unknown>[];
  /** Called after the stores were restored from a checkpoint. */
  restored?(): void;
  /**
   * Output due before any input: a global aggregate's single row (`count` 0, `sum` NULL).
   * Returns undefined when there is none, or when the state (e.g. restored) already emitted it.
   */
  initial?(): ChangeBatch | undefined;
  /** Rows turned NULL by evaluation errors (division by zero, overflow, invalid casts). */
  readonly warnings?: EvalWarnings;
  /**
   * How the state splits by key, for an operator whose rows never meet rows of another key (a
   * GROUP BY's groups): then N copies of it, each fed the rows whose key it owns, together hold
   * and emit exactly what one would. Undefined when the state does not split (a global aggregate).
   */
  readonly partitioning?: OperatorPartitioning;
}

/**
 * How an operator's state entries split by key: an entry of store `s` belongs with the copy
 * `shardOfKey(entryKeys[s](key, value), n)` of `n`. Rows are routed by `shardOfKey` of the same
 * key, so a checkpoint taken with any number of copies restores into any other.
 */
export interface StatePartitioning {
  /** Per store, in the operator's `stores` order: the key an entry belongs with. */
  readonly entryKeys: readonly ((key: StoreKey, value: unknown) => string)[];
}

/**
 * An operator's rows and state entries by key (see {@link ChangeOperator.partitioning}): row i
 * goes to the copy `shardsOf(change, n)[i]`, an entry as {@link StatePartitioning} says.
 *
 * @example
 * ```ts
 * const p = groupAggregate(schema, groupBy, aggregates, { id: "a" }).partitioning;
 * p?.shardsOf(change, 4); // Int32Array [2, 0, 2]: row i's shard of 4
 * ```
 */
export interface OperatorPartitioning extends StatePartitioning {
  /** Each row's shard of `shards`: `shardOfKey` of the key the operator keeps its state under. */
  shardsOf(change: ChangeBatch, shards: number): Int32Array;
}

/**
 * An operator that is also a table's storage: a keyed table's upsert, or an append-only table.
 *
 * @example
 * ```ts
 * const t: TableOperator = upsert(schema, ["id"], { id: "orders" });
 * t.process(insertsOf(batch));
 * t.rows(); // [{ id: 1, ... }]
 * ```
 */
export interface TableOperator extends ChangeOperator {
  /** The table's current rows as an Arrow Table (in no particular order). */
  snapshot(): Table;
  /** The current rows as JS objects (value forms as in `MaterializedView.rows()`). */
  rows(): Record<string, unknown>[];
  /** Number of rows the table holds. */
  readonly size: number;
}

/**
 * The operator as an RxJS operator: one emission per non-empty output batch, in order.
 * Emits the operator's {@link ChangeOperator.initial} output first, on subscribe.
 *
 * @example
 * ```ts
 * source$.pipe(asOperatorFunction(filter(schema, pred)), asOperatorFunction(groupAggregate(...)))
 * ```
 */
export function asOperatorFunction(op: ChangeOperator): OperatorFunction<ChangeBatch, ChangeBatch> {
  return (source: Observable<ChangeBatch>) =>
    defer(() => {
      const first = op.initial?.();
      const rest = new Observable<ChangeBatch>((subscriber) =>
        source.subscribe({
          next(change) {
            let out: ChangeBatch | undefined;
            try {
              out = op.process(change);
            } catch (e) {
              subscriber.error(e);
              return;
            }
            if (out !== undefined && out.batch.numRows > 0) subscriber.next(out);
          },
          error: (e) => subscriber.error(e),
          complete: () => subscriber.complete(),
        }),
      );
      return first === undefined ? rest : concat(of(first), rest);
    });
}

/** An empty-or-not check so operators return undefined instead of empty batches. */
export function nonEmpty(change: ChangeBatch): ChangeBatch | undefined {
  return rowsIn(change) === 0 ? undefined : change;
}

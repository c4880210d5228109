import { type ChangeBatch, type ColumnDef, type PackedRecordBatch, sqlField, unpackRecordBatch } from "@jetflow/core";
import {
  type AggregateCall,
  type ChangeOperator,
  type Expr,
  groupAggregate,
  type JoinKind,
  type JoinOperator,
  type JoinSide,
  join,
  type NamedExpr,
  type OrderKey,
  type StatePartitioning,
  type TopNOperator,
  topN,
} from "@jetflow/operators";
import { Schema } from "apache-arrow";

/**
 * What an operator thread builds a shard from: plain data (it crosses threads), so the main
 * thread's copy and every shard are built from the same spec ({@link operatorOfSpec},
 * {@link joinOfSpec}).
 *
 * @example
 * ```ts
 * const spec: ShardSpec = { kind: "aggregate", id: "v/1-aggregate", input: columnsOf(schema), groupBy, aggregates };
 * ```
 */
export type ShardSpec = AggregateShardSpec | JoinShardSpec | TopNShardSpec;

/** A GROUP BY with keys. */
export interface AggregateShardSpec {
  readonly kind: "aggregate";
  /** The operator's state id (its stores' ids derive from it, as unsharded). */
  readonly id: string;
  readonly input: readonly ColumnDef[];
  readonly groupBy: readonly NamedExpr[];
  readonly aggregates: readonly AggregateCall[];
}

/** A join that keeps both sides itself (see `JoinOperator.partitioning`); the names are `JoinOptions`'. */
export interface JoinShardSpec {
  readonly kind: "join";
  readonly id: string;
  readonly left: readonly ColumnDef[];
  readonly right: readonly ColumnDef[];
  readonly join: JoinKind;
  readonly names: readonly string[];
  readonly on: readonly { readonly left: Expr; readonly right: Expr }[];
  readonly residual: Expr | undefined;
  readonly temporal: boolean;
  /** Per side, the input columns its rows are unique by (`JoinOptions.rowKey`). */
  readonly rowKey: { readonly left: readonly number[] | undefined; readonly right: readonly number[] | undefined };
}

/**
 * A shard of a top-N (see `TopNOperator`): it keeps the first `keep` rows (the view's offset +
 * limit) of the rows it owns; the main thread merges the shards' windows.
 */
export interface TopNShardSpec {
  readonly kind: "topN";
  readonly id: string;
  readonly input: readonly ColumnDef[];
  readonly orderBy: readonly OrderKey[];
  readonly keep: number;
  /** The input columns that identify a row (topN's `key`); undefined: its whole content. */
  readonly key: readonly number[] | undefined;
}

/** A schema of columns, field by field (not schemaOf: an operator's input may repeat a name a join produced). */
export function schemaOfColumns(columns: readonly ColumnDef[]): Schema {
  return new Schema(columns.map((c) => sqlField(c.name, c.type)));
}

/** The GROUP BY a spec describes. */
export function operatorOfSpec(spec: AggregateShardSpec): ChangeOperator {
  return groupAggregate(schemaOfColumns(spec.input), spec.groupBy, spec.aggregates, { id: spec.id });
}

/** The join a spec describes. */
export function joinOfSpec(spec: JoinShardSpec): JoinOperator {
  const { id, join: kind, names, on, residual, temporal, rowKey } = spec;
  return join(schemaOfColumns(spec.left), schemaOfColumns(spec.right), {
    id,
    kind,
    names,
    on,
    residual,
    temporal,
    rowKey,
  });
}

/** The top-N shard a spec describes. */
export function topNOfSpec(spec: TopNShardSpec): TopNOperator {
  const { id, key } = spec;
  return topN(schemaOfColumns(spec.input), spec.orderBy, spec.keep, 0, { id, ...(key === undefined ? {} : { key }) });
}

/**
 * A shard as its operator thread runs it: the operator a spec describes, fed packed batches of its
 * input (a join's: of one side).
 */
export interface Shard {
  readonly op: ChangeOperator | JoinOperator | TopNOperator;
  readonly partitioning: StatePartitioning;
  /** Unpacks a batch of input `side` (an aggregate's: undefined) and applies it. */
  process(side: JoinSide | undefined, packed: PackedRecordBatch, ops: Int8Array | undefined): ChangeBatch | undefined;
}

/** The shard a spec describes. */
export function shardOfSpec(spec: ShardSpec): Shard {
  if (spec.kind === "aggregate" || spec.kind === "topN") {
    const op = spec.kind === "aggregate" ? operatorOfSpec(spec) : topNOfSpec(spec);
    const input = schemaOfColumns(spec.input);
    return {
      op,
      partitioning: partitioningOf(op, spec.id),
      process: (_side, packed, ops) => op.process({ batch: unpackRecordBatch(input, packed), ops }),
    };
  }
  const op = joinOfSpec(spec);
  const inputs = { left: schemaOfColumns(spec.left), right: schemaOfColumns(spec.right) };
  return {
    op,
    partitioning: partitioningOf(op, spec.id),
    process: (side, packed, ops) => {
      if (side === undefined) throw new Error(`operator thread: join ${spec.id} got a batch of no side`);
      return op.process(side, { batch: unpackRecordBatch(inputs[side], packed), ops });
    },
  };
}

/** An operator's partitioning: one that does not split by key cannot be sharded. */
export function partitioningOf<P>(op: { readonly partitioning?: P }, id: string): P {
  if (op.partitioning === undefined) throw new TypeError(`operator ${id} does not split by key`);
  return op.partitioning;
}

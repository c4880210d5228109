import { type ColumnDef, sqlField } from "@jetflow/core";
import { type AggregateCall, type ChangeOperator, groupAggregate, type NamedExpr } from "@jetflow/operators";
import { Schema } from "apache-arrow";

/**
 * What an operator thread builds a shard from: plain data (it crosses threads), so the main
 * thread's copy and every shard are built by {@link operatorOfSpec} from the same spec.
 *
 * @example
 * ```ts
 * const spec: ShardSpec = { kind: "aggregate", id: "v/1-aggregate", input: columnsOf(schema), groupBy, aggregates };
 * ```
 */
export interface ShardSpec {
  readonly kind: "aggregate";
  /** The operator's state id (its stores' ids derive from it, as unsharded). */
  readonly id: string;
  readonly input: readonly ColumnDef[];
  readonly groupBy: readonly NamedExpr[];
  readonly aggregates: readonly AggregateCall[];
}

/** The schema of the operator's input, as every thread builds it from the spec. */
export function inputSchemaOf(spec: ShardSpec): Schema {
  // Field by field (not schemaOf): an operator's input may repeat a name a join produced.
  return new Schema(spec.input.map((c) => sqlField(c.name, c.type)));
}

/** The operator a spec describes. */
export function operatorOfSpec(spec: ShardSpec): ChangeOperator {
  return groupAggregate(inputSchemaOf(spec), spec.groupBy, spec.aggregates, { id: spec.id });
}

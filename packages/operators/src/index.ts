export type {
  Expr,
  LiteralValue,
  ScalarFn,
  AggregateFn,
  AggregateCall,
  AggregateOrder,
  NamedExpr,
} from "./expr/expr.js";
export { col, lit, call, exprColumns, exprKey, exprEquals, readsColumns, renameColumns } from "./expr/expr.js";
export type { ChangeOperator, OperatorPartitioning, StatePartitioning, TableOperator } from "./operator.js";
export { asOperatorFunction } from "./operator.js";
export type { CompiledExpr } from "./expr/compile.js";
export { compileExpr } from "./expr/compile.js";
export type { EvalWarnings } from "./expr/context.js";
export { sumWarnings } from "./expr/context.js";
export { ExpressionError } from "./errors.js";
export { appendOnly } from "./append-only.js";
export { appendOnlyTable } from "./append-only-table.js";
export type { UpsertOperator, UpsertOptions } from "./upsert.js";
export { upsert } from "./upsert.js";
export { filter } from "./filter.js";
export { project } from "./project.js";
export { groupAggregate } from "./group-aggregate.js";
export { shardOfKey } from "./shard-key.js";
export { tumble } from "./tumble.js";
export type { OrderKey, TopNOperator } from "./top-n.js";
export { topN } from "./top-n.js";
export { MaterializedView } from "./materialized-view.js";
export type { JoinKind, JoinOperator, JoinOptions, JoinPartitioning, JoinSide } from "./join.js";
export type { KeyedRows } from "./columnar/keyed-rows.js";
export { probeKeyedRows } from "./columnar/keyed-rows.js";
export { join } from "./join.js";
export type { UnionOperator } from "./union.js";
export { union } from "./union.js";
export { hop } from "./hop.js";
export type { TemporalFilterOperator, TemporalFilterOptions } from "./temporal-filter.js";
export { temporalFilter } from "./temporal-filter.js";
export { ColumnsChange, rowsIn } from "./columnar/columns-change.js";
export { takeChange } from "./columnar/take.js";
export { concatChanges } from "./columnar/concat.js";
export { consolidate } from "./columnar/consolidate.js";
export { lastPerKey } from "./columnar/last-per-key.js";

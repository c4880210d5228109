export type {
  IncludeColumn,
  FormatSpec,
  IngestSpec,
  SourceSpec,
  TableSpec,
  SinkSpec,
  ViewQuery,
  Statement,
  Catalog,
  SqlFrontend,
  ParsedStatement,
} from "./spec.js";
export { Pipeline, pipeline } from "./pipeline.js";
export type { ViewHandle } from "./view-handle.js";
export type { PipelineStatus } from "./status.js";
export type { RelationHandle, RelationKind } from "./relation.js";
export type { PipelineOptions, StateOption } from "./options.js";
export { defaultWorkers, SHARDS_ENV, WORKERS_ENV } from "./workers.js";
export type { DecodeIn } from "./decode-placement.js";
export { DECODE_IN_ENV } from "./decode-placement.js";
export type { BadMessagePolicy } from "./bad-message-policy.js";
export { GROUP_WITH_KEYS, PIPELINE_WITH_KEYS } from "./bad-message-policy.js";
export {
  PARTITION_COUNT_KEY,
  PARTITION_TOKEN_KEY,
  partitionCountOption,
  partitionTokenOf,
  partitionShareOptions,
} from "./partition-token.js";
export type { CheckpointResult } from "@jetflow/state";
export { Metrics, PipelineMetrics } from "./metrics.js";
export type { OrderColumn, OrderPlan, LimitPlan } from "./view-plan.js";
export type { AggregateParts, AggregateCallSpec, CountedAggregateFn } from "./aggregate-call.js";
export { COUNTED_AGGREGATES, aggregatePartsOf, aggregateCallExpr } from "./aggregate-call.js";
export { freshName, orderColumnName, assembleView, GroupedPlan } from "./view-plan.js";
export type { FromEntry, FromRelation, JoinCondition, PlanErrors } from "./join-plan.js";
export {
  andAll,
  bothSides,
  checkDistinctNames,
  checkQualifier,
  checkTemporalRight,
  commonNames,
  conjuncts,
  entryRelation,
  findColumn,
  hasColumn,
  joinRelations,
  starColumns,
} from "./join-plan.js";
export {
  RelationNameError,
  PipelineStateError,
  BadMessageError,
  PipelineError,
  QueryError,
  LookupError,
  FeedError,
} from "./errors.js";
// The TypeScript DSL: typed WITH options, columns, formats and a query builder.
export type {
  NatsOptions,
  NatsAuth,
  NatsStartup,
  NatsTls,
  NatsConsumer,
  NatsStreamLimits,
  NatsBadMessages,
  WithOptions,
} from "./dsl/nats.js";
export { nats } from "./dsl/nats.js";
export type { NatsKvSinkDef, NatsSinkDef, SinkFrom } from "./dsl/sink-def.js";
export { natsKvSink, natsSink } from "./dsl/sink-def.js";
export type { ColumnType, Columns } from "./dsl/columns.js";
export {
  sqlType,
  columnDefs,
  list,
  struct,
  boolean,
  smallint,
  int,
  bigint,
  real,
  double,
  numeric,
  varchar,
  bytea,
  date,
  time,
  timestamp,
  timestamptz,
  interval,
  jsonb,
} from "./dsl/columns.js";
export type { TimestamptzHandling, IncludeKind, Include, SourceDef, TableDef } from "./dsl/ingest-def.js";
export { json, msgpack, protobuf, bytes, sourceSpec, tableSpec } from "./dsl/ingest-def.js";
export type { Term, Operand } from "./dsl/value.js";
export { Value, CaseBuilder, col, lit, fn, when } from "./dsl/value.js";
export type { AggregateOptions, FilterOptions, StringAggOptions } from "./dsl/aggregate.js";
export { count, sum, avg, min, max, boolAnd, boolOr, every, stringAgg } from "./dsl/aggregate.js";
export type { OrderKey, QueryParts } from "./dsl/plan.js";
export type { FromItem, JoinOn } from "./dsl/from-item.js";
export type { Key, Duration, OrderOptions, JoinOptions, JoinOnArg, JoinArgs } from "./dsl/query.js";
export { Query, Using, from, tumble, asc, desc, using } from "./dsl/query.js";
export type { Equalities, KeyedLookup } from "./lookup.js";
export { FEED_OFFSET_KEY } from "./feed.js";
export type {
  ChangeFeed,
  EpochSink,
  FeedChange,
  FeedSpec,
  PipelinePlan,
  PlannedRelation,
} from "./extension.js";

import type { AggregateFn } from "@jetflow/operators";
import type { CountedAggregateFn } from "../aggregate-call.js";
import type { OrderKey } from "./plan.js";
import { type Key, asc } from "./query.js";
import { type Operand, Value, termOf } from "./value.js";

// The aggregate functions of the query builder. Each builds an aggregate term; planning (the
// pipeline's `GroupedPlan`, shared with SQL) folds FILTER in and plans bool_and / bool_or / every
// over counts, exactly as for the SQL spelling.

/**
 * Options every aggregate takes.
 * @example count(undefined, { filter: col("status").eq("paid") }) // count(*) FILTER (WHERE status = 'paid')
 */
export interface FilterOptions {
  /** `FILTER (WHERE filter)`: only the rows for which it is true are aggregated. @default every row */
  readonly filter?: Value;
}

/**
 * Options of an aggregate call.
 * @example count(col("user_id"), { distinct: true, filter: col("amount").gt(0) })
 */
export interface AggregateOptions extends FilterOptions {
  /** `fn(DISTINCT x)`: each distinct value once. @default false */
  readonly distinct?: boolean;
}

/**
 * Options of {@link stringAgg}.
 * @example stringAgg(col("name"), ", ", { orderBy: [desc("at", { nulls: "last" }), "name"] })
 */
export interface StringAggOptions extends AggregateOptions {
  /**
   * `ORDER BY ...` inside the call: the order the values are joined in (a name or value sorts
   * ascending). With `distinct`, only the aggregated value itself may be sorted by, as in PostgreSQL.
   * @default none: an arbitrary order
   */
  readonly orderBy?: readonly (Key | OrderKey)[];
}

const aggregate = (
  fn: AggregateFn | CountedAggregateFn,
  arg: Operand | undefined,
  options: AggregateOptions,
  extra: { delimiter?: string | null; orderBy?: readonly OrderKey[] } = {},
): Value =>
  new Value({
    kind: "aggregate",
    fn,
    arg: arg === undefined ? undefined : termOf(arg),
    distinct: options.distinct ?? false,
    filter: options.filter?.term,
    ...extra,
  });

/**
 * `count(*)` without an argument, else `count(x)` (rows where x is not NULL).
 * @example count() ; count(col("user_id"), { distinct: true }) ; count(undefined, { filter: col("status").eq("paid") })
 */
export function count(arg?: Operand, options: AggregateOptions = {}): Value {
  return aggregate("count", arg, options);
}

/** `sum(x)`. @example sum(col("amount"), { filter: col("status").eq("paid") }) */
export function sum(arg: Operand, options: AggregateOptions = {}): Value {
  return aggregate("sum", arg, options);
}

/** `avg(x)`. @example avg(col("ms")) */
export function avg(arg: Operand, options: AggregateOptions = {}): Value {
  return aggregate("avg", arg, options);
}

/** `min(x)`. @example min(col("ts")) */
export function min(arg: Operand, options: AggregateOptions = {}): Value {
  return aggregate("min", arg, options);
}

/** `max(x)`. @example max(col("ms")) */
export function max(arg: Operand, options: AggregateOptions = {}): Value {
  return aggregate("max", arg, options);
}

/**
 * `bool_and(x)`: NULL when the group has no non-NULL x, else TRUE when no x is false.
 * @example boolAnd(col("paid")) ; boolAnd(col("amount").gt(0), { filter: col("status").eq("paid") })
 */
export function boolAnd(arg: Operand, options: FilterOptions = {}): Value {
  return aggregate("bool_and", arg, options);
}

/**
 * `bool_or(x)`: NULL when the group has no non-NULL x, else TRUE when some x is true.
 * @example boolOr(col("amount").gt(1000))
 */
export function boolOr(arg: Operand, options: FilterOptions = {}): Value {
  return aggregate("bool_or", arg, options);
}

/**
 * `every(x)`: the SQL-standard name of {@link boolAnd}.
 * @example every(col("shipped"))
 */
export function every(arg: Operand, options: FilterOptions = {}): Value {
  return aggregate("every", arg, options);
}

/**
 * `string_agg(x, delimiter [ORDER BY ...])`: the group's non-NULL values of x (text) joined with
 * `delimiter` (NULL: joined with nothing); NULL when there are none.
 *
 * @example
 * ```ts
 * // string_agg(DISTINCT name, ', ' ORDER BY name DESC NULLS LAST) FILTER (WHERE active)
 * stringAgg(col("name"), ", ", { distinct: true, orderBy: [desc("name", { nulls: "last" })], filter: col("active") })
 * ```
 */
export function stringAgg(arg: Operand, delimiter: string | null, options: StringAggOptions = {}): Value {
  const orderBy = (options.orderBy ?? []).map((k) => (typeof k === "string" || k instanceof Value ? asc(k) : k));
  return aggregate("string_agg", arg, options, { delimiter, ...(orderBy.length === 0 ? {} : { orderBy }) });
}

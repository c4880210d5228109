import type { AggregateFn, AggregateOrder, Expr } from "@jetflow/operators";

// An aggregate call as a front end reads it, before planning turns it into aggregate columns. The
// SQL front end and the TypeScript query builder both hand these to `GroupedPlan`, so FILTER and
// bool_and / bool_or / every plan the same way whichever front end wrote them.

/**
 * An aggregate call before it has an output name.
 * @example plan.aggregateColumn({ fn: "sum", arg: col("amount"), distinct: false })
 */
export interface AggregateParts {
  readonly fn: AggregateFn;
  readonly arg: Expr | undefined;
  readonly distinct: boolean;
  /** string_agg's delimiter (NULL: none). */
  readonly delimiter?: string | null;
  /** string_agg's ORDER BY inside the call. */
  readonly orderBy?: readonly AggregateOrder[];
}

/**
 * Aggregates planned as expressions over two counts of the group, so they stay exact under
 * retraction (a min/max over booleans would need every value kept).
 * @example COUNTED_AGGREGATES.has("every") // true
 */
export const COUNTED_AGGREGATES: ReadonlySet<string> = new Set<CountedAggregateFn>(["bool_and", "bool_or", "every"]);

/**
 * `bool_and` (and its SQL-standard name `every`): NULL without values, else TRUE when no value is
 * false; `bool_or`: NULL without values, else TRUE when one value is true.
 * @example const fn: CountedAggregateFn = "bool_or";
 */
export type CountedAggregateFn = "bool_and" | "bool_or" | "every";

/**
 * An aggregate call with its `FILTER (WHERE ...)`, of an aggregate the operators compute or of one
 * planned over counts ({@link CountedAggregateFn}).
 * @example const c: AggregateCallSpec = { fn: "count", arg: undefined, distinct: false, filter: eq(col("status"), lit("paid")) };
 */
export interface AggregateCallSpec extends Omit<AggregateParts, "fn"> {
  readonly fn: AggregateFn | CountedAggregateFn;
  /** `FILTER (WHERE filter)`: only the rows where it is true are aggregated. */
  readonly filter?: Expr | undefined;
}

const one: Expr = { kind: "literal", value: 1, type: { kind: "integer" } };
const call = (fn: "not" | "=" | ">", ...args: Expr[]): Expr => ({ kind: "call", fn, args });

/** `CASE WHEN cond THEN value END`. */
const caseWhen = (cond: Expr, value: Expr): Expr => ({
  kind: "case",
  operand: undefined,
  // biome-ignore lint/suspicious/noThenProperty: the Expr contract names CASE branches { when, then }
  branches: [{ when: cond, then: value }],
  else: undefined,
});

const isCounted = (fn: AggregateCallSpec["fn"]): fn is CountedAggregateFn => COUNTED_AGGREGATES.has(fn);

/**
 * The one aggregate column a call is, FILTER folded in: `agg(x) FILTER (WHERE p)` is
 * `agg(CASE WHEN p THEN x END)` (every aggregate here skips NULLs), `count(*) FILTER (WHERE p)` is
 * `count(CASE WHEN p THEN 1 END)`; undefined for an aggregate planned over counts.
 *
 * @example aggregatePartsOf({ fn: "sum", arg: col("a"), distinct: false }) // { fn: "sum", arg: col("a"), distinct: false }
 */
export function aggregatePartsOf(spec: AggregateCallSpec): AggregateParts | undefined {
  if (isCounted(spec.fn)) return undefined;
  const { filter, fn, ...rest } = spec;
  if (filter === undefined) return { ...rest, fn };
  return { ...rest, fn, arg: caseWhen(filter, rest.arg ?? one) };
}

/**
 * What stands for an aggregate call's result: the column `column` gives its aggregate, or for
 * bool_and / bool_or / every `CASE WHEN count(x) = 0 THEN NULL ELSE count(CASE WHEN NOT x THEN 1 END) = 0 END`
 * (`> 0` over `CASE WHEN x ...` for bool_or).
 *
 * @example aggregateCallExpr(spec, (parts) => plan.aggregateColumn(parts))
 */
export function aggregateCallExpr(spec: AggregateCallSpec, column: (parts: AggregateParts) => Expr): Expr {
  const parts = aggregatePartsOf(spec);
  if (parts !== undefined) return column(parts);
  const arg = spec.arg ?? one;
  const value = spec.filter === undefined ? arg : caseWhen(spec.filter, arg);
  const all = spec.fn !== "bool_or";
  const count = (of: Expr): Expr => column({ fn: "count", arg: of, distinct: false });
  const values = count(value);
  const hits = count(caseWhen(all ? call("not", value) : value, one));
  const zero: Expr = { kind: "literal", value: 0, type: { kind: "bigint" } };
  return {
    kind: "case",
    operand: undefined,
    // biome-ignore lint/suspicious/noThenProperty: the Expr contract names CASE branches { when, then }
    branches: [{ when: call("=", values, zero), then: { kind: "literal", value: null, type: { kind: "boolean" } } }],
    else: call(all ? "=" : ">", hits, zero),
  };
}

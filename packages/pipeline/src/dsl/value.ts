import type { SqlType } from "@jetflow/core";
import type { AggregateFn, LiteralValue, ScalarFn } from "@jetflow/operators";
import type { CountedAggregateFn } from "../aggregate-call.js";
import { type ColumnType, sqlType } from "./columns.js";

/**
 * An expression as the query builder holds it: an operators `Expr` in which aggregate calls may
 * stand (`sum(amount) * 2`). Planning replaces each aggregate by a column of the aggregate step.
 * @example col("a").plus(1).term // { kind: "call", fn: "+", args: [...] }
 */
export type Term =
  | { readonly kind: "column"; readonly name: string }
  | { readonly kind: "literal"; readonly value: LiteralValue; readonly type: SqlType | undefined }
  | { readonly kind: "call"; readonly fn: ScalarFn; readonly args: readonly Term[] }
  | {
      readonly kind: "case";
      readonly operand: Term | undefined;
      readonly branches: readonly { readonly when: Term; readonly then: Term }[];
      readonly else: Term | undefined;
    }
  | { readonly kind: "cast"; readonly expr: Term; readonly type: SqlType }
  | {
      readonly kind: "aggregate";
      readonly fn: AggregateFn | CountedAggregateFn;
      readonly arg: Term | undefined;
      readonly distinct: boolean;
      /** `FILTER (WHERE filter)` */
      readonly filter: Term | undefined;
      /** string_agg's delimiter (NULL: none). */
      readonly delimiter?: string | null;
      /** string_agg's ORDER BY inside the call. */
      readonly orderBy?: readonly { readonly term: Term; readonly desc: boolean; readonly nullsFirst: boolean }[];
    };

/**
 * A value or a plain JS literal (`"paid"`, `100`, `2.5`, `10n`, `true`, `null`), typed as SQL types its literals.
 * @example col("status").in("paid", "shipped")
 */
export type Operand = Value | LiteralValue;

const INT32_MAX = 2 ** 31 - 1;

/**
 * The term of an operand. Literals get the types SQL gives the same literal: a whole number is
 * `integer` (`bigint` beyond 32 bits), a fraction `numeric` (as its decimal text), a string is
 * untyped (it takes the type of what it meets), `true`/`false` are `boolean`.
 *
 * @example termOf(2.5) // { kind: "literal", value: "2.5", type: { kind: "numeric" } }
 */
export function termOf(operand: Operand): Term {
  if (operand instanceof Value) return operand.term;
  return { kind: "literal", value: literalValue(operand), type: literalType(operand) };
}

function literalValue(v: LiteralValue): LiteralValue {
  if (typeof v !== "number" || !Number.isFinite(v)) return v;
  if (!Number.isInteger(v)) return String(v);
  return Math.abs(v) <= INT32_MAX ? v : BigInt(v);
}

function literalType(v: LiteralValue): SqlType | undefined {
  switch (typeof v) {
    case "boolean":
      return { kind: "boolean" };
    case "bigint":
      return { kind: "bigint" };
    case "number":
      if (!Number.isFinite(v)) return { kind: "double precision" };
      if (!Number.isInteger(v)) return { kind: "numeric" };
      return Math.abs(v) <= INT32_MAX ? { kind: "integer" } : { kind: "bigint" };
    default:
      return v instanceof Uint8Array ? { kind: "bytea" } : undefined;
  }
}

const call = (fn: ScalarFn, ...args: Operand[]): Value => new Value({ kind: "call", fn, args: args.map(termOf) });

/**
 * A scalar expression of the query builder, with SQL's operators as methods. Values are
 * immutable: every method returns a new value. NULL behaves as in SQL (three-valued logic).
 *
 * @example
 * ```ts
 * col("status").eq("paid").and(col("amount").times(1.2).gt(100))
 * ```
 */
export class Value {
  constructor(readonly term: Term) {}

  /** `this = other` */
  eq(other: Operand): Value {
    return call("=", this, other);
  }
  /** `this <> other` */
  ne(other: Operand): Value {
    return call("<>", this, other);
  }
  /** `this < other` */
  lt(other: Operand): Value {
    return call("<", this, other);
  }
  /** `this <= other` */
  le(other: Operand): Value {
    return call("<=", this, other);
  }
  /** `this > other` */
  gt(other: Operand): Value {
    return call(">", this, other);
  }
  /** `this >= other` */
  ge(other: Operand): Value {
    return call(">=", this, other);
  }
  /** `this AND other AND ...` (left to right, as SQL nests it) */
  and(...others: Operand[]): Value {
    return others.reduce<Value>((acc, o) => call("and", acc, o), this);
  }
  /** `this OR other OR ...` */
  or(...others: Operand[]): Value {
    return others.reduce<Value>((acc, o) => call("or", acc, o), this);
  }
  /** `NOT this` */
  not(): Value {
    return call("not", this);
  }
  /** `this + other` */
  plus(other: Operand): Value {
    return call("+", this, other);
  }
  /** `this - other` */
  minus(other: Operand): Value {
    return call("-", this, other);
  }
  /** `this * other` */
  times(other: Operand): Value {
    return call("*", this, other);
  }
  /** `this / other` (integer division for integers, NULL on division by zero) */
  div(other: Operand): Value {
    return call("/", this, other);
  }
  /** `this % other` */
  mod(other: Operand): Value {
    return call("%", this, other);
  }
  /** `-this` */
  neg(): Value {
    return call("neg", this);
  }
  /** `this || other` (text concatenation) */
  concat(other: Operand): Value {
    return call("||", this, other);
  }
  /** `this IS NULL` */
  isNull(): Value {
    return call("is_null", this);
  }
  /** `this IS NOT NULL` */
  isNotNull(): Value {
    return call("is_not_null", this);
  }
  /** `this IS TRUE` */
  isTrue(): Value {
    return call("is_true", this);
  }
  /** `this IS FALSE` */
  isFalse(): Value {
    return call("is_false", this);
  }
  /** `this LIKE pattern` (`%` any text, `_` one character) */
  like(pattern: Operand): Value {
    return call("like", this, pattern);
  }
  /** `this ILIKE pattern` (case-insensitive LIKE) */
  ilike(pattern: Operand): Value {
    return call("ilike", this, pattern);
  }
  /** `this IN (a, b, ...)` */
  in(...values: Operand[]): Value {
    return call("in", this, ...values);
  }
  /** `this BETWEEN low AND high` (both ends included) */
  between(low: Operand, high: Operand): Value {
    return call("between", this, low, high);
  }
  /** `CAST(this AS type)` */
  cast(type: ColumnType): Value {
    return new Value({ kind: "cast", expr: this.term, type: sqlType(type, "cast") });
  }
}

/**
 * A column of the query's input, by its exact (case-sensitive) name.
 * @example col("amount").gt(100)
 */
export function col(name: string): Value {
  return new Value({ kind: "column", name });
}

/**
 * A literal, typed as SQL types the same literal (see {@link termOf}); `lit("2024-01-01").cast("date")` for others.
 * @example lit(1).plus(col("n"))
 */
export function lit(value: LiteralValue): Value {
  return new Value(termOf(value));
}

/**
 * A call of a scalar function by its jetflow name: `lower`, `upper`, `length`, `substr`, `trim`,
 * `coalesce`, `nullif`, `abs`, `round`, `floor`, `ceil`, `date_trunc`, `extract`, `now`, ...
 *
 * @example fn("date_trunc", "hour", col("ts"))
 */
export function fn(name: ScalarFn, ...args: Operand[]): Value {
  const [field, ...rest] = args;
  // The field of extract() / date_part() is a word ('hour', 'epoch'): its case does not matter, as in SQL.
  if ((name === "extract" || name === "date_part") && typeof field === "string") {
    return new Value({ kind: "call", fn: name, args: [lit(field.toLowerCase()).term, ...rest.map(termOf)] });
  }
  return call(name, ...args);
}

/**
 * `CASE WHEN ... THEN ... [ELSE ...] END`, built branch by branch.
 * @example when(col("amount").gt(100), "big").when(col("amount").gt(10), "medium").else("small")
 */
export function when(condition: Operand, then: Operand): CaseBuilder {
  return new CaseBuilder([]).when(condition, then);
}

/**
 * The branches of a CASE so far: add one with `when`, finish with `else` or `end`. @see when
 * @example when(col("amount").gt(100), "big").else("small")
 */
export class CaseBuilder {
  constructor(private readonly branches: readonly { readonly when: Term; readonly then: Term }[]) {}

  /** Another `WHEN condition THEN then` branch. @example when(a, 1).when(b, 2).end() */
  when(condition: Operand, then: Operand): CaseBuilder {
    // biome-ignore lint/suspicious/noThenProperty: the Expr contract names CASE branches { when, then }
    return new CaseBuilder([...this.branches, { when: termOf(condition), then: termOf(then) }]);
  }

  /** `ELSE otherwise END`. @example when(a, 1).else(0) */
  else(otherwise: Operand): Value {
    return new Value({ kind: "case", operand: undefined, branches: this.branches, else: termOf(otherwise) });
  }

  /** `END` without ELSE: NULL when no branch matches. @example when(a, 1).end() */
  end(): Value {
    return new Value({ kind: "case", operand: undefined, branches: this.branches, else: undefined });
  }
}

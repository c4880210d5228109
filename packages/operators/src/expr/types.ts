import { formatSqlType, type ScalarKind, type SqlType } from "@jetflow/core";

/** Type rules shared by the expression compiler and the aggregates, following PostgreSQL. */

export const BOOLEAN: SqlType = { kind: "boolean" };
export const SMALLINT: SqlType = { kind: "smallint" };
export const INTEGER: SqlType = { kind: "integer" };
export const BIGINT: SqlType = { kind: "bigint" };
export const REAL: SqlType = { kind: "real" };
export const DOUBLE: SqlType = { kind: "double precision" };
export const NUMERIC: SqlType = { kind: "numeric" };
export const VARCHAR: SqlType = { kind: "varchar" };
export const JSONB: SqlType = { kind: "jsonb" };
export const DATE: SqlType = { kind: "date" };
export const TIME: SqlType = { kind: "time" };
export const TIMESTAMP: SqlType = { kind: "timestamp" };
export const TIMESTAMPTZ: SqlType = { kind: "timestamptz" };
export const INTERVAL: SqlType = { kind: "interval" };

const NUMBER_RANK: Partial<Record<ScalarKind, number>> = {
  smallint: 1,
  integer: 2,
  bigint: 3,
  numeric: 4,
  real: 5,
  "double precision": 6,
};

export function isNumberType(t: SqlType): boolean {
  return NUMBER_RANK[t.kind as ScalarKind] !== undefined;
}

export function isIntegerType(t: SqlType): boolean {
  return t.kind === "smallint" || t.kind === "integer" || t.kind === "bigint";
}

export function isDateTimeType(t: SqlType): boolean {
  return t.kind === "date" || t.kind === "timestamp" || t.kind === "timestamptz";
}

export function isTextType(t: SqlType): boolean {
  return t.kind === "varchar";
}

export function sameType(a: SqlType, b: SqlType): boolean {
  return a.kind === b.kind && (a.kind !== "struct" && a.kind !== "list" ? true : formatSqlType(a) === formatSqlType(b));
}

/**
 * The type both operands of arithmetic or a comparison are brought to, as PostgreSQL resolves
 * it: integers widen, numeric beats integers, real stays real only with real, anything
 * with a float becomes double precision.
 */
export function promoteNumbers(a: SqlType, b: SqlType): SqlType {
  if (a.kind === "real" && b.kind === "real") return REAL;
  const ra = NUMBER_RANK[a.kind as ScalarKind] as number;
  const rb = NUMBER_RANK[b.kind as ScalarKind] as number;
  if (ra >= 5 || rb >= 5) return DOUBLE;
  return ra >= rb ? a : b;
}

/**
 * The type PostgreSQL gives numbers that meet in one result column (CASE, COALESCE, UNION): the
 * one every other implicitly casts to, in the order smallint < integer < bigint < numeric < real
 * < double precision. Unlike arithmetic, real with an integer or numeric stays real.
 */
export function unionNumbers(a: SqlType, b: SqlType): SqlType {
  return (NUMBER_RANK[a.kind as ScalarKind] as number) >= (NUMBER_RANK[b.kind as ScalarKind] as number) ? a : b;
}

/**
 * The common type of values that meet in one column (CASE branches, COALESCE, IN lists,
 * comparisons): numbers promote, date/timestamp/timestamptz promote to the widest, else
 * the types must be equal. Undefined when there is none.
 */
export function commonType(a: SqlType, b: SqlType): SqlType | undefined {
  if (sameType(a, b)) return a;
  if (isNumberType(a) && isNumberType(b)) return promoteNumbers(a, b);
  if (isDateTimeType(a) && isDateTimeType(b)) {
    return a.kind === "timestamptz" || b.kind === "timestamptz" ? TIMESTAMPTZ : TIMESTAMP;
  }
  if ((a.kind === "varchar" && b.kind === "jsonb") || (a.kind === "jsonb" && b.kind === "varchar")) return VARCHAR;
  return undefined;
}

export function typeName(t: SqlType): string {
  return formatSqlType(t);
}

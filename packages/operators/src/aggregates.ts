import type { SqlType } from "@jetflow/core";
import { repOf } from "./columnar/col.js";
import {
  addDecimal,
  type Decimal,
  divDecimal,
  formatDecimal,
  numericSpecial,
  parseDecimal,
  specialText,
} from "./columnar/decimal.js";
import { unsupported } from "./errors.js";
import { BIGINT, DOUBLE, isNumberType, NUMERIC, REAL, typeName, VARCHAR } from "./expr/types.js";
import type { AggregateCall } from "./expr/expr.js";
import type { Plain } from "./columnar/plain.js";

/**
 * How one aggregate accumulates, with PostgreSQL's result types:
 * count -> bigint; sum(smallint|integer) -> bigint; sum(bigint|numeric) -> numeric;
 * sum(real) -> real; sum(double) -> double; avg(any integer|numeric) -> numeric (PostgreSQL's
 * division scale); avg(real|double) -> double; min/max -> the argument type; string_agg(text) -> text.
 */
export interface AggSpec {
  readonly call: AggregateCall;
  readonly kind: "count_star" | "count" | "sum" | "avg" | "min" | "max" | "string_agg";
  /** How sums add: exact integers (number, switching to bigint past 2^53), bigints, decimals, or floats. */
  readonly sumKind: "int" | "bigint" | "numeric" | "float" | undefined;
  readonly outType: SqlType;
  /** Needs a per-group multiset of argument values (min, max, DISTINCT). */
  readonly multiset: boolean;
}

function sumKindOf(t: SqlType): AggSpec["sumKind"] {
  switch (t.kind) {
    case "smallint":
    case "integer":
      return "int";
    case "bigint":
      return "bigint";
    case "numeric":
      return "numeric";
    default:
      return "float";
  }
}

/** Resolves an aggregate call against its argument's type. */
export function aggSpec(call: AggregateCall, argType: SqlType | undefined): AggSpec {
  const distinct = call.distinct;
  if (call.fn === "count") {
    if (argType === undefined)
      return { call, kind: "count_star", sumKind: undefined, outType: BIGINT, multiset: false };
    return { call, kind: "count", sumKind: undefined, outType: BIGINT, multiset: distinct };
  }
  if (argType === undefined) throw unsupported(`${call.fn}(*) is not an aggregate; give ${call.fn} an argument`);
  if (call.fn === "string_agg") {
    if (argType.kind !== "varchar") throw unsupported(`function string_agg(${typeName(argType)}, text) does not exist`);
    return { call, kind: "string_agg", sumKind: undefined, outType: VARCHAR, multiset: true };
  }
  if (call.fn === "min" || call.fn === "max") {
    if (repOf(argType) === "nested") throw unsupported(`function ${call.fn}(${typeName(argType)}) does not exist`);
    return { call, kind: call.fn, sumKind: undefined, outType: argType, multiset: true };
  }
  if (!isNumberType(argType)) throw unsupported(`function ${call.fn}(${typeName(argType)}) does not exist`);
  const sumKind = sumKindOf(argType);
  let outType: SqlType;
  if (call.fn === "sum") {
    outType = sumKind === "int" ? BIGINT : sumKind === "float" ? (argType.kind === "real" ? REAL : DOUBLE) : NUMERIC;
  } else outType = sumKind === "float" ? DOUBLE : NUMERIC;
  return { call, kind: call.fn, sumKind, outType, multiset: distinct };
}

/** A value's multiplicity in one group's multiset for aggregate `j`: [count, value, group key]. */
export type MultisetEntry = [number, Plain, string];

/** The accumulator of a new group. */
export function initialAcc(spec: AggSpec): Plain {
  switch (spec.kind) {
    case "count":
      return 0;
    case "sum":
    case "avg":
      // numeric also counts its values per scale: PostgreSQL prints a sum at the largest scale
      // among the values present, which a retraction can lower.
      if (spec.sumKind === "numeric") return [0, { u: 0n, s: 0 }, [], [0, 0, 0]];
      // Floats keep NaN and ±Infinity apart as counts (see SpecialCounts), their sum finite.
      if (spec.sumKind === "float") return [0, 0, [0, 0, 0]];
      return [0, spec.sumKind === "bigint" ? 0n : 0];
    default:
      return null;
  }
}

/** Adds (`sign` 1) or removes (`sign` -1) one non-NULL value from a count/sum/avg accumulator, in place. */
export function accumulate(spec: AggSpec, acc: Plain, value: Plain, sign: number): Plain {
  if (spec.kind === "count") return (acc as number) + sign;
  const pair = acc as [number, Plain];
  pair[0] += sign;
  switch (spec.sumKind) {
    case "int": {
      const s = pair[1] as number | bigint;
      const v = (value as number) * sign;
      if (typeof s === "number") {
        const r = s + v;
        pair[1] = Number.isSafeInteger(r) ? r : BigInt(s) + BigInt(v);
      } else pair[1] = s + BigInt(v);
      break;
    }
    case "bigint":
      pair[1] = (pair[1] as bigint) + (sign === 1 ? (value as bigint) : -(value as bigint));
      break;
    case "numeric": {
      const d = parseDecimal(value as string);
      if (d === undefined) {
        const special = numericSpecial(value as string);
        if (special !== undefined) countSpecial((acc as unknown[])[3] as SpecialCounts, special, sign);
        break;
      }
      pair[1] = addDecimal(pair[1] as Decimal, sign === 1 ? d : { u: -d.u, s: d.s });
      const scales = (acc as [number, Plain, number[]])[2];
      const s = Math.max(0, d.s);
      for (let k = scales.length; k <= s; k++) scales.push(0);
      scales[s] = (scales[s] as number) + sign;
      break;
    }
    default: {
      const v = value as number;
      if (Number.isFinite(v)) pair[1] = (pair[1] as number) + sign * v;
      else countSpecial((acc as unknown[])[2] as SpecialCounts, v, sign);
    }
  }
  return pair;
}

/**
 * How many NaN, +Infinity and -Infinity values a float or numeric sum holds. They are counted
 * rather than added: a sum that once held Infinity would stay NaN after its retraction
 * (Infinity - Infinity), where recomputing over the remaining rows gives a finite number.
 */
export type SpecialCounts = [nan: number, posInf: number, negInf: number];

export function countSpecial(counts: SpecialCounts, v: number, sign: number): void {
  const k = Number.isNaN(v) ? 0 : v > 0 ? 1 : 2;
  counts[k] = (counts[k] as number) + sign;
}

/** The sum's value when it holds a special value, as PostgreSQL adds them; undefined when it holds none. */
function specialSum(counts: SpecialCounts): number | undefined {
  const [nan, pos, neg] = counts;
  if (nan > 0 || (pos > 0 && neg > 0)) return Number.NaN;
  if (pos > 0) return Number.POSITIVE_INFINITY;
  if (neg > 0) return Number.NEGATIVE_INFINITY;
  return undefined;
}

/** The numeric sum at the largest scale of the values present (exact: the dropped digits are zeros). */
function displayedSum(acc: [number, Plain, number[]]): Decimal {
  const sum = acc[1] as Decimal;
  let scale = acc[2].length - 1;
  while (scale > 0 && acc[2][scale] === 0) scale--;
  if (scale >= sum.s) return sum;
  return { u: sum.u / 10n ** BigInt(sum.s - Math.max(0, scale)), s: Math.max(0, scale) };
}

function asDecimal(spec: AggSpec, s: Plain, acc: Plain): Decimal {
  if (spec.sumKind === "numeric") return displayedSum(acc as [number, Plain, number[]]);
  return { u: typeof s === "bigint" ? s : BigInt(s as number), s: 0 };
}

/** The output value of a count/sum/avg accumulator (`rows` is the group's row count for count(*)). */
export function finalizeAcc(spec: AggSpec, acc: Plain, rows: number): Plain {
  switch (spec.kind) {
    case "count_star":
      return BigInt(rows);
    case "count":
      return BigInt(acc as number);
    case "sum":
    case "avg": {
      const [c, s] = acc as [number, Plain];
      if (c === 0) return null;
      if (spec.sumKind === "int" || spec.sumKind === "bigint") {
        if (spec.kind === "avg")
          return formatDecimal(divDecimal(asDecimal(spec, s, acc), { u: BigInt(c), s: 0 }) as Decimal);
        return spec.sumKind === "int"
          ? typeof s === "bigint"
            ? s
            : BigInt(s as number)
          : formatDecimal(asDecimal(spec, s, acc));
      }
      const special = specialSum((acc as unknown[])[spec.sumKind === "float" ? 2 : 3] as SpecialCounts);
      if (spec.sumKind === "float") {
        const sum = special ?? (s as number);
        if (spec.kind === "avg") return sum / c;
        return spec.outType.kind === "real" ? Math.fround(sum) : sum;
      }
      if (special !== undefined) return specialText(special);
      const sum = asDecimal(spec, s, acc);
      return formatDecimal(spec.kind === "avg" ? (divDecimal(sum, { u: BigInt(c), s: 0 }) as Decimal) : sum);
    }
    default:
      return null;
  }
}

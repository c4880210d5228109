import type { SqlType } from "@jetflow/core";
import { type Comparator, comparatorOf } from "./columnar/compare.js";
import type { Plain } from "./columnar/plain.js";
import { keyPart } from "./columnar/row-key.js";
import type { AggregateOrder } from "./expr/expr.js";

// string_agg(value, delimiter [ORDER BY ...]) and string_agg(DISTINCT ...), exact under
// retraction: each group keeps a multiset of its (value, ORDER BY keys) items in the
// aggregate's state store, and an ordered in-memory index of them (rebuilt after a restore)
// from which the text is concatenated again when the group changes.

/**
 * One item of a group's string_agg multiset: the text, its identity (the multiset key part:
 * exact, so two items are one entry only when value and keys are the same), then the values of
 * the ORDER BY keys.
 */
export type StringAggItem = [value: string, id: string, ...keys: Plain[]];

/**
 * The item of a value and its ORDER BY key values. DISTINCT items are identified by the value
 * alone (PostgreSQL requires DISTINCT's ORDER BY keys to be the argument itself).
 * @example stringAggItem("a", [3], [INTEGER], false) // ["a", "1:a3,", 3]
 */
export function stringAggItem(
  value: string,
  keys: readonly Plain[],
  keyTypes: readonly SqlType[],
  distinct: boolean,
): StringAggItem {
  let id = keyPart(value, VARCHAR, false);
  if (!distinct) for (let k = 0; k < keys.length; k++) id += keyPart(keys[k], keyTypes[k] as SqlType, false);
  return [value, id, ...keys];
}

const VARCHAR: SqlType = { kind: "varchar" };

/**
 * The order of items: the ORDER BY keys (ASC: NULLs last, DESC: NULLs first, unless said),
 * then the text in code point order, then the identity, so the order is total and the same
 * in every run (PostgreSQL leaves ties, and the order without ORDER BY, unspecified).
 */
export function stringAggOrder(orderBy: readonly AggregateOrder[], keyTypes: readonly SqlType[]): Comparator {
  const cmps = keyTypes.map((t) => comparatorOf(t));
  const text = comparatorOf(VARCHAR);
  return (a, b) => {
    const x = a as StringAggItem;
    const y = b as StringAggItem;
    for (let k = 0; k < cmps.length; k++) {
      const o = orderBy[k] as AggregateOrder;
      const u = x[2 + k];
      const v = y[2 + k];
      let c: number;
      if (u === null || v === null) c = u === v ? 0 : (u === null) === o.nullsFirst ? -1 : 1;
      else c = (cmps[k] as Comparator)(u, v) * (o.desc ? -1 : 1);
      if (c !== 0) return c;
    }
    return text(x[0], y[0]) || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0);
  };
}

/**
 * The text of a group's items in order, each as many times as it is present (once with
 * DISTINCT), separated by `delimiter` (none when NULL); NULL when there are none.
 */
export function stringAggText(
  items: Iterable<readonly [count: number, item: Plain, ...rest: unknown[]]>,
  delimiter: string | null,
  distinct: boolean,
): string | null {
  const parts: string[] = [];
  for (const entry of items) {
    const value = (entry[1] as StringAggItem)[0];
    const times = distinct ? 1 : entry[0];
    for (let t = 0; t < times; t++) parts.push(value);
  }
  return parts.length === 0 ? null : parts.join(delimiter ?? "");
}

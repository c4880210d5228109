import type { SqlType } from "@jetflow/core";
import { type Comparator, comparatorOf } from "./columnar/compare.js";
import type { Plain } from "./columnar/plain.js";
import { keyPart } from "./columnar/row-key.js";
import type { KeyedStore } from "@jetflow/state";
import type { MultisetEntry } from "./aggregates.js";
import { SortedList } from "./columnar/sorted-list.js";
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
 * The ordered items of every group's string_agg: an in-memory index over the multiset entries
 * in the aggregate's store (`[count, item, group key]` under `${j}:${groupKey}${item id}`), rebuilt
 * by {@link restore} after the store is restored.
 */
export class StringAggLists {
  /** Entries per `${j}:${groupKey}`, in order. */
  private readonly lists = new Map<string, SortedList<MultisetEntry>>();
  private readonly orders: readonly (((a: MultisetEntry, b: MultisetEntry) => number) | undefined)[];

  /** `orders[j]`: aggregate j's item order ({@link stringAggOrder}), undefined when it is no string_agg. */
  constructor(
    private readonly multisets: KeyedStore<MultisetEntry>,
    orders: readonly (Comparator | undefined)[],
  ) {
    this.orders = orders.map((o) =>
      o === undefined ? undefined : (a: MultisetEntry, b: MultisetEntry) => o(a[1], b[1]),
    );
  }

  /** Moves one item in (`sign` 1) or out (-1) of a group's multiset for aggregate j. */
  move(j: number, groupKey: string, item: StringAggItem, sign: number): void {
    const mkey = `${j}:${groupKey}${item[1]}`;
    const entry = this.multisets.get(mkey);
    if (entry === undefined) {
      if (sign < 0) return; // retraction of an item never counted: ignore rather than go negative
      const added: MultisetEntry = [1, item, groupKey];
      this.multisets.set(mkey, added);
      this.listOf(j, groupKey).insert(added);
      return;
    }
    entry[0] += sign;
    if (entry[0] > 0) {
      this.multisets.touch(mkey);
      return;
    }
    this.multisets.delete(mkey);
    const list = this.listOf(j, groupKey);
    list.delete(entry);
    if (list.size === 0) this.lists.delete(`${j}:${groupKey}`);
  }

  /**
   * A group's text: its items in order, each as many times as it is present (once with
   * DISTINCT), separated by `delimiter` (none when NULL); NULL when there are none.
   */
  text(j: number, groupKey: string, delimiter: string | null, distinct: boolean): string | null {
    const list = this.lists.get(`${j}:${groupKey}`);
    if (list === undefined) return null;
    const parts: string[] = [];
    for (const entry of list) {
      const value = (entry[1] as StringAggItem)[0];
      const times = distinct ? 1 : entry[0];
      for (let t = 0; t < times; t++) parts.push(value);
    }
    return parts.length === 0 ? null : parts.join(delimiter ?? "");
  }

  /** Indexes a restored store entry of aggregate j (entries of other aggregates are skipped). */
  restore(j: number, entry: MultisetEntry): void {
    if (this.orders[j] !== undefined) this.listOf(j, entry[2]).insert(entry);
  }

  clear(): void {
    this.lists.clear();
  }

  private listOf(j: number, groupKey: string): SortedList<MultisetEntry> {
    const id = `${j}:${groupKey}`;
    let list = this.lists.get(id);
    if (list === undefined) {
      list = new SortedList<MultisetEntry>(this.orders[j] as (a: MultisetEntry, b: MultisetEntry) => number);
      this.lists.set(id, list);
    }
    return list;
  }
}

import { RETRACT, type SqlType } from "@jetflow/core";
import type { KeyedStore } from "@jetflow/state";
import type { AggSpec, MultisetEntry } from "./aggregates.js";
import { type Comparator, comparatorOf } from "./columnar/compare.js";
import type { Plain } from "./columnar/plain.js";
import { keyPart } from "./columnar/row-key.js";
import { SortedList } from "./columnar/sorted-list.js";
import { exprKey } from "./expr/expr.js";

/** The order of min/max values: SQL order, equal numerics (1.0, 1.00) told apart by their text. */
function orderOf(type: SqlType): Comparator {
  const cmp = comparatorOf(type);
  if (type.kind !== "numeric") return cmp;
  return (a, b) => cmp(a, b) || (a === b ? 0 : (a as string) < (b as string) ? -1 : 1);
}

/** One multiset of argument values per group, shared by the aggregates of one argument. */
interface ValueSet {
  /** The first aggregate that reads it: its store keys are `${leader}:${groupKey}${value key}`. */
  readonly leader: number;
  readonly type: SqlType;
  /** Numerics are keyed by their normalized text (DISTINCT: 1.0 = 1.00). */
  readonly normalize: boolean;
  /** The order of its in-memory index, when a min or max reads it. */
  readonly order: Comparator | undefined;
  /** Values are JS numbers (real, double precision), keyed by their bits ({@link floatKey}). */
  readonly floats: boolean;
}

/**
 * The multisets of min, max and DISTINCT aggregates: per group, each argument value's
 * multiplicity (entries of the `:values` store) and, for min/max, an in-memory ordered index of
 * the values present (derived: rebuilt by {@link restore}). Aggregates of the same argument share
 * one multiset, so `min(v), max(v), count(DISTINCT v)` move each row's value once, not three
 * times. A numeric argument keeps two: DISTINCT counts equal numerics once (1.0 = 1.00), min and
 * max keep each text so the one shown is one present.
 *
 * @example
 * ```ts
 * const values = new AggregateValues(specs, argTypes, multisets);
 * const crossed = values.move(values.setOf[j], column, ops, slot, groupKeys); // 1 where 0 <-> 1
 * values.first(values.setOf[j], groupKey); // min
 * ```
 */
export class AggregateValues {
  /** Per aggregate, the set it reads; -1 when it keeps none (string_agg keeps its own items). */
  readonly setOf: readonly number[];
  private readonly sets: ValueSet[] = [];
  /** Ordered values per `${set}:${groupKey}`, for the sets a min or max reads. */
  private readonly indexes = new Map<string, SortedList<Plain>>();

  constructor(
    specs: readonly AggSpec[],
    argTypes: readonly (SqlType | undefined)[],
    private readonly store: KeyedStore<MultisetEntry>,
  ) {
    const byArgument = new Map<string, number>();
    const setOf: number[] = [];
    const ordered: boolean[] = [];
    specs.forEach((spec, j) => {
      const type = argTypes[j];
      if (!spec.multiset || spec.kind === "string_agg" || type === undefined || spec.call.arg === undefined) {
        setOf.push(-1);
        return;
      }
      const isOrder = spec.kind === "min" || spec.kind === "max";
      const normalize = type.kind === "numeric" && !isOrder;
      const id = `${normalize ? "n" : "v"}${exprKey(spec.call.arg)}`;
      let s = byArgument.get(id);
      if (s === undefined) {
        s = this.sets.length;
        byArgument.set(id, s);
        const floats = type.kind === "real" || type.kind === "double precision";
        this.sets.push({ leader: j, type, normalize, order: undefined, floats });
        ordered.push(false);
      }
      if (isOrder) ordered[s] = true;
      setOf.push(s);
    });
    this.sets = this.sets.map((set, s) => (ordered[s] ? { ...set, order: orderOf(set.type) } : set));
    this.setOf = setOf;
  }

  /**
   * Moves a batch's values of set `s` in (insert rows) or out (retractions) of their groups'
   * multisets. `slot[i]` is row i's group in `groupKeys`. Returns, per row, 1 when the value's
   * multiplicity crossed 0 (went 0 -> 1 or 1 -> 0): where DISTINCT aggregates count or uncount
   * it. A retraction of a value never counted is ignored rather than taken below 0.
   */
  move(
    s: number,
    values: readonly Plain[],
    ops: Int8Array | undefined,
    slot: Int32Array,
    groupKeys: readonly string[],
  ): Uint8Array {
    const set = this.sets[s] as ValueSet;
    const n = values.length;
    const crossed = new Uint8Array(n);
    // Per group of the batch, its key prefix and index, found once.
    const prefixes = new Array<string | undefined>(groupKeys.length);
    const lists = set.order === undefined ? undefined : new Array<SortedList<Plain> | undefined>(groupKeys.length);
    /** Group g's index, looked up once per batch. */
    const listOf = (cache: (SortedList<Plain> | undefined)[], g: number, groupKey: string): SortedList<Plain> => {
      let list = cache[g];
      if (list === undefined) {
        list = this.indexOf(s, groupKey);
        cache[g] = list;
      }
      return list;
    };
    for (let i = 0; i < n; i++) {
      const value = values[i] as Plain;
      if (value === null) continue;
      const g = slot[i] as number;
      const groupKey = groupKeys[g] as string;
      let prefix = prefixes[g];
      if (prefix === undefined) {
        prefix = `${set.leader}:${groupKey}`;
        prefixes[g] = prefix;
      }
      const mkey = prefix + (set.floats ? floatKey(value as number) : keyPart(value, set.type, set.normalize));
      const entry = this.store.get(mkey);
      const retract = ops !== undefined && ops[i] === RETRACT;
      if (entry === undefined) {
        if (retract) continue;
        this.store.set(mkey, [1, value, groupKey]);
        if (lists !== undefined) listOf(lists, g, groupKey).insert(value);
        crossed[i] = 1;
        continue;
      }
      entry[0] += retract ? -1 : 1;
      if (entry[0] > 0) {
        this.store.touch(mkey);
        continue;
      }
      this.store.delete(mkey);
      if (lists !== undefined) listOf(lists, g, groupKey).delete(entry[1]);
      crossed[i] = 1;
    }
    // A group's index emptied by the batch goes (a later row may have refilled it: checked at the end).
    if (lists !== undefined) {
      for (let g = 0; g < lists.length; g++) {
        if (lists[g]?.size === 0) this.indexes.delete(`${s}:${groupKeys[g]}`);
      }
    }
    return crossed;
  }

  /** The least value of set `s` in a group, or null when it has none. */
  first(s: number, groupKey: string): Plain {
    return this.indexes.get(`${s}:${groupKey}`)?.first() ?? null;
  }

  /** The greatest value of set `s` in a group, or null when it has none. */
  last(s: number, groupKey: string): Plain {
    return this.indexes.get(`${s}:${groupKey}`)?.last() ?? null;
  }

  /** Indexes a restored store entry of aggregate `j`; false when `j` leads no set (another kind of entry). */
  restore(j: number, entry: MultisetEntry): boolean {
    const s = this.sets.findIndex((set) => set.leader === j);
    if (s < 0) return false;
    if ((this.sets[s] as ValueSet).order !== undefined) this.indexOf(s, entry[2]).insert(entry[1]);
    return true;
  }

  /** Drops the indexes (before a restore rebuilds them). */
  clear(): void {
    this.indexes.clear();
  }

  private indexOf(s: number, groupKey: string): SortedList<Plain> {
    const id = `${s}:${groupKey}`;
    let list = this.indexes.get(id);
    if (list === undefined) {
      list = new SortedList<Plain>((this.sets[s] as ValueSet).order as Comparator);
      this.indexes.set(id, list);
    }
    return list;
  }
}

const FLOAT = new Float64Array(1);
const WORDS = new Uint32Array(FLOAT.buffer);

/**
 * A float's multiset key: its 64 bits as 5 UTF-16 code units of 13 bits (a number's decimal text
 * costs a dtoa per row; 13-bit units stay below the surrogates, so the key survives a checkpoint's
 * UTF-8), with SQL's equalities folded in: -0 is 0, every NaN is one NaN.
 */
export function floatKey(value: number): string {
  FLOAT[0] = value === 0 ? 0 : Number.isNaN(value) ? Number.NaN : value;
  const lo = WORDS[0] as number;
  const hi = WORDS[1] as number;
  return String.fromCharCode(
    lo & 0x1fff,
    (lo >>> 13) & 0x1fff,
    ((lo >>> 26) | (hi << 6)) & 0x1fff,
    (hi >>> 7) & 0x1fff,
    hi >>> 20,
  );
}

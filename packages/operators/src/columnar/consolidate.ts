import { type ChangeBatch, RETRACT, type SqlType } from "@jetflow/core";
import type { Schema } from "apache-arrow";
import type { Col } from "./col.js";
import { ColumnsChange, columnOf, rowsIn } from "./columns-change.js";
import { rowKeys } from "./row-key.js";
import { plainValues } from "./plain.js";
import { takeCol } from "./take.js";

/**
 * A change with equal rows netted out: an insert and a retraction of the same row cancel, so each
 * distinct row is left as many times as its inserts outnumber its retractions (or the other way
 * round), retractions first, then inserts, each in the order the row first appeared; a change in
 * which nothing cancels comes back as it is. Applying the result to a multiset of rows gives what
 * applying `change` gives. A changelog that goes somewhere
 * costly (an exchange edge between processes) sends this: within an epoch a group's value may
 * change many times, but only its first old row and its last new row survive.
 *
 * @example
 * ```ts
 * consolidate(change, schema, types); // +a -a +b -c +c  ->  +b
 * ```
 */
export function consolidate(change: ChangeBatch, schema: Schema, types: readonly SqlType[]): ChangeBatch {
  const n = rowsIn(change);
  const ops = change.ops;
  if (n === 0 || ops === undefined) return change;
  const cols: Col[] = types.map((t, c) => columnOf(change, c, t));
  const keys = rowKeys(
    cols.map((c) => plainValues(c)),
    types,
    n,
    false,
  );
  /** Net weight per distinct row, and the first row index that has it. */
  const net = new Map<string, { weight: number; first: number }>();
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    const w = ops[i] === RETRACT ? -1 : 1;
    const e = net.get(key);
    if (e === undefined) net.set(key, { weight: w, first: i });
    else e.weight += w;
  }
  const retracted: number[] = [];
  const inserted: number[] = [];
  for (const { weight, first } of net.values()) {
    for (let k = 0; k < -weight; k++) retracted.push(first);
    for (let k = 0; k < weight; k++) inserted.push(first);
  }
  const m = retracted.length + inserted.length;
  if (m === n) return change;
  const rows = Int32Array.from([...retracted, ...inserted]);
  const outOps = new Int8Array(m).fill(1);
  outOps.fill(RETRACT, 0, retracted.length);
  return new ColumnsChange(
    schema,
    types,
    cols.map((c) => takeCol(c, rows)),
    m,
    retracted.length === 0 ? undefined : outOps,
  );
}

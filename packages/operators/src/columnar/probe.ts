import type { SqlType } from "@jetflow/core";
import type { StoreKey } from "@jetflow/state";
import type { Data, RecordBatch } from "apache-arrow";
import { type Col, fromArrow } from "./col.js";
import { colKeys, scalarKeys } from "./row-key.js";

/**
 * The store keys of the rows of `probe` (its columns: the key columns, in key order), encoded
 * exactly as a keyed operator encodes them (numeric normalized, so `1.0` finds `1.00`): a lookup
 * by key is then one Map probe per row, never a scan.
 */
export function probeKeys(probe: RecordBatch, types: readonly SqlType[], scalar: boolean): StoreKey[] {
  const n = probe.numRows;
  const cols = types.map((t, c) => fromArrow(probe.data.children[c] as Data, t));
  return scalar && cols.length === 1 ? scalarKeys(cols[0] as Col, n) : colKeys(cols, n, true);
}

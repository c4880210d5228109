import type { Col } from "./columnar/col.js";

/** 1 where a boolean column is TRUE (not FALSE, not NULL): which candidate pairs a join's residual keeps. */
export function isTrue(v: Col, m: number): Uint8Array {
  const values = v.values as Uint8Array;
  const pass = new Uint8Array(m);
  for (let p = 0; p < m; p++) pass[p] = values[p] === 1 && (v.valid === undefined || v.valid[p] === 1) ? 1 : 0;
  return pass;
}

/** Whether row `i` has a NULL in one of the key columns: SQL equality never matches it. */
export function hasNull(cols: readonly Col[], i: number): boolean {
  for (let c = 0; c < cols.length; c++) {
    const valid = (cols[c] as Col).valid;
    if (valid !== undefined && valid[i] === 0) return true;
  }
  return false;
}

import { andValid, type Col, repOf } from "../columnar/col.js";
import { comparatorOf } from "../columnar/compare.js";
import { fromPlain, plainValues } from "../columnar/plain.js";
import { BOOLEAN } from "./types.js";

export type CompareOp = "=" | "<>" | "<" | "<=" | ">" | ">=";

/** `a op b` for two columns of the same type; NULL when either side is NULL. */
export function compareCols(op: CompareOp, a: Col, b: Col): Col {
  const n = a.length;
  const out = new Uint8Array(n);
  const valid = andValid(a.valid, b.valid, n);
  const rep = repOf(a.type);
  const plain = rep === "interval" || rep === "nested" || rep === "bool";
  const x = (plain ? plainValues(a) : a.values) as ArrayLike<unknown>;
  const y = (plain ? plainValues(b) : b.values) as ArrayLike<unknown>;
  const cmp = comparatorOf(a.type);
  for (let i = 0; i < n; i++) {
    if (valid !== undefined && valid[i] === 0) continue;
    const c = cmp(x[i], y[i]);
    let r: boolean;
    switch (op) {
      case "=":
        r = c === 0;
        break;
      case "<>":
        r = c !== 0;
        break;
      case "<":
        r = c < 0;
        break;
      case "<=":
        r = c <= 0;
        break;
      case ">":
        r = c > 0;
        break;
      case ">=":
        r = c >= 0;
        break;
    }
    out[i] = r ? 1 : 0;
  }
  return { type: BOOLEAN, length: n, values: out, valid };
}

/** Three-valued AND (`and`) or OR (`!and`): a FALSE (TRUE) side decides even when the other is NULL. */
export function andOr(and: boolean, a: Col, b: Col): Col {
  const n = a.length;
  const x = a.values as Uint8Array;
  const y = b.values as Uint8Array;
  const av = a.valid;
  const bv = b.valid;
  const out = new Uint8Array(n);
  if (av === undefined && bv === undefined) {
    if (and) for (let i = 0; i < n; i++) out[i] = (x[i] as number) & (y[i] as number);
    else for (let i = 0; i < n; i++) out[i] = (x[i] as number) | (y[i] as number);
    return { type: BOOLEAN, length: n, values: out, valid: undefined };
  }
  const valid = new Uint8Array(n);
  const decisive = and ? 0 : 1;
  for (let i = 0; i < n; i++) {
    const aOk = av === undefined || av[i] === 1;
    const bOk = bv === undefined || bv[i] === 1;
    if ((aOk && x[i] === decisive) || (bOk && y[i] === decisive)) {
      out[i] = decisive;
      valid[i] = 1;
    } else if (aOk && bOk) {
      out[i] = 1 - decisive;
      valid[i] = 1;
    }
  }
  return { type: BOOLEAN, length: n, values: out, valid };
}

export function not(a: Col): Col {
  const n = a.length;
  const x = a.values as Uint8Array;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 - (x[i] as number);
  return { type: BOOLEAN, length: n, values: out, valid: a.valid };
}

/** IS NULL (`wantNull`) or IS NOT NULL: never NULL itself. */
export function isNullCol(a: Col, wantNull: boolean): Col {
  const n = a.length;
  const out = new Uint8Array(n);
  const v = a.valid;
  for (let i = 0; i < n; i++) out[i] = (v === undefined || v[i] === 1) === wantNull ? 0 : 1;
  return { type: BOOLEAN, length: n, values: out, valid: undefined };
}

/**
 * `x IS [NOT] NULL` for a struct, as PostgreSQL tests a row value: IS NULL when the value or
 * every field is NULL, IS NOT NULL when the value and every field are not (so a struct with
 * some NULL fields is neither). RisingWave tests the value as a whole, which its issue #10150
 * calls a PostgreSQL incompatibility.
 */
export function rowNullTest(a: Col, wantNull: boolean): Col {
  const n = a.length;
  const out = new Uint8Array(n);
  const rows = plainValues(a);
  const fields = a.type.kind === "struct" ? a.type.fields.map((f) => f.name) : [];
  for (let i = 0; i < n; i++) {
    const row = rows[i] as Record<string, unknown> | null;
    if (row === null) {
      out[i] = wantNull ? 1 : 0;
      continue;
    }
    let nulls = 0;
    for (const f of fields) if (row[f] === null || row[f] === undefined) nulls++;
    out[i] = (wantNull ? nulls === fields.length : nulls === 0) ? 1 : 0;
  }
  return { type: BOOLEAN, length: n, values: out, valid: undefined };
}

/** IS TRUE / IS FALSE: NULL counts as neither. */
export function isBool(a: Col, want: boolean): Col {
  const n = a.length;
  const out = new Uint8Array(n);
  const x = a.values as Uint8Array;
  const v = a.valid;
  const target = want ? 1 : 0;
  for (let i = 0; i < n; i++) out[i] = (v === undefined || v[i] === 1) && x[i] === target ? 1 : 0;
  return { type: BOOLEAN, length: n, values: out, valid: undefined };
}

/**
 * Per row, the first column whose `when` holds (TRUE, not NULL) gives the value; else `otherwise`.
 * Used by CASE, COALESCE (when = "is not null") and NULLIF.
 */
export function selectRows(whens: readonly Col[], thens: readonly Col[], otherwise: Col): Col {
  const n = otherwise.length;
  const pick = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < whens.length; k++) {
      const w = whens[k] as Col;
      if ((w.valid === undefined || w.valid[i] === 1) && (w.values as Uint8Array)[i] === 1) {
        pick[i] = k;
        break;
      }
    }
  }
  return gatherColumns([...thens, otherwise], pick, thens.length);
}

/** Row i from column `pick[i]` (or `fallback` when -1); all columns share a type. */
function gatherColumns(cols: readonly Col[], pick: Int32Array, fallback: number): Col {
  const first = cols[0] as Col;
  const n = first.length;
  const rep = repOf(first.type);
  if (rep === "nested" || rep === "bool" || rep === "interval") {
    // Rare types: through plain values.
    const plains = cols.map(plainValues);
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = (plains[pick[i] === -1 ? fallback : (pick[i] as number)] as unknown[])[i];
    return fromPlainLazy(out, first);
  }
  const values = cols.map((c) => c.values as unknown as unknown[]);
  const out = (first.values as unknown as { slice(): unknown[] }).slice();
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = pick[i] === -1 ? fallback : (pick[i] as number);
    const c = cols[k] as Col;
    out[i] = (values[k] as unknown[])[i];
    valid[i] = c.valid === undefined ? 1 : (c.valid[i] as number);
  }
  return { type: first.type, length: n, values: out as never, valid };
}

function fromPlainLazy(values: unknown[], like: Col): Col {
  return fromPlain(values, like.type);
}

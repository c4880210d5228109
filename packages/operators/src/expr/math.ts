import { allocValues, andValid, type Col, repOf } from "../columnar/col.js";
import {
  floorDecimal,
  formatDecimal,
  numericSpecial,
  parseDecimal,
  roundDecimal,
  specialText,
} from "../columnar/decimal.js";
import { rint } from "./cast.js";
import type { EvalWarnings } from "./context.js";

/** abs, round, floor, ceil: numeric stays exact, floats follow PostgreSQL (round half to even). */

export function abs(a: Col, w: EvalWarnings): Col {
  const n = a.length;
  const rep = repOf(a.type);
  const out = allocValues(a.type, n);
  let valid = a.valid;
  if (rep === "str") {
    const x = a.values as string[];
    for (let i = 0; i < n; i++) (out as string[])[i] = (x[i] as string).replace(/^-/, "");
  } else {
    const x = a.values as Float64Array;
    const o = out as Float64Array;
    const min = rep === "i16" ? -32768 : rep === "i32" ? -2147483648 : rep === "i64" ? -(2n ** 63n) : undefined;
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      if (v === min && (valid === undefined || valid[i] === 1)) {
        w.overflow++;
        valid = valid === a.valid ? (valid?.slice() ?? new Uint8Array(n).fill(1)) : valid;
        (valid as Uint8Array)[i] = 0;
        continue;
      }
      o[i] = v < 0 ? -v : v;
    }
  }
  return { type: a.type, length: n, values: out, valid };
}

export type RoundMode = "round" | "floor" | "ceil";

/** round/floor/ceil of a double column. */
export function roundDouble(a: Col, mode: RoundMode): Col {
  const n = a.length;
  const x = a.values as Float64Array;
  const out = new Float64Array(n);
  const f = mode === "round" ? rint : mode === "floor" ? Math.floor : Math.ceil;
  for (let i = 0; i < n; i++) out[i] = f(x[i] as number);
  return { type: a.type, length: n, values: out, valid: a.valid };
}

/** round(numeric [, scale]) half away from zero, floor/ceil(numeric). */
export function roundNumeric(a: Col, scale: Col | undefined, mode: RoundMode): Col {
  const n = a.length;
  const valid = scale === undefined ? a.valid : andValid(a.valid, scale.valid, n);
  const x = a.values as string[];
  const s = scale?.values as Int32Array | undefined;
  const out = new Array<string>(n).fill("");
  for (let i = 0; i < n; i++) {
    if (valid !== undefined && valid[i] === 0) continue;
    const d = parseDecimal(x[i] as string);
    if (d === undefined) {
      // NaN and ±Infinity round to themselves.
      const special = numericSpecial(x[i] as string);
      out[i] = special === undefined ? "NaN" : specialText(special);
      continue;
    }
    const r =
      mode === "round" ? roundDecimal(d, s === undefined ? 0 : (s[i] as number)) : floorDecimal(d, mode === "ceil");
    out[i] = formatDecimal(r);
  }
  return { type: a.type, length: n, values: out, valid };
}

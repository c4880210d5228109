import { andValid, type Col } from "../columnar/col.js";
import { constantCol } from "../columnar/plain.js";
import { BOOLEAN, INTEGER, VARCHAR } from "./types.js";

/** Text functions over varchar columns, in PostgreSQL's character (code point) semantics. */

const SURROGATE = /[\uD800-\uDFFF]/;

function mapText(a: Col, f: (s: string) => string): Col {
  const n = a.length;
  const x = a.values as string[];
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = f(x[i] as string);
  return { type: VARCHAR, length: n, values: out, valid: a.valid };
}

export function lower(a: Col): Col {
  return mapText(a, (s) => s.toLowerCase());
}

export function upper(a: Col): Col {
  return mapText(a, (s) => s.toUpperCase());
}

/** Characters (code points) of text, or bytes of bytea. */
export function length(a: Col): Col {
  const n = a.length;
  const out = new Int32Array(n);
  if (a.type.kind === "bytea") {
    const x = a.values as Uint8Array[];
    for (let i = 0; i < n; i++) out[i] = (x[i] as Uint8Array).length;
  } else {
    const x = a.values as string[];
    for (let i = 0; i < n; i++) {
      const s = x[i] as string;
      out[i] = SURROGATE.test(s) ? [...s].length : s.length;
    }
  }
  return { type: INTEGER, length: n, values: out, valid: a.valid };
}

/** substr(s, start [, count]) with 1-based start; a start before 1 eats into the count, like PostgreSQL. */
export function substr(s: Col, start: Col, count: Col | undefined): Col {
  const n = s.length;
  let valid = andValid(s.valid, start.valid, n);
  if (count !== undefined) valid = andValid(valid, count.valid, n);
  const x = s.values as string[];
  const st = start.values as Int32Array;
  const ct = count?.values as Int32Array | undefined;
  const out = new Array<string>(n).fill("");
  for (let i = 0; i < n; i++) {
    if (valid !== undefined && valid[i] === 0) continue;
    const text = x[i] as string;
    const chars = SURROGATE.test(text) ? [...text] : undefined;
    const len = chars === undefined ? text.length : chars.length;
    const from = (st[i] as number) - 1;
    const to = ct === undefined ? len : from + Math.max(0, ct[i] as number);
    const a = Math.max(0, from);
    const b = Math.min(len, to);
    if (b <= a) continue;
    out[i] = chars === undefined ? text.slice(a, b) : chars.slice(a, b).join("");
  }
  return { type: VARCHAR, length: n, values: out, valid };
}

/** trim / ltrim / rtrim: removes any of `chars` (default a space) from the chosen ends. */
export function trim(s: Col, chars: Col | undefined, leading: boolean, trailing: boolean): Col {
  const n = s.length;
  const valid = chars === undefined ? s.valid : andValid(s.valid, chars.valid, n);
  const x = s.values as string[];
  const c = (chars ?? constantCol(VARCHAR, n, " ")).values as string[];
  const out = new Array<string>(n).fill("");
  for (let i = 0; i < n; i++) {
    if (valid !== undefined && valid[i] === 0) continue;
    const set = c[i] as string;
    const text = x[i] as string;
    let a = 0;
    let b = text.length;
    if (leading) while (a < b && set.includes(text[a] as string)) a++;
    if (trailing) while (b > a && set.includes(text[b - 1] as string)) b--;
    out[i] = text.slice(a, b);
  }
  return { type: VARCHAR, length: n, values: out, valid };
}

/** concat(...): NULL arguments are skipped; the columns are already text. */
export function concat(args: readonly Col[], n: number): Col {
  const out = new Array<string>(n).fill("");
  for (const a of args) {
    const x = a.values as string[];
    for (let i = 0; i < n; i++) if (a.valid === undefined || a.valid[i] === 1) out[i] += x[i] as string;
  }
  return { type: VARCHAR, length: n, values: out, valid: undefined };
}

/** `a || b` for text: NULL if either is NULL. */
export function concatOp(a: Col, b: Col): Col {
  const n = a.length;
  const x = a.values as string[];
  const y = b.values as string[];
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = (x[i] as string) + (y[i] as string);
  return { type: VARCHAR, length: n, values: out, valid: andValid(a.valid, b.valid, n) };
}

/** replace(s, from, to): every occurrence. */
export function replace(s: Col, from: Col, to: Col): Col {
  const n = s.length;
  const valid = andValid(andValid(s.valid, from.valid, n), to.valid, n);
  const x = s.values as string[];
  const f = from.values as string[];
  const t = to.values as string[];
  const out = new Array<string>(n).fill("");
  for (let i = 0; i < n; i++) {
    if (valid !== undefined && valid[i] === 0) continue;
    out[i] = f[i] === "" ? (x[i] as string) : (x[i] as string).split(f[i] as string).join(t[i] as string);
  }
  return { type: VARCHAR, length: n, values: out, valid };
}

const likeCache = new Map<string, RegExp>();

/** The RegExp of a LIKE pattern: `%` any run, `_` one character, `escape` quotes the next character. */
export function likeRegExp(pattern: string, caseInsensitive: boolean, escapeChar: string): RegExp {
  const cacheKey = `${caseInsensitive ? "i" : "c"}${escapeChar}${pattern}`;
  const cached = likeCache.get(cacheKey);
  if (cached !== undefined) return cached;
  let re = "^";
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (escapeChar !== "" && ch === escapeChar && i + 1 < chars.length) {
      re += (chars[++i] as string).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else if (ch === "%") re += "[\\s\\S]*";
    else if (ch === "_") re += "[\\s\\S]";
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  const regexp = new RegExp(`${re}$`, caseInsensitive ? "iu" : "u");
  if (likeCache.size > 1000) likeCache.clear(); // patterns from data must not grow memory without bound
  likeCache.set(cacheKey, regexp);
  return regexp;
}

/** s LIKE / ILIKE pattern [ESCAPE e]. */
export function like(s: Col, pattern: Col, escapeCol: Col | undefined, caseInsensitive: boolean): Col {
  const n = s.length;
  let valid = andValid(s.valid, pattern.valid, n);
  if (escapeCol !== undefined) valid = andValid(valid, escapeCol.valid, n);
  const x = s.values as string[];
  const p = pattern.values as string[];
  const e = escapeCol?.values as string[] | undefined;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (valid !== undefined && valid[i] === 0) continue;
    out[i] = likeRegExp(p[i] as string, caseInsensitive, e === undefined ? "\\" : (e[i] as string)).test(x[i] as string)
      ? 1
      : 0;
  }
  return { type: BOOLEAN, length: n, values: out, valid };
}

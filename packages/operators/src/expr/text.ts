/** PostgreSQL's text forms of scalar values that JS formats differently. */

import { numericSpecial } from "../columnar/decimal.js";

/** float8 output (PostgreSQL 12+): shortest round-trip digits, exponent form outside 1e-4 <= |x| < 1e15. */
export function formatFloat8(v: number): string {
  return formatShortest(v, v.toExponential(), 15);
}

/** float4 output: the shortest digits that read back to the same float32. */
export function formatFloat4(v: number): string {
  if (!Number.isFinite(v)) return formatFloat8(v);
  let exp = v.toExponential(8);
  for (let p = 0; p <= 8; p++) {
    const candidate = v.toExponential(p);
    if (Math.fround(Number(candidate)) === v) {
      exp = candidate;
      break;
    }
  }
  return formatShortest(v, exp, 6);
}

function formatShortest(v: number, expText: string, maxExp: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const [mant, e] = expText.split("e") as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= maxExp) {
    const abs = Math.abs(exp);
    return `${mant}e${exp < 0 ? "-" : "+"}${abs < 10 ? `0${abs}` : abs}`;
  }
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  let text: string;
  if (exp >= 0) {
    text =
      digits.length <= exp + 1 ? digits.padEnd(exp + 1, "0") : `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  } else {
    text = `0.${"0".repeat(-exp - 1)}${digits}`;
  }
  return neg ? `-${text}` : text;
}

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** float input: decimal text, `NaN`, `[+-]Infinity` / `inf`; undefined when invalid. */
export function parseFloatText(text: string): number | undefined {
  const t = text.trim();
  if (FLOAT_RE.test(t)) return Number(t);
  return numericSpecial(t);
}

const INT_RE = /^\s*[+-]?\d+\s*$/;

/** Integer input; undefined when not an integer literal. */
export function parseIntText(text: string): bigint | undefined {
  return INT_RE.test(text) ? BigInt(text.trim()) : undefined;
}

const BOOL_TEXT: Readonly<Record<string, boolean>> = {
  t: true,
  true: true,
  y: true,
  yes: true,
  on: true,
  "1": true,
  f: false,
  false: false,
  n: false,
  no: false,
  off: false,
  "0": false,
};

export function parseBoolText(text: string): boolean | undefined {
  return BOOL_TEXT[text.trim().toLowerCase()];
}

/** bytea output: `\x` + lower-case hex. */
export function formatBytea(bytes: Uint8Array): string {
  return `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/** bytea input: `\x` hex, else the text's UTF-8 bytes. */
export function parseBytea(text: string): Uint8Array | undefined {
  if (text.startsWith("\\x")) {
    const hex = text.slice(2);
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) return undefined;
    return new Uint8Array(Buffer.from(hex, "hex"));
  }
  return new TextEncoder().encode(text);
}

/**
 * jsonb input normalized the way PostgreSQL prints jsonb: `", "` and `": "` separators,
 * object keys unique (last wins) and ordered shorter-first then by bytes.
 */
export function normalizeJsonb(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return jsonbText(value);
}

/** A parsed JSON value as PostgreSQL prints jsonb. */
export function jsonbText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(jsonbText).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbText((v as Record<string, unknown>)[k])}`).join(", ")}}`;
  }
  return JSON.stringify(v);
}

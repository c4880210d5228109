import { InvalidOptionError } from "@jetflow/core/base";

/** Bounds of an integer option; `forbidZero` for NATS limits where 0 is not a value (-1 = unlimited). */
export interface IntRange {
  readonly min: number;
  readonly max?: number;
  readonly forbidZero?: boolean;
}

/**
 * Parses a whole number written as text (`'42'`, `'-1'`), rejecting fractions, exponents,
 * hex and anything outside `range`; the error names the option and the accepted range.
 */
export function readInt(key: string, raw: string, range: IntRange): number {
  const text = raw.trim();
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const accepted = describeRange(range, max);
  if (!/^[-+]?\d+$/.test(text)) {
    throw new InvalidOptionError(key, `${key} must be a whole number (${accepted}), got '${raw}'`);
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < range.min || n > max || (range.forbidZero === true && n === 0)) {
    throw new InvalidOptionError(key, `${key} must be ${accepted}, got ${text}`);
  }
  return n;
}

function describeRange(range: IntRange, max: number): string {
  const upper = max === Number.MAX_SAFE_INTEGER ? "" : ` and at most ${max}`;
  if (range.forbidZero === true && range.min === -1) return `-1 (unlimited) or a whole number of at least 1${upper}`;
  return `a whole number of at least ${range.min}${upper}`;
}

/** Parses `true`/`false` (any case). */
export function readBool(key: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (v === "true") return true;
  if (v === "false") return false;
  throw new InvalidOptionError(key, `${key} must be 'true' or 'false', got '${raw}'`);
}

/** Parses one of `accepted` (any case, surrounding spaces ignored); the error lists them. */
export function readEnum<T extends string>(key: string, raw: string, accepted: readonly T[]): T {
  const v = raw.trim().toLowerCase();
  const hit = accepted.find((a) => a === v);
  if (hit === undefined) {
    throw new InvalidOptionError(key, `${key} must be one of ${quoteList(accepted)}, got '${raw}'`);
  }
  return hit;
}

/** Splits a comma-separated list, trimming items; empty items are an error naming the option. */
export function readList(key: string, raw: string): string[] {
  const items = raw.split(",").map((s) => s.trim());
  if (items.some((s) => s.length === 0)) {
    throw new InvalidOptionError(key, `${key} must be a comma-separated list without empty entries, got '${raw}'`);
  }
  return items;
}

/** `'a', 'b' or 'c'`. */
export function quoteList(items: readonly string[]): string {
  const q = items.map((s) => `'${s}'`);
  if (q.length <= 1) return q.join("");
  return `${q.slice(0, -1).join(", ")} or ${q[q.length - 1]}`;
}

/** The accepted key closest to an unknown one, when it is plausibly a typo. */
export function closestKey(unknown: string, keys: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(unknown.length / 4)) + 1;
  for (const k of keys) {
    const d = editDistance(unknown.toLowerCase(), k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[b.length]!;
}

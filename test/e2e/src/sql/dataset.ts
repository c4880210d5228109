/**
 * The generated data set of the SQL differential tests: one column of every SQL type of DESIGN §2,
 * rows with NULLs, repeated keys (a keyed table overwrites them: retract + insert downstream) and
 * the edge values engines get wrong (bigints past 2^53, NaN and ±Infinity, -0, numeric with many
 * digits, non-BMP text, times before 1970). Every value is written twice: as the JSON a producer
 * would publish, and as PostgreSQL input text for the reference engine.
 */

/** A seeded PRNG (mulberry32): the same seed gives the same data and queries. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Whole number in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  /** `k` distinct items, in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy.slice(0, k);
  }
}

/** A column: its jetflow DDL type and its PostgreSQL type. */
export interface DataColumn {
  readonly name: string;
  readonly sql: string;
  readonly pg: string;
}

/** One column of every type of DESIGN §2 (plus `text` beside `varchar`). `id` is the table's key. */
export const COLUMNS: readonly DataColumn[] = [
  { name: "id", sql: "bigint", pg: "bigint" },
  { name: "b", sql: "boolean", pg: "boolean" },
  { name: "si", sql: "smallint", pg: "smallint" },
  { name: "i", sql: "integer", pg: "integer" },
  { name: "big", sql: "bigint", pg: "bigint" },
  { name: "r", sql: "real", pg: "real" },
  { name: "d", sql: "double precision", pg: "double precision" },
  { name: "n", sql: "numeric", pg: "numeric" },
  { name: "s", sql: "varchar", pg: "varchar" },
  { name: "c", sql: "text", pg: "text" },
  { name: "bin", sql: "bytea", pg: "bytea" },
  { name: "dt", sql: "date", pg: "date" },
  { name: "tm", sql: "time", pg: "time" },
  { name: "ts", sql: "timestamp", pg: "timestamp" },
  { name: "tz", sql: "timestamp with time zone", pg: "timestamptz" },
  { name: "iv", sql: "interval", pg: "interval" },
  { name: "j", sql: "jsonb", pg: "jsonb" },
  { name: "st", sql: "struct<a int, b varchar>", pg: "st_t" },
  { name: "arr", sql: "int[]", pg: "integer[]" },
];

/** PostgreSQL DDL for the reference tables (the database's collation is C, as jetflow compares text). */
export const PG_SETUP = "CREATE TYPE st_t AS (a integer, b varchar)";

/** One generated row: per column, its JSON text (undefined: the field is left out) and PostgreSQL input (null: NULL). */
export interface Row {
  readonly json: Record<string, string | undefined>;
  readonly pg: Record<string, string | Uint8Array | null>;
}

/** Options: which edge values to generate (kept switchable so a failure can be narrowed down). */
export interface DataOptions {
  /** NaN, ±Infinity and -0 among the doubles, NaN among the numerics. @default true */
  readonly nonFinite?: boolean;
}

const STRINGS = [
  "alpha",
  "Alpha",
  "beta",
  "gamma ray",
  "",
  "a_b",
  "a%b",
  "O'Brien",
  "back\\slash",
  "δέλτα",
  "Ωmega",
  "emoji 🚀",
  "emoji ｘ",
  "ｆｕｌｌ",
  "tab\there",
  "zeta",
];
const COLORS = ["red", "green", "blue", "RED"];
/** Intervals with distinct lengths (PostgreSQL compares `1 mon` = `30 days`, which would make min/max ambiguous). */
const INTERVALS = [
  "1 day 02:00:00",
  "3 hours",
  "90 minutes",
  "P1DT3H",
  "-1 day",
  "00:00:30.5",
  "2 mons 3 days",
  "1 year",
  "-2 hours 30 minutes",
  "P2W",
  "1 day -01:00:00",
];
const JSONS = [
  '{"k":1,"tags":["x","y"]}',
  "[1,2,3]",
  '"text"',
  "42",
  "true",
  '{"nested":{"x":null,"y":1.5}}',
  "{}",
  '{"b":2,"a":1}',
];

const DAY_MS = 86_400_000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Microseconds since the epoch -> `YYYY-MM-DD HH:MM:SS.ffffff` (UTC wall clock). */
export function timestampText(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString();
  const micros = us - Math.floor(us / 1_000_000) * 1_000_000;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${pad(micros, 6)}`;
}

/** A column's value for one row: [JSON text, PostgreSQL text]; null for NULL. */
function value(rng: Rng, column: string, opts: Required<DataOptions>): [string, string | Uint8Array] | null {
  switch (column) {
    case "b": {
      const v = rng.chance(0.5);
      return [String(v), String(v)];
    }
    case "si": {
      const v = rng.int(-300, 300);
      return [rng.chance(0.2) ? `"${v}"` : String(v), String(v)];
    }
    case "i": {
      const v = rng.chance(0.3) ? rng.pick([0, 1, -1, 7, 100]) : rng.int(-20_000, 20_000);
      return [rng.chance(0.1) ? `${v}.0` : String(v), String(v)];
    }
    case "big": {
      const huge = 2n ** 62n;
      const v = rng.chance(0.6)
        ? BigInt(rng.int(-1000, 1000))
        : rng.pick([2n ** 53n + 1n, -(2n ** 53n) - 3n, huge - 1n, -huge + 7n, 10n ** 15n + 5n]) + BigInt(rng.int(0, 3));
      return [String(v), String(v)];
    }
    case "r": {
      const v = rng.int(-4000, 4000) / 4;
      return [String(v), String(v)];
    }
    case "d": {
      if (opts.nonFinite && rng.chance(0.04)) {
        const v = rng.pick(["NaN", "Infinity", "-Infinity", "-0"]);
        return [v === "-0" ? "-0.0" : `"${v}"`, v];
      }
      const v = rng.int(-8_000_000, 8_000_000) / 8;
      return [String(v), String(v)];
    }
    case "n": {
      if (opts.nonFinite && rng.chance(0.01)) return ['"NaN"', "NaN"];
      if (rng.chance(0.05)) {
        const v = `${rng.chance(0.5) ? "-" : ""}123456789012345678901234567890.${pad(rng.int(0, 999_999), 6)}`;
        return [`"${v}"`, v];
      }
      const whole = rng.int(-99_999, 99_999);
      const scale = rng.int(0, 4);
      const frac = scale === 0 ? "" : `.${pad(rng.int(0, 10 ** scale - 1), scale)}`;
      const sign = whole === 0 && frac !== "" && rng.chance(0.5) ? "-" : "";
      const v = `${sign}${whole}${frac}`;
      // As a JSON number when a double holds it exactly, otherwise (or by chance) as a string.
      return [rng.chance(0.5) && String(Number(v)) === v ? v : `"${v}"`, v];
    }
    case "s": {
      if (rng.chance(0.1)) {
        const v = rng.int(0, 50);
        return [String(v), String(v)]; // a JSON number into a varchar column is its text
      }
      const v = rng.chance(0.7) ? rng.pick(STRINGS) : `s${rng.int(0, 30)}`;
      return [JSON.stringify(v), v];
    }
    case "c": {
      const v = rng.pick(COLORS);
      return [JSON.stringify(v), v];
    }
    case "bin": {
      const bytes = Array.from({ length: rng.int(0, 4) }, () => rng.pick([0, 1, 0x7f, 0x80, 0xff, rng.int(0, 255)]));
      const hex = `\\x${bytes.map((x) => x.toString(16).padStart(2, "0")).join("")}`;
      return [JSON.stringify(hex), Uint8Array.from(bytes)]; // PGlite sends bytea parameters as bytes
    }
    case "dt": {
      const days = rng.chance(0.05) ? rng.pick([-1, -25_000]) : 19_716 + rng.int(0, 16); // 2023-12-25 ..
      const text = new Date(days * DAY_MS).toISOString().slice(0, 10);
      return [rng.chance(0.2) ? String(days) : JSON.stringify(text), text];
    }
    case "tm": {
      const secs = rng.int(0, 86_399);
      const frac = rng.chance(0.3) ? `.${pad(rng.int(0, 999_999), 6)}` : "";
      const text = `${pad(Math.floor(secs / 3600))}:${pad(Math.floor(secs / 60) % 60)}:${pad(secs % 60)}${frac}`;
      return [JSON.stringify(text), text];
    }
    case "ts": {
      const us = timeMicros(rng);
      const text = timestampText(us);
      return [JSON.stringify(rng.chance(0.5) ? text.replace(" ", "T") : text), text];
    }
    case "tz": {
      const us = timeMicros(rng);
      const text = `${timestampText(us)}Z`;
      const form = rng.int(0, 3);
      if (form === 1 && us > 0 && us % 1000 === 0) return [String(us / 1000), text]; // epoch milliseconds
      if (form === 2) {
        // The same instant written with a +02:00 offset.
        const shifted = timestampText(us + 2 * 3_600_000_000).replace(" ", "T");
        return [JSON.stringify(`${shifted}+02:00`), text];
      }
      return [JSON.stringify(text.replace(" ", "T")), text];
    }
    case "iv": {
      const v = rng.pick(INTERVALS);
      return [JSON.stringify(v), v];
    }
    case "j": {
      const v = rng.pick(JSONS);
      return [v, v];
    }
    case "st": {
      const a = rng.chance(0.15) ? null : rng.int(-5, 5);
      const b = rng.chance(0.15) ? null : rng.pick(["x", "y,z", 'q"t', "(p)"]);
      const obj = JSON.stringify({ a, b });
      const field = (v: string | number | null) =>
        v === null ? "" : `"${String(v).replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
      return [rng.chance(0.2) ? JSON.stringify(obj) : obj, `(${field(a)},${field(b)})`];
    }
    case "arr": {
      const items = Array.from({ length: rng.int(0, 3) }, () => (rng.chance(0.15) ? null : rng.int(-3, 9)));
      return [JSON.stringify(items), `{${items.map((x) => (x === null ? "NULL" : String(x))).join(",")}}`];
    }
    default:
      throw new Error(`no generator for column ${column}`);
  }
}

/** Mostly 2024-03-01 .. 2024-03-03 with microseconds, a few just before 1970 (window floors go down). */
function timeMicros(rng: Rng): number {
  if (rng.chance(0.04)) return -rng.int(1, 7_200) * 1_000_000 - rng.int(0, 999_999);
  const base = Date.UTC(2024, 2, 1) * 1000;
  const us = base + rng.int(0, 2 * 86_400) * 1_000_000;
  return rng.chance(0.5) ? us : us + rng.int(0, 999_999);
}

/** `count` rows over `keys` distinct ids: about count/keys writes per key, each column NULL one time in ten. */
export function generateRows(rng: Rng, count: number, keys: number, options: DataOptions = {}): Row[] {
  const opts: Required<DataOptions> = { nonFinite: options.nonFinite ?? true };
  const rows: Row[] = [];
  for (let k = 0; k < count; k++) {
    const json: Record<string, string | undefined> = {};
    const pg: Record<string, string | Uint8Array | null> = {};
    const id = rng.int(0, keys - 1);
    json["id"] = String(id);
    pg["id"] = String(id);
    for (const c of COLUMNS) {
      if (c.name === "id") continue;
      const v = rng.chance(0.1) ? null : value(rng, c.name, opts);
      if (v === null) {
        json[c.name] = rng.chance(0.5) ? "null" : undefined;
        pg[c.name] = null;
      } else {
        json[c.name] = v[0];
        pg[c.name] = v[1];
      }
    }
    rows.push({ json, pg });
  }
  return rows;
}

/** The row as the JSON message a producer publishes (fields in a random order: names, not positions, matter). */
export function payload(row: Row, rng: Rng): string {
  const fields = Object.entries(row.json).filter((e): e is [string, string] => e[1] !== undefined);
  return `{${rng
    .sample(fields, fields.length)
    .map(([k, v]) => `${JSON.stringify(k)}:${v}`)
    .join(",")}}`;
}

/** The final contents of a table keyed by id: the last write of each key. */
export function lastPerKey(rows: readonly Row[]): Row[] {
  const m = new Map<string, Row>();
  for (const r of rows) m.set(r.pg["id"] as string, r);
  return [...m.values()];
}

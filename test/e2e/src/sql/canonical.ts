import type { SqlType } from "@jetflow/core";
import type { ReferenceSql } from "../reference-sql.js";

/**
 * Both answers — PostgreSQL's text output and the CLI's JSON Lines — brought to one canonical
 * string per value, by the PostgreSQL type of the column, so that equal values compare equal
 * however each side spells them (`12.50` vs `12.5`, `2024-03-01 12:00:00+00` vs
 * `2024-03-01T12:00:00.000Z`, `{"b": 2, "a": 1}` vs `{"a":1,"b":2}`) and different values never do.
 */

/** A column of PostgreSQL's answer: its name and information_schema data_type. */
export interface RefColumn {
  readonly name: string;
  readonly dataType: string;
}

/** PostgreSQL's answer for one view: its columns, and its rows as canonical value lists, sorted. */
export interface Reference {
  readonly columns: readonly RefColumn[];
  readonly rows: readonly string[];
}

const STRUCTURED = new Set(["jsonb", "json", "USER-DEFINED", "ARRAY"]);

/**
 * PostgreSQL's answer for the view (or table) `name` defined in `db`. Values are read as text (a
 * `~` prefix keeps the reference helper from reading digits as numbers), structured values as JSON.
 */
export async function referenceOf(db: ReferenceSql, name: string): Promise<Reference> {
  const info = await db.rows(
    `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${name}' ORDER BY ordinal_position`,
  );
  const columns = info.map((c) => ({ name: String(c["column_name"]), dataType: String(c["data_type"]) }));
  const select = columns
    .map((c, k) => {
      const ref = `q.${quoteIdent(c.name)}`;
      return `'~' || ${STRUCTURED.has(c.dataType) ? `to_jsonb(${ref})::text` : `${ref}::text`} AS v${k}`;
    })
    .join(", ");
  const result = await db.rows(`SELECT ${select} FROM ${quoteIdent(name)} q`);
  const rows = result.map((row) =>
    JSON.stringify(columns.map((c, k) => canonicalPg(row[`v${k}`] as string | null, c.dataType))),
  );
  return { columns, rows: rows.sort() };
}

/** The CLI's JSON Lines rows, canonical by PostgreSQL's column types, sorted. */
export function canonicalRows(rows: readonly Record<string, unknown>[], columns: readonly RefColumn[]): string[] {
  return rows.map((row) => JSON.stringify(columns.map((c) => canonicalJson(row[c.name], c.dataType)))).sort();
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function canonicalPg(text: string | null, dataType: string): string | null {
  if (text === null) return null;
  const v = text.slice(1);
  switch (dataType) {
    case "real":
      return floatText(Math.fround(Number(v)));
    case "double precision":
      return floatText(Number(v));
    case "numeric":
      return canonicalDecimal(v);
    case "smallint":
    case "integer":
    case "bigint":
      return BigInt(v).toString();
    case "time without time zone":
      return timeText(v);
    case "timestamp without time zone":
    case "timestamp with time zone":
      return microsOf(v);
    case "interval":
      return intervalOf(v);
    default:
      return STRUCTURED.has(dataType) ? canonicalJsonText(JSON.parse(v)) : v;
  }
}

function canonicalJson(v: unknown, dataType: string): string | null {
  if (v === null || v === undefined) return null;
  switch (dataType) {
    case "boolean":
      return String(v);
    case "real":
      return floatText(Math.fround(Number(v)));
    case "double precision":
      return floatText(Number(v));
    case "numeric":
      return canonicalDecimal(String(v));
    case "smallint":
    case "integer":
    case "bigint":
      // A bigint past 2^53 printed as a JSON number has lost digits: keep what was printed so it cannot match.
      return typeof v === "number" && !Number.isSafeInteger(v) ? `unsafe number ${v}` : String(v);
    case "time without time zone":
      return timeText(String(v));
    case "timestamp without time zone":
    case "timestamp with time zone":
      return microsOf(String(v));
    case "interval":
      return intervalOf(String(v));
    default:
      return STRUCTURED.has(dataType) ? canonicalJsonText(v) : String(v);
  }
}

/** A double as text; -0 is 0 (JSON cannot tell them apart), NaN and infinities by name. */
function floatText(n: number): string {
  return Object.is(n, -0) ? "0" : String(n);
}

/** `-001.2300` -> `-1.23`, `1e-7` -> `0.0000001`; NaN and ±Infinity kept. */
export function canonicalDecimal(text: string): string {
  let t = text.trim();
  if (/^nan$/i.test(t)) return "NaN";
  if (/^\+?inf(inity)?$/i.test(t)) return "Infinity";
  if (/^-inf(inity)?$/i.test(t)) return "-Infinity";
  const m = /^([-+]?)(\d*)(?:\.(\d*))?(?:e([-+]?\d+))?$/i.exec(t);
  if (m === null) return `not a number: ${text}`;
  let digits = `${m[2] ?? ""}${m[3] ?? ""}`;
  let point = (m[2] ?? "").length + Number(m[4] ?? 0);
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += "0".repeat(point - digits.length);
  const int = digits.slice(0, point).replace(/^0+/, "") || "0";
  const frac = digits.slice(point).replace(/0+$/, "");
  t = frac === "" ? int : `${int}.${frac}`;
  return m[1] === "-" && t !== "0" ? `-${t}` : t;
}

/** `12:00:00.500000` -> `12:00:00.5`. */
function timeText(v: string): string {
  return v.includes(".") ? v.replace(/0+$/, "").replace(/\.$/, "") : v;
}

/** A timestamp's microseconds since the epoch (as text), from PostgreSQL text or ISO-8601 (fractions past microseconds cut). */
export function microsOf(v: string): string {
  const m = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d(?::?\d\d)?)?$/.exec(v);
  if (m === null) return `not a timestamp: ${v}`;
  const [, y, mo, d, h, mi, s, f, zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (zone !== undefined && zone !== "Z") {
    const z = /^([+-])(\d\d):?(\d\d)?$/.exec(zone);
    const offset = (Number(z?.[2]) * 60 + Number(z?.[3] ?? 0)) * 60_000;
    ms -= z?.[1] === "-" ? -offset : offset;
  }
  return String(BigInt(ms) * 1000n + BigInt((f ?? "").padEnd(6, "0").slice(0, 6)));
}

/** PostgreSQL interval text (`1 year 2 mons -3 days +04:05:06.5`) -> `months,days,microseconds`. */
function intervalOf(v: string): string {
  let months = 0;
  let days = 0;
  let micros = 0n;
  const tokens = v.trim().split(/\s+/);
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as string;
    const time = /^([+-])?(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/.exec(t);
    if (time !== null) {
      const [, sign, h, m, s, f] = time;
      const us =
        ((BigInt(h as string) * 60n + BigInt(m as string)) * 60n + BigInt(s as string)) * 1_000_000n +
        BigInt((f ?? "").padEnd(6, "0"));
      micros += sign === "-" ? -us : us;
      continue;
    }
    const unit = tokens[++k] ?? "";
    const n = Number(t);
    if (/^years?$/.test(unit)) months += 12 * n;
    else if (/^mons?$/.test(unit)) months += n;
    else if (/^days?$/.test(unit)) days += n;
    else return `not an interval: ${v}`;
  }
  return `${months},${days},${micros}`;
}

/** JSON with object keys sorted, so key order does not matter. */
function canonicalJsonText(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) =>
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}

/** information_schema data_type names of a jetflow SQL type (text types have two). */
export function pgTypeNames(type: SqlType): readonly string[] {
  switch (type.kind) {
    case "varchar":
      return ["character varying", "text"];
    case "time":
      return ["time without time zone"];
    case "timestamp":
      return ["timestamp without time zone"];
    case "timestamptz":
      return ["timestamp with time zone"];
    case "struct":
      return ["USER-DEFINED"];
    case "list":
      return ["ARRAY"];
    default:
      return [type.kind];
  }
}

import type { Rng } from "./dataset.js";

/**
 * Typed expression generators for the generated views (query-gen.ts): numbers, text, times,
 * predicates and aggregates, each valid PostgreSQL for its type, avoiding what only fails in
 * PostgreSQL at run time (overflow, division by zero) and float sums whose rounding depends on
 * the order rows are added in.
 */

/** Expression types, PostgreSQL's names. */
export type Ty =
  | "bool"
  | "int2"
  | "int4"
  | "int8"
  | "float4"
  | "float8"
  | "numeric"
  | "text"
  | "bytea"
  | "date"
  | "time"
  | "timestamp"
  | "timestamptz"
  | "interval"
  | "jsonb"
  | "struct"
  | "array";

export interface ScopeColumn {
  readonly name: string;
  readonly ty: Ty;
}

/** A relation a view may read. */
export interface Relation {
  readonly name: string;
  readonly columns: readonly ScopeColumn[];
}

export interface E {
  readonly sql: string;
  readonly ty: Ty;
  /** Could be near 2^62: adding two of these would overflow bigint. */
  readonly wide: boolean;
}

export const NUM: readonly Ty[] = ["int2", "int4", "int8", "float4", "float8", "numeric"];
export const INTS: readonly Ty[] = ["int2", "int4", "int8"];
export const ORDERABLE: readonly Ty[] = [...NUM, "text", "date", "time", "timestamp", "timestamptz", "interval"];
/** Types a GROUP BY, DISTINCT or count(DISTINCT) may use. */
export const GROUPABLE: readonly Ty[] = [...ORDERABLE, "bool", "bytea"];

/** Maps information_schema's data_type back to an expression type. */
export function tyOfPg(dataType: string): Ty {
  const map: Record<string, Ty> = {
    boolean: "bool",
    smallint: "int2",
    integer: "int4",
    bigint: "int8",
    real: "float4",
    "double precision": "float8",
    numeric: "numeric",
    text: "text",
    "character varying": "text",
    bytea: "bytea",
    date: "date",
    "time without time zone": "time",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    interval: "interval",
    jsonb: "jsonb",
    "USER-DEFINED": "struct",
    ARRAY: "array",
  };
  const ty = map[dataType];
  if (ty === undefined) throw new Error(`no expression type for PostgreSQL type ${dataType}`);
  return ty;
}

const INTERVAL_LITERALS = [
  "INTERVAL '1 hour'",
  "INTERVAL '30 minutes'",
  "INTERVAL '1 day'",
  "INTERVAL '2 days 03:00:00'",
];
/** Expressions over one relation; QueryGenerator builds views from them. */
export class ExprGenerator {
  constructor(protected readonly rng: Rng) {}

  protected column(rel: Relation, tys: readonly Ty[]): E | undefined {
    const cols = rel.columns.filter((c) => tys.includes(c.ty));
    if (cols.length === 0) return undefined;
    const c = this.rng.pick(cols);
    return { sql: c.name, ty: c.ty, wide: c.ty === "int8" || c.ty === "numeric" };
  }

  protected anyExpr(rel: Relation, depth: number): E {
    const r = this.rng;
    if (r.chance(0.35)) {
      const c = r.pick(rel.columns);
      return { sql: c.name, ty: c.ty, wide: true };
    }
    if (r.chance(0.15)) return this.pred(rel, depth);
    return this.typed(rel, r.pick([...ORDERABLE, "numeric", "int4", "text"]), depth);
  }

  protected groupExpr(rel: Relation): E {
    const r = this.rng;
    const simple = rel.columns.filter(
      (c) => GROUPABLE.includes(c.ty) && !["d", "r", "n", "tm", "ts", "tz", "big"].includes(c.name),
    );
    if (r.chance(0.55) && simple.length > 0) {
      const c = r.pick(simple);
      return { sql: c.name, ty: c.ty, wide: false };
    }
    const options: (() => E | undefined)[] = [
      () => this.column(rel, GROUPABLE),
      () => ({ sql: "lower(c)", ty: "text", wide: false }),
      () => ({ sql: `si % ${r.int(2, 7)}`, ty: "int2", wide: false }),
      () => ({ sql: `big % ${r.int(2, 5)}`, ty: "int8", wide: false }),
      () => ({ sql: `date_trunc('day', tz)`, ty: "timestamptz", wide: false }),
      () => ({ sql: "extract(hour FROM ts)", ty: "numeric", wide: false }),
      () => ({ sql: "i > 0", ty: "bool", wide: false }),
      () => ({ sql: "CASE WHEN i < 0 THEN 'neg' WHEN i = 0 THEN 'zero' ELSE 'pos' END", ty: "text", wide: false }),
      () => ({ sql: "coalesce(c, 'none')", ty: "text", wide: false }),
    ];
    for (;;) {
      const e = r.pick(options)();
      if (e !== undefined && columnsExist(rel, e.sql)) return e;
    }
  }

  /** An expression of type `ty` (or of its family when `ty` is numeric). */
  typed(rel: Relation, ty: Ty, depth: number): E {
    if (NUM.includes(ty)) return this.num(rel, depth);
    if (ty === "text") return this.text(rel, depth);
    if (ty === "bool") return this.pred(rel, depth);
    return this.temporal(rel, ty, depth);
  }

  num(rel: Relation, depth: number): E {
    const r = this.rng;
    const leaf = (): E => {
      if (r.chance(0.8)) {
        const c = this.column(rel, NUM);
        if (c !== undefined) return c.sql === "big" ? c : { ...c, wide: false };
      }
      return r.chance(0.7)
        ? { sql: String(r.int(-9, 120)), ty: "int4", wide: false }
        : { sql: r.pick(["2.5", "0.125", "-1.75"]), ty: "numeric", wide: false };
    };
    if (depth <= 0 || r.chance(0.3)) return leaf();
    const x = this.num(rel, depth - 1);
    const choice = r.int(0, 13);
    switch (choice) {
      case 0:
      case 1: {
        const y = x.wide ? { sql: String(r.int(-50, 50)), ty: "int4" as Ty, wide: false } : this.num(rel, depth - 1);
        if (x.wide && y.wide) return x;
        return { sql: `(${x.sql} ${r.pick(["+", "-"])} ${y.sql})`, ty: promote(x.ty, y.ty), wide: x.wide || y.wide };
      }
      case 2:
        if (x.wide) return x;
        return { sql: `(${x.sql} * ${r.pick(["2", "3", "12", "0.5", "-1"])})`, ty: x.ty, wide: false };
      case 3:
        return { sql: `(${x.sql} / ${r.pick(["3", "-4", "8", "2.5"])})`, ty: x.ty, wide: x.wide };
      case 4:
        if (!INTS.includes(x.ty) && x.ty !== "numeric") return x;
        return { sql: `(${x.sql} % ${r.pick(["7", "-3", "10"])})`, ty: x.ty, wide: false };
      case 5:
        return { sql: `abs(${x.sql})`, ty: x.ty, wide: x.wide };
      case 6:
        return { sql: `(- ${x.sql})`, ty: x.ty, wide: x.wide };
      case 7:
        if (x.ty !== "float8" && x.ty !== "numeric" && x.ty !== "float4") return x;
        return { sql: `${r.pick(["round", "floor", "ceil"])}(${x.sql})`, ty: x.ty, wide: x.wide };
      case 8:
        return { sql: `coalesce(${x.sql}, ${r.int(-5, 5)})`, ty: x.ty, wide: x.wide };
      case 9: {
        const y = this.num(rel, depth - 1);
        return {
          sql: `CASE WHEN ${this.pred(rel, 1).sql} THEN ${x.sql} ELSE ${y.sql} END`,
          ty: promote(x.ty, y.ty),
          wide: x.wide || y.wide,
        };
      }
      case 10: {
        const target = r.pick(["double precision", "numeric", "bigint"]);
        if (target === "bigint" && !INTS.includes(x.ty)) return x;
        const sql = r.chance(0.5) ? `CAST(${x.sql} AS ${target})` : `${x.sql}::${target}`;
        return { sql, ty: target === "bigint" ? "int8" : target === "numeric" ? "numeric" : "float8", wide: x.wide };
      }
      case 11:
        return columnsExist(rel, "s") ? { sql: r.pick(["length(s)", "char_length(s)"]), ty: "int4", wide: false } : x;
      case 12: {
        const t = this.column(rel, ["timestamp", "timestamptz", "date"]);
        if (t === undefined) return x;
        const fields =
          t.ty === "date" ? ["year", "month", "day", "dow", "epoch"] : ["year", "day", "hour", "minute", "epoch"];
        return r.chance(0.7)
          ? { sql: `extract(${r.pick(fields)} FROM ${t.sql})`, ty: "numeric", wide: false }
          : { sql: `date_part('${r.pick(fields)}', ${t.sql})`, ty: "float8", wide: false };
      }
      default:
        return { sql: `round(${x.sql}::numeric, 2)`, ty: "numeric", wide: x.wide };
    }
  }

  /**
   * A number whose sum is exact in any order, for sum() and avg(): floats stay multiples of 1/8
   * (the data's doubles and reals are), so adding them in another order than PostgreSQL does
   * cannot move the last bits; `floats` false keeps to integers and numerics.
   */
  exactNum(rel: Relation, depth: number, floats: boolean): E {
    const r = this.rng;
    const cols = rel.columns.filter(
      (c) => INTS.includes(c.ty) || c.ty === "numeric" || (floats && (c.name === "r" || c.name === "d")),
    );
    // With floats, no bigint past 2^53 either: as a double it would round differently in another order.
    const names = floats
      ? cols.filter((c) => c.ty !== "numeric" && c.name !== "big")
      : cols.filter((c) => c.name !== "r" && c.name !== "d");
    const leaf = (): E => {
      const c = names.length > 0 && r.chance(0.85) ? r.pick(names) : undefined;
      return c === undefined
        ? { sql: String(r.int(-9, 99)), ty: "int4", wide: false }
        : { sql: c.name, ty: c.ty, wide: c.name === "big" };
    };
    if (depth <= 0 || r.chance(0.4)) return leaf();
    const x = this.exactNum(rel, depth - 1, floats);
    switch (r.int(0, 4)) {
      case 0:
        return { sql: `(${x.sql} ${r.pick(["+", "-"])} ${r.int(-20, 20)})`, ty: x.ty, wide: x.wide };
      case 1:
        return x.wide ? x : { sql: `(${x.sql} * ${r.pick(["2", "-1", "0.5", "3"])})`, ty: x.ty, wide: false };
      case 2:
        return { sql: `abs(${x.sql})`, ty: x.ty, wide: x.wide };
      case 3:
        return { sql: `coalesce(${x.sql}, ${r.int(-5, 5)})`, ty: x.ty, wide: x.wide };
      default: {
        const y = this.exactNum(rel, depth - 1, floats);
        return {
          sql: `CASE WHEN ${this.pred(rel, 1).sql} THEN ${x.sql} ELSE ${y.sql} END`,
          ty: x.ty,
          wide: x.wide || y.wide,
        };
      }
    }
  }

  text(rel: Relation, depth: number): E {
    const r = this.rng;
    const col = (): E => this.column(rel, ["text"]) ?? { sql: "'lit'", ty: "text", wide: false };
    if (depth <= 0 || r.chance(0.3)) return col();
    const x = this.text(rel, depth - 1);
    const has = (name: string) => columnsExist(rel, name);
    switch (r.int(0, 9)) {
      case 0:
        return has("c") ? { sql: `${r.pick(["lower", "upper"])}(c)`, ty: "text", wide: false } : x;
      case 1:
        return { sql: `(${x.sql} || ${r.pick(["'-x'", "'é'", "c", "i"])})`, ty: "text", wide: false };
      case 2:
        return { sql: `substr(${x.sql}, ${r.int(1, 3)}, ${r.int(1, 4)})`, ty: "text", wide: false };
      case 3:
        return { sql: `trim(${x.sql})`, ty: "text", wide: false };
      case 4:
        return { sql: `replace(${x.sql}, 'a', 'A')`, ty: "text", wide: false };
      case 5:
        return { sql: `coalesce(${x.sql}, 'none')`, ty: "text", wide: false };
      case 6:
        return {
          sql: `CASE WHEN ${this.pred(rel, 1).sql} THEN ${x.sql} ELSE ${col().sql} END`,
          ty: "text",
          wide: false,
        };
      case 7:
        return has("i") ? { sql: r.pick(["CAST(i AS varchar)", "i::text"]), ty: "text", wide: false } : x;
      case 8:
        return has("c") && has("i") ? { sql: "concat(c, '-', i)", ty: "text", wide: false } : x;
      default:
        return { sql: `upper(${x.sql === "c" ? "c" : "'abc'"})`, ty: "text", wide: false };
    }
  }

  temporal(rel: Relation, ty: Ty, depth: number): E {
    const r = this.rng;
    const c = this.column(rel, [ty]);
    if (c === undefined) return this.num(rel, depth);
    if (depth <= 0 || r.chance(0.5)) return c;
    const iv = r.pick(INTERVAL_LITERALS);
    const has = (name: string) => columnsExist(rel, name);
    switch (ty) {
      case "date":
        return r.pick<E>([
          { sql: `(${c.sql} + ${r.int(-3, 40)})`, ty: "date", wide: false },
          { sql: `(${c.sql} - 7)`, ty: "date", wide: false },
          ...(has("ts") ? [{ sql: "CAST(ts AS date)", ty: "date" as Ty, wide: false }] : []),
        ]);
      case "timestamp":
        return r.pick<E>([
          { sql: `(${c.sql} + ${iv})`, ty, wide: false },
          { sql: `(${c.sql} - ${iv})`, ty, wide: false },
          { sql: `date_trunc('${r.pick(["hour", "day", "minute"])}', ${c.sql})`, ty, wide: false },
          ...(has("dt") ? [{ sql: "CAST(dt AS timestamp)", ty, wide: false }] : []),
          ...(has("dt") && has("tm") ? [{ sql: "(dt + tm)", ty, wide: false }] : []),
        ]);
      case "timestamptz":
        return r.pick<E>([
          { sql: `(${c.sql} + ${iv})`, ty, wide: false },
          { sql: `date_trunc('day', ${c.sql})`, ty, wide: false },
          ...(has("ts") ? [{ sql: "CAST(ts AS timestamptz)", ty, wide: false }] : []),
        ]);
      case "time":
        return r.pick<E>([
          { sql: `(${c.sql} + INTERVAL '${r.int(1, 20)} hours')`, ty, wide: false },
          ...(has("ts") ? [{ sql: "CAST(ts AS time)", ty, wide: false }] : []),
        ]);
      case "interval":
        return r.pick<E>([
          { sql: `(${c.sql} * 2)`, ty, wide: false },
          { sql: `(- ${c.sql})`, ty, wide: false },
          { sql: `(${c.sql} + INTERVAL '1 day')`, ty, wide: false },
          ...(has("ts") ? [{ sql: "(ts - TIMESTAMP '2024-03-01 00:00:00')", ty, wide: false }] : []),
        ]);
      default:
        return c;
    }
  }

  /** A predicate: comparisons, NULL tests, IN, BETWEEN, LIKE, boolean columns, CASE, under AND/OR/NOT. */
  pred(rel: Relation, depth: number): E {
    const r = this.rng;
    const b = (sql: string): E => ({ sql, ty: "bool", wide: false });
    if (depth > 0 && r.chance(0.4)) {
      const x = this.pred(rel, depth - 1);
      switch (r.int(0, 3)) {
        case 0:
          return b(`(${x.sql} AND ${this.pred(rel, depth - 1).sql})`);
        case 1:
          return b(`(${x.sql} OR ${this.pred(rel, depth - 1).sql})`);
        case 2:
          return b(`(NOT ${x.sql})`);
        default:
          return b(
            `CASE WHEN ${x.sql} THEN ${this.pred(rel, depth - 1).sql} ELSE ${this.pred(rel, depth - 1).sql} END`,
          );
      }
    }
    const has = (name: string) => columnsExist(rel, name);
    const choices: (() => E | undefined)[] = [
      () => {
        const x = this.num(rel, 1);
        return b(`${x.sql} ${cmp(r)} ${r.chance(0.5) ? this.num(rel, 0).sql : r.pick(["0", "100", "-2.5", "1000"])}`);
      },
      () => {
        const x = this.column(rel, [
          ...NUM,
          "text",
          "bool",
          "bytea",
          "date",
          "time",
          "timestamp",
          "timestamptz",
          "interval",
          "jsonb",
          "struct",
          "array",
        ]);
        return x && b(`${x.sql} IS ${r.chance(0.5) ? "NOT " : ""}NULL`);
      },
      () => {
        const x = this.column(rel, ["int2", "int4", "int8"]);
        if (x === undefined) return undefined;
        const list = r.sample(["0", "1", "-1", "7", "100", "42", ...(r.chance(0.3) ? ["NULL"] : [])], r.int(1, 4));
        return b(`${x.sql} ${r.chance(0.3) ? "NOT " : ""}IN (${list.join(", ")})`);
      },
      () =>
        has("s")
          ? b(
              `s ${r.chance(0.3) ? "NOT " : ""}IN (${r.sample(["'alpha'", "'beta'", "''", "'zeta'", "'emoji 🚀'", ...(r.chance(0.3) ? ["NULL"] : [])], r.int(1, 3)).join(", ")})`,
            )
          : undefined,
      () => {
        const x = this.num(rel, 0);
        const lo = r.int(-500, 100);
        return b(`${x.sql} ${r.chance(0.3) ? "NOT " : ""}BETWEEN ${lo} AND ${lo + r.int(0, 2000)}`);
      },
      () => {
        const x = this.text(rel, 1);
        const pattern = r.pick([
          "'a%'",
          "'%a%'",
          "'_e%'",
          "'%\\_%'",
          "'emoji _'",
          "'%🚀'",
          "'O''Brien'",
          "'%ta'",
          "'A%'",
          "'%'",
        ]);
        return b(`${x.sql} ${r.chance(0.3) ? "NOT " : ""}${r.chance(0.3) ? "ILIKE" : "LIKE"} ${pattern}`);
      },
      () => (has("s") ? b(`starts_with(s, '${r.pick(["a", "e", "Ω", ""])}')`) : undefined),
      () => {
        const x = this.text(rel, 1);
        return b(`${x.sql} ${cmp(r)} '${r.pick(["beta", "Red", "m", "emoji ｘ", ""])}'`);
      },
      () => {
        if (!has("b")) return undefined;
        return b(
          r.pick([
            "b",
            "NOT b",
            "b IS TRUE",
            "b IS NOT TRUE",
            "b IS FALSE",
            "b IS NOT FALSE",
            "b = true",
            "coalesce(b, false)",
            "b IS UNKNOWN",
          ]),
        );
      },
      () => (has("dt") ? b(`dt ${cmp(r)} DATE '2024-01-0${r.int(1, 9)}'`) : undefined),
      () => (has("ts") ? b(`ts ${cmp(r)} TIMESTAMP '2024-03-0${r.int(1, 3)} ${r.int(10, 23)}:00:00'`) : undefined),
      () => (has("tz") ? b(`tz ${cmp(r)} TIMESTAMPTZ '2024-03-02T0${r.int(0, 9)}:30:00+02:00'`) : undefined),
      () => (has("tm") ? b(`tm BETWEEN TIME '0${r.int(0, 9)}:00' AND TIME '${r.int(10, 23)}:30'`) : undefined),
      () => (has("iv") ? b(`iv ${cmp(r)} INTERVAL '${r.pick(["1 hour", "1 day", "0", "-1 hour"])}'`) : undefined),
      () => (has("c") ? b(`CAST(c AS varchar) ${cmp(r)} 'green'`) : undefined),
      () =>
        has("n") ? b(`n ${cmp(r)} ${r.pick(["0", "1.5", "-100.25", "123456789012345678901234567890"])}`) : undefined,
      () => (has("d") ? b(`d ${cmp(r)} ${r.pick(["0", "1e6", "-0.5"])}`) : undefined),
    ];
    for (;;) {
      const e = r.pick(choices)();
      if (e !== undefined) return e;
    }
  }

  /** An aggregate call (its argument typed for the function). */
  aggregate(rel: Relation): E {
    const r = this.rng;
    switch (r.int(0, 6)) {
      case 0:
        return { sql: "count(*)", ty: "int8", wide: false };
      case 1: {
        const c = r.pick(rel.columns);
        return { sql: `count(${c.name})`, ty: "int8", wide: false };
      }
      case 2: {
        const x = r.chance(0.6) ? (this.column(rel, GROUPABLE) as E) : this.groupExpr(rel);
        return { sql: `count(DISTINCT ${x.sql})`, ty: "int8", wide: false };
      }
      case 3:
      case 4: {
        const x = this.exactNum(rel, 1, r.chance(0.5));
        return { sql: `${r.pick(["sum", "avg"])}(${x.sql})`, ty: "numeric", wide: false };
      }
      default: {
        const x = this.typed(rel, r.pick(ORDERABLE), 1);
        return { sql: `${r.pick(["min", "max"])}(${x.sql})`, ty: x.ty, wide: false };
      }
    }
  }

  /** An aggregate, sometimes inside arithmetic or DISTINCT-free combinations. */
  protected aggOutput(rel: Relation): E {
    const r = this.rng;
    const a = this.aggregate(rel);
    if (r.chance(0.1)) return { sql: `(count(*) * 2)`, ty: "int8", wide: false };
    if (r.chance(0.08) && columnsExist(rel, "i")) return { sql: "(max(i) - min(i))", ty: "int4", wide: false };
    return a;
  }

  protected havingPred(rel: Relation): string {
    const r = this.rng;
    const one = () =>
      r.pick([
        () => `count(*) ${cmp(r)} ${r.int(0, 6)}`,
        () => (columnsExist(rel, "i") ? `sum(i) ${cmp(r)} ${r.int(-1000, 1000)}` : "count(*) > 1"),
        () => (columnsExist(rel, "c") ? `min(c) ${cmp(r)} 'green'` : "count(*) > 0"),
        () => (columnsExist(rel, "d") ? `max(d) >= 0` : "count(*) > 2"),
        () => (columnsExist(rel, "r") ? `avg(r) < 10` : "count(*) < 50"),
        () => (columnsExist(rel, "n") ? `sum(n) > 0` : "count(*) < 40"),
      ])();
    return r.chance(0.3) ? `${one()} ${r.pick(["AND", "OR"])} ${one()}` : one();
  }
}

export function cmp(r: Rng): string {
  return r.pick(["=", "<>", "<", "<=", ">", ">=", "!="]);
}

/** PostgreSQL's result type of mixed arithmetic, as far as the generator needs it (numeric family only). */
function promote(a: Ty, b: Ty): Ty {
  const rank: Ty[] = ["int2", "int4", "int8", "numeric", "float4", "float8"];
  return rank.indexOf(a) >= rank.indexOf(b) ? a : b;
}

export function isColumn(rel: Relation, sql: string): boolean {
  return rel.columns.some((c) => c.name === sql);
}

/** Whether every bare word of `sql` that looks like one of the data set's column names is in `rel`. */
export function columnsExist(rel: Relation, sql: string): boolean {
  const names = [
    "id",
    "b",
    "si",
    "i",
    "big",
    "r",
    "d",
    "n",
    "s",
    "c",
    "bin",
    "dt",
    "tm",
    "ts",
    "tz",
    "iv",
    "j",
    "st",
    "arr",
  ];
  const words = sql.replace(/'[^']*'/g, "").match(/[a-z_]+/g) ?? [];
  return words.every((w) => !names.includes(w) || rel.columns.some((c) => c.name === w));
}

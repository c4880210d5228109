import { type E, ExprGenerator, ORDERABLE, type Relation, isColumn } from "./expr-gen.js";
import type { Rng } from "./dataset.js";

export { type Relation, type ScopeColumn, type Ty, tyOfPg } from "./expr-gen.js";

/**
 * A seeded generator of `CREATE MATERIALIZED VIEW` queries over the data set's relations:
 * projections and expressions, WHERE (NULLs, AND/OR/NOT, IN, BETWEEN, LIKE, CASE, CAST),
 * GROUP BY with every aggregate, HAVING, ORDER BY + LIMIT (top-N), TUMBLE windows and views
 * over views. Expressions are typed so that most queries are valid PostgreSQL; the test still
 * runs each one in PostgreSQL first and drops the few PostgreSQL rejects (a view whose query
 * PostgreSQL cannot run has no reference answer).
 */

/** A generated view: the same query for jetflow and PostgreSQL (they differ only in how TUMBLE is written). */
export interface GeneratedView {
  readonly kind: "plain" | "distinct" | "grouped" | "global" | "topn" | "tumble" | "chain";
  readonly over: string;
  readonly jetflow: string;
  readonly postgres: string;
}

const WINDOWS: readonly [literal: string, seconds: number][] = [
  ["1 hour", 3600],
  ["15 minutes", 900],
  ["1 day", 86_400],
  ["90 seconds", 90],
  ["2 hours", 7200],
];

/** Generates views; `index` numbers their names. */
export class QueryGenerator extends ExprGenerator {
  /** One view of a random kind over `rel` (and, for chains, `base` as the view it reads). */
  view(rel: Relation, kind: GeneratedView["kind"]): GeneratedView {
    switch (kind) {
      case "plain":
        return this.plain(rel);
      case "distinct":
        return this.distinct(rel);
      case "grouped":
        return this.grouped(rel, false);
      case "global":
        return this.grouped(rel, true);
      case "topn":
        return this.rng.chance(0.6) ? this.topPlain(rel) : this.topGrouped(rel);
      case "tumble":
        return this.tumbleView(rel);
      case "chain":
        return this.rng.chance(0.5) ? this.grouped(rel, false, "chain") : this.plain(rel, "chain");
    }
  }

  private plain(rel: Relation, kind: GeneratedView["kind"] = "plain"): GeneratedView {
    const r = this.rng;
    if (r.chance(0.1)) return same(kind, rel.name, `SELECT * FROM ${rel.name} WHERE ${this.pred(rel, 2).sql}`);
    const items = this.items(rel, r.int(1, 5), () => this.anyExpr(rel, 2));
    const where = r.chance(0.8) ? ` WHERE ${this.pred(rel, 3).sql}` : "";
    return same(kind, rel.name, `SELECT ${items.join(", ")} FROM ${rel.name}${where}`);
  }

  private distinct(rel: Relation): GeneratedView {
    const items = this.items(rel, this.rng.int(1, 2), () => this.groupExpr(rel));
    const where = this.rng.chance(0.5) ? ` WHERE ${this.pred(rel, 2).sql}` : "";
    return same("distinct", rel.name, `SELECT DISTINCT ${items.join(", ")} FROM ${rel.name}${where}`);
  }

  private grouped(
    rel: Relation,
    global: boolean,
    kind: GeneratedView["kind"] = global ? "global" : "grouped",
  ): GeneratedView {
    const r = this.rng;
    const keys = global ? [] : Array.from({ length: r.int(1, 2) }, () => this.groupExpr(rel));
    const keyItems = keys.map((k, i) => (isColumn(rel, k.sql) ? k.sql : `${k.sql} AS k${i}`));
    const aggs = this.items(rel, r.int(1, 4), () => this.aggOutput(rel), keyItems);
    const where = r.chance(0.6) ? ` WHERE ${this.pred(rel, 2).sql}` : "";
    const groupBy =
      keys.length === 0 ? "" : ` GROUP BY ${keys.map((k, i) => (r.chance(0.3) ? String(i + 1) : k.sql)).join(", ")}`;
    const having = r.chance(global ? 0.1 : 0.35) ? ` HAVING ${this.havingPred(rel)}` : "";
    return same(
      kind,
      rel.name,
      `SELECT ${[...keyItems, ...aggs].join(", ")} FROM ${rel.name}${where}${groupBy}${having}`,
    );
  }

  /** ORDER BY every output column (so ties are identical rows and the kept set is well defined) + LIMIT. */
  private topPlain(rel: Relation): GeneratedView {
    const r = this.rng;
    const items = this.items(rel, r.int(1, 3), () => this.typed(rel, r.pick(ORDERABLE), 1));
    const order = items.map((item, i) => `${r.chance(0.5) ? String(i + 1) : outputName(item)}${direction(r)}`);
    const where = r.chance(0.5) ? ` WHERE ${this.pred(rel, 2).sql}` : "";
    const limit = ` LIMIT ${r.int(1, 25)}${r.chance(0.3) ? ` OFFSET ${r.int(1, 5)}` : ""}`;
    return same(
      "topn",
      rel.name,
      `SELECT ${items.join(", ")} FROM ${rel.name}${where} ORDER BY ${r.sample(order, order.length).join(", ")}${limit}`,
    );
  }

  private topGrouped(rel: Relation): GeneratedView {
    const r = this.rng;
    const key = this.typed(rel, r.pick(["text", "int2", "date", "bool"] as const), 1);
    const agg = this.aggregate(rel);
    const order = r.sample([`a${direction(r)}`, `k${direction(r)}`], 2);
    return same(
      "topn",
      rel.name,
      `SELECT ${key.sql} AS k, ${agg.sql} AS a FROM ${rel.name} GROUP BY ${key.sql} ORDER BY ${order.join(", ")} LIMIT ${r.int(1, 6)}`,
    );
  }

  /** `FROM TUMBLE(rel, time, INTERVAL ...)`; PostgreSQL computes the windows in a subquery of the same name. */
  private tumbleView(rel: Relation): GeneratedView {
    const r = this.rng;
    const time = r.pick(rel.columns.filter((c) => c.ty === "timestamp" || c.ty === "timestamptz"));
    const [size, secs] = r.pick(WINDOWS);
    const windowed: Relation = {
      name: rel.name,
      columns: [...rel.columns, { name: "window_start", ty: time.ty }, { name: "window_end", ty: time.ty }],
    };
    const start =
      time.ty === "timestamptz"
        ? `to_timestamp(floor(extract(epoch FROM ${time.name}) / ${secs}) * ${secs})`
        : `date_bin(INTERVAL '${size}', ${time.name}, TIMESTAMP '1970-01-01')`;
    const pgFrom = `(SELECT *, ${start} AS window_start, ${start} + INTERVAL '${size}' AS window_end FROM ${rel.name}) AS ${rel.name}`;
    const jetFrom = `TUMBLE(${rel.name}, ${time.name}, INTERVAL '${size}')`;
    let body: (from: string) => string;
    if (r.chance(0.25)) {
      const items = ["window_start", "window_end", ...r.sample(["id", time.name, "c", "i"], 2)];
      const where = ` WHERE ${this.pred(windowed, 2).sql}`;
      body = (from) => `SELECT ${items.join(", ")} FROM ${from}${where}`;
    } else {
      const extra = r.chance(0.4) ? [r.pick(["c", "b", "si % 3"])] : [];
      const keys = [...(r.chance(0.8) ? ["window_start", "window_end"] : ["window_start"]), ...extra];
      const keyItems = keys.map((k, i) => (k.includes(" ") ? `${k} AS k${i}` : k));
      const aggs = this.items(windowed, r.int(1, 3), () => this.aggOutput(windowed), keyItems);
      const where = r.chance(0.4) ? ` WHERE ${this.pred(windowed, 2).sql}` : "";
      const having = r.chance(0.2) ? ` HAVING ${this.havingPred(windowed)}` : "";
      body = (from) =>
        `SELECT ${[...keyItems, ...aggs].join(", ")} FROM ${from}${where} GROUP BY ${keys.join(", ")}${having}`;
    }
    return { kind: "tumble", over: rel.name, jetflow: body(jetFrom), postgres: body(pgFrom) };
  }

  /**
   * `count` select items from `gen`, each aliased `eN` unless unaliased it would keep a name of its own
   * (a column, a function) not yet taken.
   */
  private items(rel: Relation, count: number, gen: () => E | string, taken: readonly string[] = []): string[] {
    const names = new Set(taken.map(outputName));
    const out: string[] = [];
    for (let k = 0; k < count; k++) {
      const g = gen();
      const sql = typeof g === "string" ? g : g.sql;
      const natural = naturalName(rel, sql);
      if (natural !== undefined && !names.has(natural) && this.rng.chance(0.6)) {
        names.add(natural);
        out.push(sql);
      } else {
        const alias = `e${names.size}`;
        names.add(alias);
        out.push(`${sql} AS ${alias}`);
      }
    }
    return out;
  }
}

function direction(r: Rng): string {
  return r.pick(["", " ASC", " DESC", " DESC NULLS LAST", " ASC NULLS FIRST", " NULLS FIRST"]);
}

function same(kind: GeneratedView["kind"], over: string, sql: string): GeneratedView {
  return { kind, over, jetflow: sql, postgres: sql };
}

/** The output name of a select item written `expr AS name` (or of a bare column). */
function outputName(item: string | E): string {
  const sql = typeof item === "string" ? item : item.sql;
  const m = / AS (\w+)$/.exec(sql);
  return m === null ? sql : (m[1] as string);
}

/** The name PostgreSQL gives the unaliased expression, when the generator can tell it (a column, a function). */
function naturalName(rel: Relation, sql: string): string | undefined {
  if (isColumn(rel, sql)) return sql;
  const m = /^([a-z_]+)\(/.exec(sql);
  if (m !== null && sql.endsWith(")") && balancedCall(sql)) return m[1] === "trim" ? "btrim" : m[1];
  return undefined;
}

/** `f(...)` whose closing parenthesis is the last character (not `f(a) + g(b)`). */
function balancedCall(sql: string): boolean {
  let depth = 0;
  for (let i = sql.indexOf("("); i < sql.length; i++) {
    if (sql[i] === "(") depth++;
    if (sql[i] === ")") depth--;
    if (depth === 0) return i === sql.length - 1;
  }
  return false;
}

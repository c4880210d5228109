import { InvalidOptionError } from "@jetflow/core";
import { QueryError } from "../errors.js";
import type { Catalog, ViewQuery } from "../spec.js";
import type { JoinKind } from "@jetflow/operators";
import type { FromItem, JoinOn } from "./from-item.js";
import { type OrderKey, type QueryParts, planQuery } from "./plan.js";
import { type Operand, type Term, Value, col, termOf } from "./value.js";

/**
 * A column by name, or any value.
 * @example from("orders").groupBy("region", fn("date_trunc", "day", col("at")))
 */
export type Key = string | Value;

/**
 * A window length; the parts add up.
 * @example tumble("clicks", "ts", { hours: 1, minutes: 30 })
 */
export interface Duration {
  readonly days?: number;
  readonly hours?: number;
  readonly minutes?: number;
  readonly seconds?: number;
  readonly milliseconds?: number;
}

const US_PER: Readonly<Record<keyof Duration, number>> = {
  days: 86_400_000_000,
  hours: 3_600_000_000,
  minutes: 60_000_000,
  seconds: 1_000_000,
  milliseconds: 1_000,
};

/**
 * `TUMBLE(relation, timeColumn, INTERVAL '...')`: the relation's rows with `window_start` and
 * `window_end` added, the fixed-size window each row's time falls in. Group by them to aggregate per window.
 *
 * @example
 * ```ts
 * from(tumble("clicks", "ts", { minutes: 1 }))
 *   .groupBy("window_start")
 *   .select({ minute: col("window_start"), clicks: count() })
 * ```
 */
export function tumble(relation: string, timeColumn: string, size: Duration): FromItem {
  let sizeUs = 0;
  for (const [unit, n] of Object.entries(size) as [keyof Duration, number][]) sizeUs += n * US_PER[unit];
  if (!(sizeUs > 0) || !Number.isSafeInteger(sizeUs)) {
    throw new InvalidOptionError(
      "size",
      `tumble() window size must be a positive whole number of microseconds, got ${JSON.stringify(size)}`,
    );
  }
  return { kind: "tumble", relation, timeColumn, sizeUs };
}

/**
 * Where NULLs sort. @default "last" ascending, "first" descending (as in PostgreSQL)
 * @example asc("region", { nulls: "first" })
 */
export interface OrderOptions {
  readonly nulls?: "first" | "last";
}

/**
 * An ascending sort key for {@link Query.orderBy}.
 * @example asc("region", { nulls: "first" })
 */
export function asc(key: Key, options: OrderOptions = {}): OrderKey {
  return { term: keyTerm(key), desc: false, nullsFirst: (options.nulls ?? "last") === "first" };
}

/**
 * A descending sort key for {@link Query.orderBy}.
 * @example desc("revenue")
 */
export function desc(key: Key, options: OrderOptions = {}): OrderKey {
  return { term: keyTerm(key), desc: true, nullsFirst: (options.nulls ?? "first") === "first" };
}

const keyTerm = (key: Key): Term => (typeof key === "string" ? col(key).term : key.term);

const and = (a: Term | undefined, b: Value): Term =>
  a === undefined ? b.term : { kind: "call", fn: "and", args: [a, b.term] };

/**
 * A materialized view's query, built clause by clause; immutable (each call returns a new query),
 * clauses in any order. {@link Pipeline.materializedView} plans it against the relations defined
 * before it, into the same tree the SQL front end builds for the equivalent SELECT.
 *
 * @example
 * ```ts
 * // SELECT region, count(*) AS orders, sum(amount) AS revenue FROM orders WHERE status = 'paid' GROUP BY region
 * from("orders")
 *   .where(col("status").eq("paid"))
 *   .groupBy("region")
 *   .select("region", { orders: count(), revenue: sum(col("amount")) });
 * ```
 */
export class Query {
  constructor(readonly parts: QueryParts) {}

  /**
   * `[INNER] JOIN relation [AS alias] ON on | USING (...)`: the rows of both sides whose `on`
   * holds. The equalities between the two sides in `on` (AND-ed) are the join keys; the rest is a
   * residual predicate; at least one equality is needed. Refer to a column as `col("alias.column")`
   * (or a plain name when only one side has it). Chain calls for a 3-way join.
   *
   * @example
   * ```ts
   * // SELECT o.id, c.name FROM orders o JOIN customers c ON o.user_id = c.id AND o.amount > c.credit
   * from("orders", "o")
   *   .join("customers", "c", col("o.user_id").eq(col("c.id")).and(col("o.amount").gt(col("c.credit"))))
   *   .select("o.id", "c.name");
   * ```
   */
  join(relation: string | FromItem, ...args: JoinArgs): Query {
    return this.joined("inner", relation, args);
  }

  /**
   * `LEFT JOIN`: as {@link join}, and every left row without a match once, with NULLs on the right.
   * `{ temporal: true }` joins each left row with the right relation as it is when the row arrives.
   * @example from("orders", "o").leftJoin("customers", "c", using(["user_id"]), { temporal: true })
   */
  leftJoin(relation: string | FromItem, ...args: JoinArgs): Query {
    return this.joined("left", relation, args);
  }

  /**
   * `RIGHT JOIN`: as {@link join}, and every right row without a match once, with NULLs on the left.
   * @example from("orders", "o").rightJoin("customers", "c", col("o.user_id").eq(col("c.id")))
   */
  rightJoin(relation: string | FromItem, ...args: JoinArgs): Query {
    return this.joined("right", relation, args);
  }

  /**
   * `FULL JOIN`: as {@link join}, and the rows of either side without a match once, NULLs for the other.
   * @example from("orders", "o").fullJoin("refunds", "r", col("o.id").eq(col("r.order_id")))
   */
  fullJoin(relation: string | FromItem, ...args: JoinArgs): Query {
    return this.joined("full", relation, args);
  }

  private joined(join: JoinKind, relation: string | FromItem, args: JoinArgs): Query {
    const [alias, on, options = {}]: readonly [string | undefined, JoinOnArg, JoinOptions?] =
      typeof args[0] === "string"
        ? (args as readonly [string, JoinOnArg, JoinOptions?])
        : [undefined, ...(args as readonly [JoinOnArg, JoinOptions?])];
    if (!(on instanceof Value) && !(on instanceof Using)) {
      throw new QueryError(`${join} join of ${fromLabel(relation)} needs a condition: a Value (ON) or using([...])`);
    }
    const right = fromItemOf(relation, alias);
    const condition: JoinOn = on instanceof Using ? { kind: "using", names: on.names } : { kind: "on", term: on.term };
    return this.with({
      from: { kind: "join", join, left: this.parts.from, right, on: condition, temporal: options.temporal === true },
    });
  }

  /** WHERE: keeps the input rows for which the predicate is true; several calls AND together. @example .where(col("amount").gt(0)) */
  where(predicate: Value): Query {
    return this.with({ where: and(this.parts.where, predicate) });
  }

  /**
   * The output columns, in order: a name keeps an input (or grouped) column (`"c.name"` qualified,
   * output as `name`), a record names values, `"*"` / `"c.*"` is every column (of `c`). Several
   * calls add columns. Without select(), every input column (`SELECT *`).
   *
   * @example .select("region", { revenue: sum(col("amount")), big: col("amount").gt(100) })
   */
  select(...items: (string | Readonly<Record<string, Operand>>)[]): Query {
    // A qualified name (`"o.id"`) names its output after the column, as SQL does; `"*"` and
    // `"o.*"` stand for every column (of `o`), expanded when the query is planned.
    const added = items.flatMap((item) =>
      typeof item === "string"
        ? [
            {
              name: item === "*" || item.endsWith(".*") ? "*" : item.slice(item.indexOf(".") + 1),
              term: col(item).term,
            },
          ]
        : Object.entries(item).map(([name, v]) => ({ name, term: termOf(v) })),
    );
    return this.with({ select: [...(this.parts.select ?? []), ...added] });
  }

  /** SELECT DISTINCT: each distinct output row once. @example from("clicks").select("page").distinct() */
  distinct(): Query {
    return this.with({ distinct: true });
  }

  /** GROUP BY: one output row per distinct key; a name is an input column first, else an output. @example .groupBy("region", fn("date_trunc", "hour", col("ts"))) */
  groupBy(...keys: Key[]): Query {
    return this.with({ groupBy: [...this.parts.groupBy, ...keys.map(keyTerm)] });
  }

  /** HAVING: keeps the groups for which the predicate is true; several calls AND together. @example .having(count().gt(10)) */
  having(predicate: Value): Query {
    return this.with({ having: and(this.parts.having, predicate) });
  }

  /**
   * ORDER BY, for {@link limit}: a view is a set of rows, so without a limit the order is only checked.
   * Names and values sort ascending; use {@link asc} / {@link desc} for the direction and NULLs.
   *
   * @example .orderBy(desc("revenue"), "region").limit(10)
   */
  orderBy(...keys: (Key | OrderKey)[]): Query {
    const added = keys.map((k) => (typeof k === "string" || k instanceof Value ? asc(k) : k));
    for (const key of added) {
      // SQL reads `ORDER BY 1` as a select-list position and refuses other constants: so does this.
      if (key.term.kind === "literal")
        throw new QueryError(`orderBy() takes a column or an expression, not the constant ${String(key.term.value)}`);
    }
    return this.with({ orderBy: [...this.parts.orderBy, ...added] });
  }

  /**
   * LIMIT count [OFFSET offset]: the view keeps the first `count` rows by {@link orderBy}, which it needs.
   * @example .orderBy(desc("revenue")).limit(3)
   */
  limit(count: number, options: { readonly offset?: number } = {}): Query {
    const offset = options.offset ?? 0;
    for (const [name, n] of [
      ["limit", count],
      ["offset", offset],
    ] as const) {
      if (!Number.isSafeInteger(n) || n < 0)
        throw new InvalidOptionError(name, `${name} must be a whole number >= 0, got ${n}`);
    }
    return this.with({ limit: { count, offset } });
  }

  /**
   * The query as the pipeline runs it, names resolved against `catalog`.
   * @throws RelationNameError for an unknown relation or column, QueryError for a broken SQL rule
   * @example from("orders").plan(pipeline.catalog) // { kind: "scan", relation: "orders" }
   */
  plan(catalog: Catalog): ViewQuery {
    if (this.parts.limit !== undefined && this.parts.orderBy.length === 0) {
      throw new QueryError("limit() needs orderBy(): which rows the view keeps would be arbitrary");
    }
    return planQuery(this.parts, catalog);
  }

  private with(change: Partial<QueryParts>): Query {
    return new Query({ ...this.parts, ...change });
  }
}

/**
 * Options of a join.
 * @example from("orders", "o").join("customers", "c", using(["user_id"]), { temporal: true })
 */
export interface JoinOptions {
  /**
   * `FOR SYSTEM_TIME AS OF PROCTIME()` on the right relation (INNER and LEFT joins; the left side
   * must be append-only): each left row is joined with the right side as it is when the row arrives,
   * and later changes to the right side do not change joined rows. No state is kept for the left side.
   * @default false
   */
  readonly temporal?: boolean;
}

/**
 * `USING (a, b)`, made by {@link using}.
 * @example using(["user_id"]).names // ["user_id"]
 */
export class Using {
  constructor(readonly names: readonly string[]) {}
}

/**
 * What follows the relation in {@link Query.join}: `[alias,] condition [, options]`.
 * @example from("orders", "o").join("customers", ...(["c", using(["user_id"])] as JoinArgs))
 */
export type JoinArgs =
  | readonly [alias: string, on: JoinOnArg, options?: JoinOptions]
  | readonly [on: JoinOnArg, options?: JoinOptions];

/**
 * A join condition: an ON predicate or {@link using}.
 * @example const on: JoinOnArg = col("o.user_id").eq(col("c.id"));
 */
export type JoinOnArg = Value | Using;

/**
 * `USING (names)`: the sides are equal on each named column, which both have; the output has one
 * column of each name (the left's, the right's for a right join, their coalesce for a full join).
 * @example from("orders", "o").join("customers", "c", using(["user_id"])).select("user_id", "c.name")
 */
export function using(names: string | readonly string[]): Using {
  const list = typeof names === "string" ? [names] : [...names];
  if (list.length === 0) throw new QueryError("using() needs at least one column name");
  return new Using(list);
}

function fromItemOf(relation: string | FromItem, alias: string | undefined): FromItem {
  const item: FromItem = typeof relation === "string" ? { kind: "relation", name: relation } : relation;
  if (alias === undefined) return item;
  if (item.kind === "join") throw new QueryError(`an alias ("${alias}") on a join is not supported`);
  return { ...item, alias };
}

function fromLabel(relation: string | FromItem): string {
  if (typeof relation === "string") return `"${relation}"`;
  return relation.kind === "join" ? "a join" : `"${relation.kind === "relation" ? relation.name : relation.relation}"`;
}

/**
 * Starts a query FROM a relation (a source, table or view defined before the view), or from a
 * {@link tumble} window over one; `alias` names it in qualified references (`col("o.id")`) and
 * lets a relation be joined with itself.
 *
 * @example from("orders").where(col("status").eq("paid")).select("id", "amount")
 */
export function from(relation: string | FromItem, alias?: string): Query {
  return new Query({
    from: fromItemOf(relation, alias),
    where: undefined,
    select: undefined,
    distinct: false,
    groupBy: [],
    having: undefined,
    orderBy: [],
    limit: undefined,
  });
}

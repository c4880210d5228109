// Helpers for this package's tests (not exported from the package).
import type { ColumnDef, SqlType } from "@jetflow/core";
import type { Catalog, Statement, ViewQuery } from "@jetflow/pipeline";
import { SqlError } from "./errors.js";
import { parseSql } from "./parse-sql.js";

/**
 * An in-memory {@link Catalog}: relation name -> columns written as `"name type"` (scalar types).
 *
 * @example catalogOf({ t: ["id integer", "ts timestamptz"] })
 */
export function catalogOf(relations: Record<string, readonly string[]>): Catalog {
  const map = new Map<string, ColumnDef[]>();
  for (const [name, columns] of Object.entries(relations)) {
    map.set(
      name,
      columns.map((c) => {
        const space = c.indexOf(" ");
        return { name: c.slice(0, space), type: { kind: c.slice(space + 1) } as SqlType };
      }),
    );
  }
  return { columnsOf: (relation) => map.get(relation) };
}

/** Parses and plans the single statement of `sql`. */
export function planOne(sql: string, catalog: Catalog = catalogOf({})): Statement {
  const statements = parseSql(sql);
  if (statements.length !== 1) throw new Error(`expected one statement, got ${statements.length}`);
  return (statements[0] as (typeof statements)[0]).plan(catalog);
}

/** The query of a `CREATE MATERIALIZED VIEW v AS <select>` planned against `catalog`. */
export function viewOf(select: string, catalog: Catalog): ViewQuery {
  const statement = planOne(`CREATE MATERIALIZED VIEW v AS ${select}`, catalog);
  if (statement.kind !== "create_view") throw new Error(`expected a view, got ${statement.kind}`);
  return statement.query;
}

/** The SqlError `fn` throws; fails if it throws something else or nothing. */
export function sqlErrorOf(fn: () => unknown): SqlError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SqlError) return e;
    throw new Error(`expected a SqlError, got ${String(e)}`, { cause: e });
  }
  throw new Error("expected a SqlError, but nothing was thrown");
}

/**
 * `line L, column C` of the `nth` (0-based) occurrence of `needle` in `text`, computed
 * independently of the code under test, for exact error-position assertions.
 */
export function positionOf(text: string, needle: string, nth = 0): string {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`"${needle}" occurs fewer than ${nth + 1} times`);
  }
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  const column = [...before.slice(before.lastIndexOf("\n") + 1)].length + 1;
  return `line ${line}, column ${column}`;
}

/** The output column names of a view query, given the catalog of its input relation. */
export function outputNames(query: ViewQuery, catalog: Catalog): string[] {
  switch (query.kind) {
    case "scan":
      return (catalog.columnsOf(query.relation) ?? []).map((c) => c.name);
    case "tumble":
    case "hop":
      return [...outputNames(query.input, catalog), "window_start", "window_end"];
    case "filter":
    case "temporalFilter":
    case "topN":
      return outputNames(query.input, catalog);
    case "project":
      return query.columns.map((c) => c.name);
    case "aggregate":
      return [...query.groupBy.map((g) => g.name), ...query.aggregates.map((a) => a.name)];
    case "join":
      return [...query.names];
    case "union":
      return outputNames(query.inputs[0] as ViewQuery, catalog);
  }
}

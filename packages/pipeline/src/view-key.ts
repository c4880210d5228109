import type { ViewQuery } from "./spec.js";

/** The key of a relation a view reads, by name: a table's primary key, a view's own key, `[]` for a source. */
export type RelationKeys = (relation: string) => readonly string[];

/**
 * The output columns that identify a row of a view, or `[]` when its rows have no key: an
 * aggregate's group columns, or the key of the relation it scans (a table's primary key, a
 * view's key), carried through filters (WHERE, HAVING, temporal filters) and through projections
 * that keep every one of them as a plain column (renamed or not), and through a top-N (its rows are
 * some of its input's). A global aggregate (no GROUP BY) has one row and an empty key; joins,
 * unions and windows have none.
 *
 * @example
 * ```ts
 * viewKey(planned("SELECT region AS r, count(*) FROM t GROUP BY region"), keys); // ["r"]
 * viewKey(planned("SELECT id, ts FROM orders WHERE ts > 0"), () => ["id"]); // ["id"]
 * ```
 */
export function viewKey(query: ViewQuery, keys: RelationKeys): readonly string[] {
  switch (query.kind) {
    case "scan":
      return keys(query.relation);
    case "aggregate":
      return query.groupBy.map((g) => g.name);
    case "filter":
    case "temporalFilter":
    case "topN":
      return viewKey(query.input, keys);
    case "project": {
      const below = viewKey(query.input, keys);
      if (below.length === 0) return [];
      const renamed = below.map((k) => query.columns.find((c) => c.expr.kind === "column" && c.expr.name === k)?.name);
      return renamed.every((n) => n !== undefined) ? (renamed as string[]) : [];
    }
    default:
      return [];
  }
}

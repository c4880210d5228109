import type { ViewQuery } from "./spec.js";

/**
 * The output columns that identify a row of a view, or `[]` when its rows have no key: an
 * aggregate's group columns, carried through filters (HAVING) and through projections that keep
 * every one of them as a plain column (renamed or not). A global aggregate (no GROUP BY) has one
 * row and an empty key.
 *
 * @example
 * ```ts
 * viewKey(planned("SELECT region AS r, count(*) FROM t GROUP BY region")); // ["r"]
 * ```
 */
export function viewKey(query: ViewQuery): readonly string[] {
  switch (query.kind) {
    case "aggregate":
      return query.groupBy.map((g) => g.name);
    case "filter":
      return viewKey(query.input);
    case "project": {
      const below = viewKey(query.input);
      if (below.length === 0) return [];
      const renamed = below.map((k) => query.columns.find((c) => c.expr.kind === "column" && c.expr.name === k)?.name);
      return renamed.every((n) => n !== undefined) ? (renamed as string[]) : [];
    }
    default:
      return [];
  }
}

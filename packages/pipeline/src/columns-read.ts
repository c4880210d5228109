import { exprColumns } from "@jetflow/operators";
import type { ViewQuery } from "./spec.js";

/**
 * The columns of its input relation a view's query reads, or undefined when it needs every
 * column (a view that keeps the input's rows as they are, such as `SELECT * FROM t`). Each
 * operator passes the columns needed above it down, adding the ones it reads itself; a
 * projection or an aggregate needs only what its expressions read.
 *
 * @example
 * ```ts
 * columnsRead({ kind: "aggregate", input: { kind: "scan", relation: "t" }, groupBy: [k], aggregates: [sumV] });
 * // ["k", "v"]
 * ```
 */
export function columnsRead(query: ViewQuery): string[] | undefined {
  const read = needed(query, undefined);
  return read === undefined ? undefined : [...read];
}

/** What `query` reads of its input, given what is needed of its output (undefined: everything). */
function needed(query: ViewQuery, above: Set<string> | undefined): Set<string> | undefined {
  switch (query.kind) {
    case "scan":
      return above;
    case "filter":
      return above === undefined ? undefined : needed(query.input, exprColumns(query.predicate, new Set(above)));
    case "project": {
      const read = new Set<string>();
      for (const c of query.columns) exprColumns(c.expr, read);
      return needed(query.input, read);
    }
    case "aggregate": {
      const read = new Set<string>();
      for (const g of query.groupBy) exprColumns(g.expr, read);
      for (const a of query.aggregates) if (a.arg !== undefined) exprColumns(a.arg, read);
      return needed(query.input, read);
    }
    case "tumble":
      // The window columns it adds may share a name with an input column: asking for more is harmless.
      return above === undefined ? undefined : needed(query.input, new Set([...above, query.timeColumn]));
    case "topN": {
      if (above === undefined) return undefined;
      const read = new Set(above);
      for (const o of query.orderBy) exprColumns(o.expr, read);
      return needed(query.input, read);
    }
  }
}

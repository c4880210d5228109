import { exprColumns } from "@jetflow/operators";
import type { ViewQuery } from "./spec.js";

/** What a query tree reads: per scan leaf and per join, in the order {@link readsOf} visits them. */
export interface Reads {
  /** Per scan, left to right: the columns of its relation read, undefined for every column. */
  readonly scans: (string[] | undefined)[];
  /** Per join, bottom-up and left to right (the order they are compiled): the output columns read above it. */
  readonly joins: (string[] | undefined)[];
}

/**
 * The columns of its input relation a single-input view's query reads, or undefined when it
 * needs every column (a view that keeps the input's rows as they are, such as `SELECT * FROM t`).
 * Each operator passes the columns needed above it down, adding the ones it reads itself; a
 * projection or an aggregate needs only what its expressions read.
 *
 * @example
 * ```ts
 * columnsRead({ kind: "aggregate", input: { kind: "scan", relation: "t" }, groupBy: [k], aggregates: [sumV] });
 * // ["k", "v"]
 * ```
 */
export function columnsRead(query: ViewQuery): string[] | undefined {
  return readsOf(query, () => []).scans[0];
}

/**
 * {@link columnsRead} for a query tree with joins: `namesOf(subtree)` gives a subtree's output
 * column names (a join maps its output names back to its inputs' by position), `keyOf(subtree)`
 * the output columns its rows are unique by (`viewKey`): a join side and a top-N identify their
 * input's rows by them, so they are read even when nothing above reads them.
 *
 * @example
 * ```ts
 * readsOf(joinQuery, (q) => schemaOf(q).fields.map((f) => f.name)).scans; // [["id", "cust"], ["id", "name"]]
 * ```
 */
export function readsOf(
  query: ViewQuery,
  namesOf: (query: ViewQuery) => readonly string[],
  keyOf: (query: ViewQuery) => readonly string[] = () => [],
): Reads {
  const reads: Reads = { scans: [], joins: [] };
  visit(query, undefined, { namesOf, keyOf }, reads);
  return reads;
}

/** What {@link visit} asks of a subtree: its output column names and its key (see {@link readsOf}). */
interface Names {
  readonly namesOf: (query: ViewQuery) => readonly string[];
  readonly keyOf: (query: ViewQuery) => readonly string[];
}

/** Walks the tree top-down with what is needed of each node's output (undefined: everything). */
function visit(query: ViewQuery, above: Set<string> | undefined, names: Names, reads: Reads): void {
  const { namesOf, keyOf } = names;
  const down = (input: ViewQuery, needed: Set<string> | undefined) => visit(input, needed, names, reads);
  switch (query.kind) {
    case "scan":
      reads.scans.push(above === undefined ? undefined : [...above]);
      return;
    case "filter":
      down(query.input, above === undefined ? undefined : exprColumns(query.predicate, new Set(above)));
      return;
    case "project": {
      const read = new Set<string>();
      for (const c of query.columns) exprColumns(c.expr, read);
      down(query.input, read);
      return;
    }
    case "aggregate": {
      const read = new Set<string>();
      for (const g of query.groupBy) exprColumns(g.expr, read);
      for (const a of query.aggregates) {
        if (a.arg !== undefined) exprColumns(a.arg, read);
        for (const o of a.orderBy ?? []) exprColumns(o.expr, read);
      }
      down(query.input, read);
      return;
    }
    case "temporalFilter":
    case "tumble":
    case "hop":
      // The window columns it adds may share a name with an input column: asking for more is harmless.
      down(query.input, above === undefined ? undefined : new Set([...above, query.timeColumn]));
      return;
    case "topN": {
      if (above === undefined) {
        down(query.input, undefined);
        return;
      }
      const read = new Set([...above, ...keyOf(query.input)]);
      for (const o of query.orderBy) exprColumns(o.expr, read);
      down(query.input, read);
      return;
    }
    case "union": {
      const outputs = namesOf(query);
      for (const input of query.inputs) {
        const names = namesOf(input);
        down(
          input,
          above === undefined ? undefined : new Set(names.filter((_n, c) => above.has(outputs[c] as string))),
        );
      }
      return;
    }
    case "join": {
      const out = new Set(above ?? query.names);
      if (query.residual !== undefined) exprColumns(query.residual, out);
      const leftNames = namesOf(query.left);
      const side = (input: ViewQuery, names: readonly string[], offset: number, which: "left" | "right") => {
        const keys = new Set<string>();
        for (const pair of query.on) exprColumns(pair[which], keys);
        const read = new Set<string>(keyOf(input));
        names.forEach((name, c) => {
          const output = query.names[offset + c] as string;
          if (out.has(output) || keys.has(output)) read.add(name);
        });
        down(input, read.size === names.length ? undefined : read);
      };
      side(query.left, leftNames, 0, "left");
      side(query.right, namesOf(query.right), leftNames.length, "right");
      // Joins are compiled bottom-up: this one comes after those below it.
      reads.joins.push(above === undefined ? undefined : [...above]);
      return;
    }
  }
}

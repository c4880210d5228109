import { ErrorCode, JetflowError } from "@jetflow/core";
import type { PartitionQuery, QueryRows } from "../partition-query.js";

/** A relation a reference task answers queries for: its columns and its current rows (as `rows()` gives them). */
export interface QueryableRelation {
  readonly columns: readonly string[];
  rows(): Record<string, unknown>[];
}

/**
 * The answer of a reference task to `request` from the relations it holds: the rows of the named
 * one whose cells equal `request.equal` (compared as JSON values), each cell as JSON (a bigint as
 * a number when it is a safe integer, else its decimal text). A scan: fine for the references'
 * few rows, while a pipeline task would probe its view's index.
 * @throws JetflowError `UNKNOWN_RELATION` or `UNKNOWN_COLUMN` naming what is there
 */
export function queryRows(relations: Readonly<Record<string, QueryableRelation>>, request: PartitionQuery): QueryRows {
  const relation = Object.hasOwn(relations, request.relation) ? relations[request.relation] : undefined;
  if (relation === undefined) {
    throw new JetflowError(
      ErrorCode.UnknownRelation,
      `no relation "${request.relation}" here (there are: ${Object.keys(relations).join(", ")})`,
    );
  }
  const equal = Object.entries(request.equal ?? {});
  for (const [column] of equal) {
    if (!relation.columns.includes(column)) {
      throw new JetflowError(
        ErrorCode.UnknownColumn,
        `relation "${request.relation}" has no column "${column}" (it has ${relation.columns.join(", ")})`,
      );
    }
  }
  const rows: unknown[][] = [];
  for (const r of relation.rows()) {
    if (equal.every(([column, value]) => jsonCell(r[column]) === value))
      rows.push(relation.columns.map((c) => jsonCell(r[c])));
  }
  return { columns: relation.columns, rows };
}

function jsonCell(v: unknown): unknown {
  if (typeof v !== "bigint") return v ?? null;
  return Number.isSafeInteger(Number(v)) ? Number(v) : String(v);
}

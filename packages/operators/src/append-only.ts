import type { ChangeBatch } from "@jetflow/core";
import type { Schema } from "apache-arrow";
import type { ChangeOperator } from "./operator.js";
import { rowsIn } from "./columnar/columns-change.js";

/**
 * CREATE SOURCE, or CREATE TABLE without a primary key: every decoded row is an insert and
 * nothing is kept (a view over it keeps what it needs). Batches pass through untouched.
 *
 * @example
 * ```ts
 * const src = appendOnly(schema); // src.process({ batch, ops: undefined }) returns the same change
 * ```
 */
export function appendOnly(input: Schema): ChangeOperator {
  return {
    schema: input,
    stores: [],
    process(change: ChangeBatch): ChangeBatch | undefined {
      return rowsIn(change) === 0 ? undefined : change;
    },
  };
}

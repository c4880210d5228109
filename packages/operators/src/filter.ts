import type { ChangeBatch } from "@jetflow/core";
import type { Schema } from "apache-arrow";
import { unsupported } from "./errors.js";
import { compileNode, changeContext, sqlTypesOf } from "./expr/compile.js";
import { newWarnings } from "./expr/context.js";
import type { Expr } from "./expr/expr.js";
import { takeChange } from "./columnar/take.js";
import { type ChangeOperator, nonEmpty } from "./operator.js";
import { rowsIn } from "./columnar/columns-change.js";

/**
 * `WHERE predicate` (also HAVING, over an aggregate's output): keeps the rows, inserts and
 * retractions alike, for which the predicate is TRUE (NULL and FALSE drop the row).
 * The predicate is evaluated column-at-a-time over the whole batch.
 *
 * @example
 * ```ts
 * const big = filter(schema, call(">", col("amount"), lit(100)));
 * ```
 * @throws ExpressionError when the predicate names an unknown column or is not boolean
 */
export function filter(input: Schema, predicate: Expr): ChangeOperator {
  const node = compileNode(predicate, input);
  if (node.type.kind !== "boolean" && !node.untyped) {
    throw unsupported(`argument of WHERE must be type boolean, not type ${node.type.kind}`);
  }
  const types = sqlTypesOf(input);
  const warnings = newWarnings();
  return {
    schema: input,
    stores: [],
    warnings,
    process(change: ChangeBatch): ChangeBatch | undefined {
      const n = rowsIn(change);
      if (n === 0) return undefined;
      const keep = node.evaluate(changeContext(change, types, warnings));
      const values = keep.values as Uint8Array;
      const valid = keep.valid;
      const idx = new Int32Array(n);
      let m = 0;
      for (let i = 0; i < n; i++) if (values[i] === 1 && (valid === undefined || valid[i] === 1)) idx[m++] = i;
      return nonEmpty(takeChange(change, input, types, idx.subarray(0, m)));
    },
  };
}

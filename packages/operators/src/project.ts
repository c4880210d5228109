import { type ChangeBatch, sqlField } from "@jetflow/core";
import { type Data, Schema } from "apache-arrow";
import { batchOf, toArrow } from "./columnar/col.js";
import { compileNode, evalContext, sqlTypesOf } from "./expr/compile.js";
import { newWarnings } from "./expr/context.js";
import type { NamedExpr } from "./expr/expr.js";
import type { ChangeOperator } from "./operator.js";

/**
 * `SELECT expr AS name, ...`: computes each output column over the whole batch; ops pass
 * through unchanged (a retracted input row retracts its projection). A bare column reference
 * reuses the input column without copying.
 *
 * @example
 * ```ts
 * const p = project(schema, [{ name: "total", expr: call("*", col("qty"), col("price")) }]);
 * ```
 * @throws ExpressionError when an expression does not compile; SchemaError-like ExpressionError on duplicate names
 */
export function project(input: Schema, columns: readonly NamedExpr[]): ChangeOperator {
  const nodes = columns.map((c) => compileNode(c.expr, input));
  const names = input.fields.map((f) => f.name);
  // Untyped literals (a bare 'text' or NULL) become varchar, as PostgreSQL resolves an unknown output column.
  const schema = new Schema(columns.map((c, i) => sqlField(c.name, (nodes[i] as (typeof nodes)[number]).type)));
  const passthrough = columns.map((c) => (c.expr.kind === "column" ? names.indexOf(c.expr.name) : -1));
  const types = sqlTypesOf(input);
  const warnings = newWarnings();
  return {
    schema,
    stores: [],
    warnings,
    process(change: ChangeBatch): ChangeBatch | undefined {
      const n = change.batch.numRows;
      if (n === 0) return undefined;
      const ctx = evalContext(change.batch, types, warnings);
      const data = nodes.map((node, i) => {
        const src = passthrough[i] as number;
        return src >= 0 ? (change.batch.data.children[src] as Data) : toArrow(node.evaluate(ctx));
      });
      return { batch: batchOf(schema, data, n), ops: change.ops };
    },
  };
}

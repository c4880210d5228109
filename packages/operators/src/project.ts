import { type ChangeBatch, sqlField } from "@jetflow/core";
import { Schema } from "apache-arrow";
import { compileNode, changeContext, sqlTypesOf } from "./expr/compile.js";
import { newWarnings } from "./expr/context.js";
import type { NamedExpr } from "./expr/expr.js";
import type { ChangeOperator } from "./operator.js";
import { ColumnsChange, columnAsIs, rowsIn } from "./columnar/columns-change.js";

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
  const outTypes = nodes.map((node) => node.type);
  const warnings = newWarnings();
  return {
    schema,
    stores: [],
    warnings,
    process(change: ChangeBatch): ChangeBatch | undefined {
      const n = rowsIn(change);
      if (n === 0) return undefined;
      const ctx = changeContext(change, types, warnings);
      const columns = nodes.map((node, i) => {
        const src = passthrough[i] as number;
        return src >= 0 ? columnAsIs(change, src) : node.evaluate(ctx);
      });
      return new ColumnsChange(schema, outTypes, columns, n, change.ops);
    },
  };
}

import { type ChangeBatch, type SqlType, sqlField } from "@jetflow/core";
import { type Data, Schema } from "apache-arrow";
import { batchOf, toArrow } from "./columnar/col.js";
import { unsupported } from "./errors.js";
import { compileNode, changeContext, sqlTypesOf } from "./expr/compile.js";
import { newWarnings } from "./expr/context.js";
import type { Expr } from "./expr/expr.js";
import type { Node } from "./expr/node.js";
import type { ChangeOperator } from "./operator.js";
import { commonType, isNumberType, sameType, typeName, unionNumbers } from "./expr/types.js";
import { rowsIn } from "./columnar/columns-change.js";

/**
 * `q1 UNION ALL q2 [UNION ALL ...]`: every input's changes pass through, columns matched by
 * position, named as the first input names them. A column's type is the one its inputs' types meet
 * in, as PostgreSQL resolves UNION (integer and bigint give bigint); inputs of another type are cast.
 * Stateless: UNION (without ALL) is a group-by of every column above it.
 */
export interface UnionOperator extends Omit<ChangeOperator, "process"> {
  /** The change of input `i`, as a change of the union. */
  process(i: number, change: ChangeBatch): ChangeBatch | undefined;
}

/**
 * @example
 * ```ts
 * const u = union([ordersSchema, refundsSchema]);
 * u.process(1, refundChange); // the same rows, under the union's column names and types
 * ```
 * @throws ExpressionError when the inputs have different numbers of columns or a column's types do not meet
 */
export function union(inputs: readonly Schema[]): UnionOperator {
  const first = inputs[0];
  if (first === undefined) throw unsupported("UNION needs at least one input");
  const width = first.fields.length;
  const typesOf = inputs.map((s) => sqlTypesOf(s));
  inputs.forEach((s, i) => {
    if (s.fields.length !== width) {
      throw unsupported(
        `each UNION query must have the same number of columns: ${width} and ${s.fields.length} (query ${i + 1})`,
      );
    }
  });
  const types: SqlType[] = (typesOf[0] as SqlType[]).map((t, c) => {
    let type = t;
    for (const ts of typesOf.slice(1)) {
      const other = ts[c] as SqlType;
      const met = isNumberType(type) && isNumberType(other) ? unionNumbers(type, other) : commonType(type, other);
      if (met === undefined) {
        throw unsupported(
          `UNION types ${typeName(type)} and ${typeName(other)} cannot be matched (column ${first.fields[c]?.name})`,
        );
      }
      type = met;
    }
    return type;
  });
  const schema = new Schema(first.fields.map((f, c) => sqlField(f.name, types[c] as SqlType)));
  // Per input, per column: a cast where the input's type is not the union's.
  const casts: (Node | undefined)[][] = inputs.map((s, i) =>
    types.map((t, c) => {
      if (sameType(t, (typesOf[i] as SqlType[])[c] as SqlType)) return undefined;
      const e: Expr = { kind: "cast", expr: { kind: "column", name: s.fields[c]?.name as string }, type: t };
      return compileNode(e, s);
    }),
  );
  const warnings = newWarnings();
  return {
    schema,
    stores: [],
    warnings,
    process(i, change) {
      const n = rowsIn(change);
      if (n === 0) return undefined;
      const own = casts[i] as (Node | undefined)[];
      const ctx = changeContext(change, typesOf[i] as SqlType[], warnings);
      const data = own.map((cast, c) =>
        cast === undefined ? (change.batch.data.children[c] as Data) : toArrow(cast.evaluate(ctx)),
      );
      return { batch: batchOf(schema, data, n), ops: change.ops };
    },
  };
}

import type { Expr, JoinKind } from "@jetflow/operators";
import { QueryError, RelationNameError } from "../errors.js";
import {
  type FromRelation,
  type JoinCondition,
  type PlanErrors,
  bothSides,
  checkQualifier,
  entryRelation,
  findColumn,
  hasColumn,
  joinRelations,
  checkTemporalRight,
} from "../join-plan.js";
import type { Catalog, ViewQuery } from "../spec.js";
import type { Term } from "./value.js";

/**
 * How a join matches its sides: an ON predicate (`{ kind: "on" }`, from a `Value`) or the
 * columns both sides have ({@link using}).
 * @example from("orders", "o").join("customers", "c", using(["user_id"]))
 */
export type JoinOn =
  | { readonly kind: "on"; readonly term: Term }
  | { readonly kind: "using"; readonly names: readonly string[] };

/**
 * FROM: a relation, a tumbling window over one, or a join of two items; `alias` names the item
 * in qualified column references (`col("o.id")`).
 * @example from(tumble("clicks", "ts", { minutes: 5 }))
 */
export type FromItem =
  | { readonly kind: "relation"; readonly name: string; readonly alias?: string }
  | {
      readonly kind: "tumble";
      readonly relation: string;
      readonly timeColumn: string;
      readonly sizeUs: number;
      readonly alias?: string;
    }
  | {
      readonly kind: "join";
      readonly join: JoinKind;
      readonly left: FromItem;
      readonly right: FromItem;
      readonly on: JoinOn;
      /** `FOR SYSTEM_TIME AS OF PROCTIME()` on the right relation. */
      readonly temporal: boolean;
    };

/**
 * The builder's errors for FROM planning: names as RelationNameError, the rest as QueryError.
 * @example findColumn(rel, "id", undefined, DSL_ERRORS)
 */
export const DSL_ERRORS: PlanErrors = {
  name: (message) => new RelationNameError(message),
  unsupported: (what, verb, hint) =>
    new QueryError(`${what} ${verb} not supported in materialized views${hint === "" ? "" : ` (${hint})`}`),
};

/**
 * A column name as written, split: `q.col` is `col` of the FROM entry `q` when `q` is an alias or
 * relation name in scope; any other name is a plain column name.
 * @example splitName(rel, "o.user_id") // { qualifier: "o", name: "user_id" }
 */
export function splitName(rel: FromRelation, name: string): { qualifier: string | undefined; name: string } {
  const dot = name.indexOf(".");
  if (dot > 0) {
    const qualifier = name.slice(0, dot);
    if (rel.qualifiers.includes(qualifier)) return { qualifier, name: name.slice(dot + 1) };
    // Neither a qualifier in scope nor a column with a dot in its name: say which entry is missing.
    if (!hasColumn(rel, name)) checkQualifier(rel, qualifier, DSL_ERRORS);
  }
  return { qualifier: undefined, name };
}

/**
 * A column reference (`id`, `o.id`) as the expression it stands for in `rel`.
 * @throws RelationNameError for an unknown column or qualifier, or a plain name both sides of a join have
 * @example columnOf(rel, "o.id") // { kind: "column", name: "o.id" }
 */
export function columnOf(rel: FromRelation, name: string): Expr {
  const split = splitName(rel, name);
  return findColumn(rel, split.name, split.qualifier, DSL_ERRORS);
}

/**
 * The FROM item as a FROM scope, planned as the SQL front end plans the same FROM clause: the
 * columns of a join's sides are named `qualifier.column` (`prefixed`), ON split into equi-keys and
 * a residual. `translateOn` translates an ON predicate over both sides' scope.
 *
 * @throws RelationNameError for an unknown relation or column, QueryError for a broken SQL rule
 * @example resolveFromItem({ kind: "relation", name: "orders" }, catalog, false, translate).query // scan orders
 */
export function resolveFromItem(
  item: FromItem,
  catalog: Catalog,
  prefixed: boolean,
  translateOn: (term: Term, scope: FromRelation) => Expr,
): FromRelation {
  if (item.kind === "join") {
    const left = resolveFromItem(item.left, catalog, true, translateOn);
    const right = resolveFromItem(item.right, catalog, true, translateOn);
    if (item.temporal && item.right.kind !== "relation") {
      throw new QueryError("a temporal join ({ temporal: true }) needs a table on the right");
    }
    if (item.temporal) checkTemporalRight(right.query, catalog, DSL_ERRORS);
    const condition: JoinCondition =
      item.on.kind === "using"
        ? { kind: "using", names: item.on.names }
        : { kind: "on", expr: translateOn(item.on.term, bothSides(left, right)) };
    return joinRelations(item.join, left, right, condition, item.temporal, DSL_ERRORS);
  }
  const name = item.kind === "relation" ? item.name : item.relation;
  const columns = catalog.columnsOf(name);
  if (columns === undefined) throw new RelationNameError(`relation "${name}" does not exist`);
  const scan: ViewQuery = { kind: "scan", relation: name };
  if (item.kind === "relation") {
    return entryRelation(
      scan,
      columns.map((c) => c.name),
      [item.alias ?? name],
      prefixed,
    );
  }
  const time = columns.find((c) => c.name === item.timeColumn);
  if (time === undefined) throw new RelationNameError(`column "${item.timeColumn}" does not exist in "${name}"`);
  if (time.type.kind !== "timestamp" && time.type.kind !== "timestamptz") {
    throw new QueryError(
      `tumble() needs a timestamp or timestamptz time column; "${item.timeColumn}" is ${time.type.kind}`,
    );
  }
  for (const added of ["window_start", "window_end"]) {
    if (columns.some((c) => c.name === added))
      throw new RelationNameError(`tumble() adds a column "${added}", but "${name}" already has one`);
  }
  return entryRelation(
    { kind: "tumble", input: scan, timeColumn: item.timeColumn, sizeUs: item.sizeUs },
    [...columns.map((c) => c.name), "window_start", "window_end"],
    // As SQL names an unaliased TUMBLE(...) entry: by its relation, or "tumble".
    item.alias === undefined ? [name, "tumble"] : [item.alias],
    prefixed,
  );
}

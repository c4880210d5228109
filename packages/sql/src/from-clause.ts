import { type ColumnDef, ErrorCode } from "@jetflow/core";
import type { Expr } from "@jetflow/operators";
import type { Catalog, ViewQuery } from "@jetflow/pipeline";
import type { ColumnRef, FuncCall, Node } from "libpg-query";
import { functionName } from "./expr-translate.js";
import { intervalMicros } from "./interval.js";
import { type SelectSource, firstLocation, nameParts, nodeKind, nodeLocation } from "./select-ast.js";

/** The one relation a view reads, as its FROM clause names it. */
export interface FromRelation {
  /** `scan`, or `tumble(scan)` for `FROM TUMBLE(...)`. */
  readonly query: ViewQuery;
  /** The columns the query sees, in order (a tumble adds window_start and window_end). */
  readonly columns: readonly ColumnDef[];
  /** The names a column may be qualified with: the alias, else the relation's name. */
  readonly qualifiers: readonly string[];
}

/**
 * Resolves `FROM relation [AS alias]` or `FROM TUMBLE(relation, time_col, INTERVAL '...') [AS alias]`
 * against the catalog. Joins, several relations, subqueries and other table functions are
 * rejected naming the construct.
 */
export function resolveFrom(sel: SelectSource, from: readonly Node[] | undefined, catalog: Catalog): FromRelation {
  const first = from?.[0];
  if (first === undefined) {
    throw sel.error(ErrorCode.SqlUnsupported, undefined, "a materialized view needs FROM a table, source or view");
  }
  if (from !== undefined && from.length > 1) {
    throw sel.unsupported(nodeLocation(from[1]), "joins (several relations in FROM)", "are");
  }
  if ("RangeVar" in first) {
    const rv = first.RangeVar;
    const location = rv.location;
    if (rv.schemaname !== undefined) {
      throw sel.error(
        ErrorCode.SqlUnsupported,
        location,
        `schema-qualified names are not supported: ${rv.schemaname}.${rv.relname}`,
      );
    }
    const name = rv.relname ?? "";
    const columns = lookup(sel, catalog, name, location);
    const alias = rv.alias?.aliasname;
    if (rv.alias?.colnames !== undefined) throw sel.unsupported(location, "column aliases in FROM", "are");
    return { query: { kind: "scan", relation: name }, columns, qualifiers: [alias ?? name] };
  }
  if ("RangeFunction" in first) return tumble(sel, first.RangeFunction, catalog);
  const what: Record<string, string> = {
    JoinExpr: "JOIN",
    RangeSubselect: "subqueries in FROM",
    RangeTableSample: "TABLESAMPLE",
    RangeTableFunc: "XMLTABLE",
    JsonTable: "JSON_TABLE",
  };
  const kind = nodeKind(first);
  throw sel.unsupported(firstLocation(first), what[kind] ?? kind, what[kind] === "subqueries in FROM" ? "are" : "is");
}

/**
 * A column reference in the relation: `col` or `qualifier.col`.
 *
 * @throws SqlError (SQL_NAME) for an unknown column or qualifier
 */
export function resolveColumn(sel: SelectSource, rel: FromRelation, ref: ColumnRef, location?: number): Expr {
  const parts = nameParts(ref.fields);
  const at = ref.location ?? location;
  if (parts.includes("*")) throw sel.unsupported(at, "* in expressions");
  if (parts.length > 2) throw sel.unsupported(at, `qualified name ${parts.join(".")}`);
  const name = parts.at(-1) ?? "";
  if (parts.length === 2) checkQualifier(sel, rel, parts[0] ?? "", at);
  if (!rel.columns.some((c) => c.name === name)) {
    const known = rel.columns.map((c) => c.name);
    const list = known.length > 12 ? `${known.slice(0, 12).join(", ")}, ...` : known.join(", ");
    throw sel.error(ErrorCode.SqlName, at, `column "${name}" does not exist (columns: ${list})`);
  }
  return { kind: "column", name };
}

/** `q.*` / `q.col`: `q` must name the FROM entry. */
export function checkQualifier(sel: SelectSource, rel: FromRelation, qualifier: string, location?: number): void {
  if (!rel.qualifiers.includes(qualifier)) {
    throw sel.error(
      ErrorCode.SqlName,
      location,
      `missing FROM-clause entry for table "${qualifier}" (the relation is called ${rel.qualifiers.map((q) => `"${q}"`).join(" or ")} here)`,
    );
  }
}

function tumble(sel: SelectSource, rf: import("libpg-query").RangeFunction, catalog: Catalog): FromRelation {
  const list = rf.functions?.[0];
  const fnNode = list !== undefined && "List" in list ? list.List.items?.[0] : undefined;
  if (rf.lateral === true || rf.ordinality === true || rf.is_rowsfrom === true || (rf.functions?.length ?? 0) !== 1) {
    throw sel.unsupported(nodeLocation(fnNode), "this FROM function form");
  }
  if (fnNode === undefined || !("FuncCall" in fnNode)) {
    throw sel.unsupported(nodeLocation(fnNode), "table functions other than TUMBLE", "are");
  }
  const fc: FuncCall = fnNode.FuncCall;
  const location = fc.location;
  const fname = functionName(fc) ?? nameParts(fc.funcname).join(".");
  if (fname === "hop") throw sel.unsupported(location, "HOP windows", "are", "use TUMBLE");
  if (fname !== "tumble") {
    throw sel.unsupported(location, `table function ${fname}()`, "is", "use TUMBLE");
  }
  const args = fc.args ?? [];
  if (args.length === 4) throw sel.unsupported(firstLocation(args[3]), "a TUMBLE offset");
  const [relArg, timeArg, sizeArg] = args;
  if (args.length !== 3 || relArg === undefined || timeArg === undefined || sizeArg === undefined) {
    throw sel.error(
      ErrorCode.SqlSyntax,
      location,
      `TUMBLE takes 3 arguments: TUMBLE(relation, time_column, INTERVAL '1 minute'), got ${args.length}`,
    );
  }
  const relation = singleName(relArg);
  if (relation === undefined)
    throw sel.error(
      ErrorCode.SqlSyntax,
      nodeLocation(relArg) ?? location,
      "TUMBLE's first argument must name a table, source or view",
    );
  const inner = lookup(sel, catalog, relation, nodeLocation(relArg));
  const alias = rf.alias?.aliasname;
  if (rf.alias?.colnames !== undefined) throw sel.unsupported(location, "column aliases in FROM", "are");

  const timeParts = "ColumnRef" in timeArg ? nameParts(timeArg.ColumnRef.fields) : [];
  const timeColumn = timeParts.at(-1);
  const timeLocation = nodeLocation(timeArg) ?? location;
  if (timeColumn === undefined || timeParts.length > 2 || (timeParts.length === 2 && timeParts[0] !== relation)) {
    throw sel.error(ErrorCode.SqlSyntax, timeLocation, `TUMBLE's second argument must be a column of "${relation}"`);
  }
  const time = inner.find((c) => c.name === timeColumn);
  if (time === undefined)
    throw sel.error(ErrorCode.SqlName, timeLocation, `column "${timeColumn}" does not exist in "${relation}"`);
  if (time.type.kind !== "timestamp" && time.type.kind !== "timestamptz") {
    throw sel.error(
      ErrorCode.SqlUnsupported,
      timeLocation,
      `TUMBLE needs a timestamp or timestamptz time column; "${timeColumn}" is ${time.type.kind}`,
    );
  }
  for (const added of ["window_start", "window_end"]) {
    if (inner.some((c) => c.name === added)) {
      throw sel.error(
        ErrorCode.SqlName,
        location,
        `TUMBLE adds a column "${added}", but "${relation}" already has one`,
      );
    }
  }
  const sizeUs = windowSize(sel, sizeArg, location);
  return {
    query: { kind: "tumble", input: { kind: "scan", relation }, timeColumn, sizeUs },
    columns: [...inner, { name: "window_start", type: time.type }, { name: "window_end", type: time.type }],
    // Unaliased, PostgreSQL would call the entry "tumble"; the relation's own name reads better too.
    qualifiers: alias !== undefined ? [alias] : ["tumble", relation],
  };
}

/** `INTERVAL '1 minute'`, `'1 minute'::interval`, `INTERVAL '5' MINUTE` or a bare '1 minute'. */
function windowSize(sel: SelectSource, node: Node, fallback?: number): number {
  // `INTERVAL '1 minute'` has no location of its own; its type name's is the INTERVAL keyword.
  const location = nodeLocation(node) ?? firstLocation(node) ?? fallback;
  let text: string | undefined;
  let mask: number | undefined;
  if ("TypeCast" in node) {
    const { arg, typeName } = node.TypeCast;
    if (nameParts(typeName?.names).at(-1) === "interval" && arg !== undefined && "A_Const" in arg) {
      text =
        arg.A_Const.sval?.sval ?? (arg.A_Const.ival !== undefined ? String(arg.A_Const.ival.ival ?? 0) : undefined);
      const typmod = typeName?.typmods?.[0];
      if (typmod !== undefined && "A_Const" in typmod) mask = typmod.A_Const.ival?.ival;
    }
  } else if ("A_Const" in node) {
    text = node.A_Const.sval?.sval;
  }
  if (text === undefined) {
    throw sel.error(
      ErrorCode.SqlUnsupported,
      location,
      "TUMBLE's window size must be an interval literal like INTERVAL '1 minute'",
    );
  }
  const us = intervalMicros(text, mask);
  if (typeof us === "string") throw sel.error(ErrorCode.SqlUnsupported, location, `TUMBLE window size: ${us}`);
  if (!(us > 0) || !Number.isSafeInteger(us)) {
    throw sel.error(ErrorCode.SqlSyntax, location, `TUMBLE window size must be positive, got '${text}'`);
  }
  return us;
}

function lookup(sel: SelectSource, catalog: Catalog, name: string, location?: number): readonly ColumnDef[] {
  const columns = catalog.columnsOf(name);
  if (columns === undefined) throw sel.error(ErrorCode.SqlName, location, `relation "${name}" does not exist`);
  return columns;
}

function singleName(node: Node): string | undefined {
  if (!("ColumnRef" in node)) return undefined;
  const parts = nameParts(node.ColumnRef.fields);
  return parts.length === 1 && parts[0] !== "*" ? parts[0] : undefined;
}

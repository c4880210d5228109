import { type ColumnDef, ErrorCode } from "@jetflow/core";
import type { Catalog, ViewQuery } from "@jetflow/pipeline";
import type { FuncCall, Node, RangeFunction } from "libpg-query";
import { functionName } from "./expr-translate.js";
import { lookup } from "./from-scope.js";
import { intervalMicros } from "./interval.js";
import { firstLocation, nameParts, nodeLocation, type SelectSource } from "./select-ast.js";

/**
 * `TUMBLE(relation, time_col, INTERVAL size)` or `HOP(relation, time_col, INTERVAL slide, INTERVAL size)`
 * in FROM: the relation with `window_start` and `window_end` added.
 */
export function windowFunction(
  sel: SelectSource,
  rf: RangeFunction,
  catalog: Catalog,
): { query: ViewQuery; columns: readonly ColumnDef[]; qualifiers: string[] } {
  const list = rf.functions?.[0];
  const fnNode = list !== undefined && "List" in list ? list.List.items?.[0] : undefined;
  if (rf.lateral === true || rf.ordinality === true || rf.is_rowsfrom === true || (rf.functions?.length ?? 0) !== 1) {
    throw sel.unsupported(nodeLocation(fnNode), "this FROM function form");
  }
  if (fnNode === undefined || !("FuncCall" in fnNode)) {
    throw sel.unsupported(nodeLocation(fnNode), "table functions other than TUMBLE and HOP", "are");
  }
  const fc: FuncCall = fnNode.FuncCall;
  const location = fc.location;
  const fname = functionName(fc) ?? nameParts(fc.funcname).join(".");
  if (fname !== "tumble" && fname !== "hop") {
    throw sel.unsupported(location, `table function ${fname}()`, "is", "use TUMBLE or HOP");
  }
  const FN = fname.toUpperCase();
  const hop = fname === "hop";
  const args = fc.args ?? [];
  const arity = hop ? 4 : 3;
  if (args.length === arity + 1) throw sel.unsupported(firstLocation(args[arity]), `a ${FN} offset`);
  const [relArg, timeArg, firstSize, secondSize] = args;
  const sizeArg = hop ? secondSize : firstSize;
  if (args.length !== arity || relArg === undefined || timeArg === undefined || sizeArg === undefined) {
    const form = hop
      ? "HOP(relation, time_column, INTERVAL '1 minute', INTERVAL '5 minutes')"
      : "TUMBLE(relation, time_column, INTERVAL '1 minute')";
    throw sel.error(ErrorCode.SqlSyntax, location, `${FN} takes ${arity} arguments: ${form}, got ${args.length}`);
  }
  const relation = singleName(relArg);
  if (relation === undefined)
    throw sel.error(
      ErrorCode.SqlSyntax,
      nodeLocation(relArg) ?? location,
      `${FN}'s first argument must name a table, source or view`,
    );
  const inner = lookup(sel, catalog, relation, nodeLocation(relArg));
  const alias = rf.alias?.aliasname;
  if (rf.alias?.colnames !== undefined) throw sel.unsupported(location, "column aliases in FROM", "are");

  const timeParts = "ColumnRef" in timeArg ? nameParts(timeArg.ColumnRef.fields) : [];
  const timeColumn = timeParts.at(-1);
  const timeLocation = nodeLocation(timeArg) ?? location;
  if (timeColumn === undefined || timeParts.length > 2 || (timeParts.length === 2 && timeParts[0] !== relation)) {
    throw sel.error(ErrorCode.SqlSyntax, timeLocation, `${FN}'s second argument must be a column of "${relation}"`);
  }
  const time = inner.find((c) => c.name === timeColumn);
  if (time === undefined)
    throw sel.error(ErrorCode.SqlName, timeLocation, `column "${timeColumn}" does not exist in "${relation}"`);
  if (time.type.kind !== "timestamp" && time.type.kind !== "timestamptz") {
    throw sel.error(
      ErrorCode.SqlUnsupported,
      timeLocation,
      `${FN} needs a timestamp or timestamptz time column; "${timeColumn}" is ${time.type.kind}`,
    );
  }
  for (const added of ["window_start", "window_end"]) {
    if (inner.some((c) => c.name === added)) {
      throw sel.error(ErrorCode.SqlName, location, `${FN} adds a column "${added}", but "${relation}" already has one`);
    }
  }
  const sizeUs = windowSize(sel, FN, sizeArg, location);
  const input: ViewQuery = { kind: "scan", relation };
  let query: ViewQuery = { kind: "tumble", input, timeColumn, sizeUs };
  if (hop) {
    const slideUs = windowSize(sel, FN, firstSize as Node, location);
    if (sizeUs % slideUs !== 0) {
      throw sel.error(
        ErrorCode.SqlUnsupported,
        nodeLocation(sizeArg) ?? firstLocation(sizeArg) ?? location,
        "HOP's window size must be a multiple of its slide",
      );
    }
    query = { kind: "hop", input, timeColumn, slideUs, sizeUs };
  }
  return {
    query,
    columns: [...inner, { name: "window_start", type: time.type }, { name: "window_end", type: time.type }],
    // Unaliased, PostgreSQL would call the entry "tumble"; the relation's own name reads better too.
    qualifiers: alias !== undefined ? [alias] : [relation, fname],
  };
}

/** `INTERVAL '1 minute'`, `'1 minute'::interval`, `INTERVAL '5' MINUTE` or a bare '1 minute'. */
function windowSize(sel: SelectSource, FN: string, node: Node, fallback?: number): number {
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
      `${FN}'s window size must be an interval literal like INTERVAL '1 minute'`,
    );
  }
  const us = intervalMicros(text, mask);
  if (typeof us === "string") throw sel.error(ErrorCode.SqlUnsupported, location, `${FN} window size: ${us}`);
  if (!(us > 0) || !Number.isSafeInteger(us)) {
    throw sel.error(ErrorCode.SqlSyntax, location, `${FN} window size must be positive, got '${text}'`);
  }
  return us;
}

function singleName(node: Node): string | undefined {
  if (!("ColumnRef" in node)) return undefined;
  const parts = nameParts(node.ColumnRef.fields);
  return parts.length === 1 && parts[0] !== "*" ? parts[0] : undefined;
}

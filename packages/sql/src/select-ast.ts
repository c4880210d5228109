import { ErrorCode } from "@jetflow/core";
import { type Node, type SelectStmt, hasSqlDetails, loadModule, parseSync } from "libpg-query";
import type { SqlError, SqlErrorCode } from "./errors.js";
import type { SourceText } from "./source-text.js";

// The PostgreSQL parser is C compiled to WebAssembly; compiling the module is asynchronous, so it is
// done once when this package is imported. After that every parse is synchronous.
await loadModule();

/** JSON nesting levels a SELECT's parse tree may have (roughly two per expression level). */
const MAX_TREE_DEPTH = 1000;

/**
 * The SELECT text of one `CREATE MATERIALIZED VIEW`, where it sits in the file, and its parse
 * tree. Locations in the tree are UTF-8 byte offsets into the SELECT text; `error` turns one into
 * a file line and column.
 */
export class SelectSource {
  constructor(
    readonly src: SourceText,
    /** UTF-16 offset of the SELECT text in the file. */
    readonly start: number,
    readonly stmt: SelectStmt,
    /** Byte locations of the relation names followed by `FOR SYSTEM_TIME AS OF PROCTIME()`. */
    readonly temporal: ReadonlySet<number> = new Set(),
  ) {}

  /** The same SELECT text and file position, for a subquery's statement. */
  with(stmt: SelectStmt): SelectSource {
    return new SelectSource(this.src, this.start, stmt, this.temporal);
  }

  /** A SqlError at a byte location of the SELECT text (its start when unknown). */
  error(code: SqlErrorCode, location: number | undefined, detail: string): SqlError {
    const offset = location === undefined ? this.start : this.src.offsetOfUtf8(this.start, location);
    return this.src.error(code, offset, detail);
  }

  /** `<what> is (are) not supported in materialized views (<hint>)`, as SQL_UNSUPPORTED. */
  unsupported(location: number | undefined, what: string, verb: "is" | "are" = "is", hint = ""): SqlError {
    const detail = `${what} ${verb} not supported in materialized views${hint === "" ? "" : ` (${hint})`}`;
    return this.error(ErrorCode.SqlUnsupported, location, detail);
  }
}

/**
 * Parses `src.text[start, end)` with the PostgreSQL parser; it must be one SELECT.
 *
 * @throws SqlError: SQL_SYNTAX with PostgreSQL's message at its position, SQL_UNSUPPORTED for
 *   another kind of statement or a tree nested too deeply to plan
 */
export function parseSelect(src: SourceText, start: number, end: number): SelectSource {
  const { text, temporal } = withoutTemporalClauses(src.text.slice(start, end));
  let tree: ReturnType<typeof parseSync>;
  try {
    tree = parseSync(text);
  } catch (e) {
    if (hasSqlDetails(e)) {
      const details = e.sqlDetails!;
      // PostgreSQL reports the cursor in characters, not bytes.
      const at = src.offsetOfChars(start, Math.max(0, details.cursorPosition));
      const message = details.message.startsWith("memory exhausted")
        ? "the query is nested too deeply"
        : details.message;
      throw src.error(ErrorCode.SqlSyntax, at, message, e);
    }
    // JSON.parse of an extremely deep tree overflows the stack: same answer.
    throw src.error(ErrorCode.SqlUnsupported, start, "the query is nested too deeply", e);
  }
  const stmts = tree.stmts ?? [];
  const first = stmts[0]?.stmt;
  if (stmts.length !== 1 || first === undefined)
    throw src.error(ErrorCode.SqlSyntax, start, "expected one SELECT query");
  if (!("SelectStmt" in first)) {
    const kind = nodeKind(first).replace(/Stmt$/, "").toUpperCase();
    throw src.error(ErrorCode.SqlUnsupported, start, `a materialized view is defined by a SELECT, not ${kind}`);
  }
  if (treeDepth(first) > MAX_TREE_DEPTH) {
    throw src.error(ErrorCode.SqlUnsupported, start, "the query is nested too deeply");
  }
  return new SelectSource(src, start, first.SelectStmt, temporal);
}

/** RisingWave's temporal join clause, which PostgreSQL's grammar lacks. */
const TEMPORAL_CLAUSE = /\bFOR\s+SYSTEM_TIME\s+AS\s+OF\s+PROCTIME\s*\(\s*\)/giu;

/**
 * Blanks out each `FOR SYSTEM_TIME AS OF PROCTIME()` (spaces keep every other location where it
 * was) and returns the byte locations of the relation names it followed.
 */
function withoutTemporalClauses(text: string): { text: string; temporal: Set<number> } {
  const temporal = new Set<number>();
  const out = text.replace(TEMPORAL_CLAUSE, (clause: string, at: number) => {
    let i = at;
    while (i > 0 && /\s/u.test(text[i - 1] as string)) i--;
    while (i > 0 && /[\p{L}\p{N}_$."]/u.test(text[i - 1] as string)) i--;
    temporal.add(Buffer.byteLength(text.slice(0, i)));
    return " ".repeat(clause.length);
  });
  return { text: out, temporal };
}

/** The node's kind: its one key, e.g. `ColumnRef`. */
export function nodeKind(node: Node): string {
  for (const key in node) return key;
  return "?";
}

/** The node's byte location in the SELECT text, when the parser recorded one. */
export function nodeLocation(node: Node | undefined): number | undefined {
  if (node === undefined) return undefined;
  const inner = (node as Record<string, { location?: number } | undefined>)[nodeKind(node)];
  const location = inner?.location;
  return typeof location === "number" && location >= 0 ? location : undefined;
}

/** The first location found breadth-first in a tree (for nodes like JoinExpr that carry none). */
export function firstLocation(root: unknown): number | undefined {
  const queue: unknown[] = [root];
  for (let i = 0; i < queue.length; i++) {
    const value = queue[i];
    if (typeof value !== "object" || value === null) continue;
    const location = (value as { location?: unknown }).location;
    if (typeof location === "number" && location >= 0) return location;
    for (const child of Object.values(value)) if (typeof child === "object") queue.push(child);
  }
  return undefined;
}

/** The string values of a name list (`[{String: {sval}}]`), e.g. a function or type name. */
export function nameParts(names: readonly Node[] | undefined): string[] {
  return (names ?? []).map((n) => ("String" in n ? (n.String.sval ?? "") : "*"));
}

/** Nesting depth of a parse tree, measured without recursion so any input is safe. */
function treeDepth(root: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > max) max = depth;
    if (max > MAX_TREE_DEPTH) return max;
    if (typeof value === "object" && value !== null) {
      for (const child of Object.values(value)) if (typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return max;
}

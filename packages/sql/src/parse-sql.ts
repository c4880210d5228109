import { ErrorCode } from "@jetflow/core";
import type { Catalog, ParsedStatement, SqlFrontend, Statement } from "@jetflow/pipeline";
import { parseCreateIngest, planIngest } from "./create-ingest.js";
import { parseCreateSink, planSink } from "./create-sink.js";
import { Cursor } from "./cursor.js";
import { SqlError } from "./errors.js";
import { type SelectSource, parseSelect } from "./select-ast.js";
import { planSelect } from "./select-plan.js";
import { SourceText } from "./source-text.js";
import { type Token, tokenize } from "./tokenizer.js";

/**
 * Parses a SQL file: any number of `;`-separated statements, with `--` and `/* *\/` comments.
 * Supported: `CREATE {TABLE | SOURCE} [IF NOT EXISTS] name [(columns)] [INCLUDE ...] WITH (...)
 * FORMAT PLAIN ENCODE {JSON | PROTOBUF (...) | BYTES | MSGPACK}`, `CREATE MATERIALIZED VIEW
 * [IF NOT EXISTS] name AS SELECT ...` and `DROP {TABLE | SOURCE | MATERIALIZED VIEW} [IF EXISTS] name`.
 * The whole text is checked for syntax first; each statement's `plan(catalog)` then resolves
 * names against the relations that exist when it runs.
 *
 * @throws SqlError with the line and column of the first problem
 * @example
 * ```ts
 * const [create, view] = parseSql(`
 *   CREATE SOURCE s (id int, v double) WITH (connector = 'nats', server_url = 'localhost:4222',
 *     subject = 'events', stream = 'EVENTS', connect_mode = 'plain') FORMAT PLAIN ENCODE JSON;
 *   CREATE MATERIALIZED VIEW totals AS SELECT id, sum(v) AS total FROM s GROUP BY id;`);
 * ```
 */
export function parseSql(text: string): ParsedStatement[] {
  const src = new SourceText(text);
  try {
    const cur = new Cursor(src, tokenize(src));
    const statements: ParsedStatement[] = [];
    for (;;) {
      while (cur.takeSymbol(";")) {}
      if (cur.peek().kind === "eof") return statements;
      statements.push(parseStatement(cur));
      if (!cur.takeSymbol(";") && cur.peek().kind !== "eof") throw cur.expected("';' after the statement");
    }
  } catch (e) {
    throw asSqlError(src, e, 0);
  }
}

/**
 * The jetflow SQL front end: {@link parseSql} as the pipeline's {@link SqlFrontend} seam.
 *
 * @example
 * ```ts
 * for (const statement of sqlFrontend.parse(text)) {
 *   const planned = statement.plan(catalog); // throws SqlError with line and column
 * }
 * ```
 */
export const sqlFrontend: SqlFrontend = { parse: parseSql };

function parseStatement(cur: Cursor): ParsedStatement {
  const src = cur.src;
  const first = cur.peek();
  const where = src.position(first.start);
  const parsed = (plan: (catalog: Catalog) => Statement): ParsedStatement => ({
    line: where.line,
    column: where.column,
    plan: (catalog) => {
      try {
        return plan(catalog);
      } catch (e) {
        throw asSqlError(src, e, first.start);
      }
    },
  });

  if (cur.takeKeyword("create")) {
    if (cur.takeKeyword("table")) {
      const draft = parseCreateIngest(cur, "table");
      return parsed((catalog) => planIngest(src, draft, catalog));
    }
    if (cur.takeKeyword("source")) {
      const draft = parseCreateIngest(cur, "source");
      return parsed((catalog) => planIngest(src, draft, catalog));
    }
    if (cur.takeKeywords("materialized", "view")) {
      const view = parseCreateView(cur);
      return parsed((catalog) => {
        if (!view.ifNotExists && catalog.columnsOf(view.name) !== undefined) {
          throw src.error(ErrorCode.SqlName, view.nameToken.start, `relation "${view.name}" already exists`);
        }
        return {
          kind: "create_view",
          name: view.name,
          ifNotExists: view.ifNotExists,
          query: planSelect(view.select, catalog),
        };
      });
    }
    if (cur.takeKeyword("sink")) {
      const draft = parseCreateSink(cur);
      return parsed((catalog) => planSink(src, draft, catalog));
    }
    const what = cur.peek();
    if (what.kind === "ident" && ["view", "index", "function", "connection", "schema"].includes(what.value)) {
      const hint = what.value === "view" ? " (jetflow keeps materialized views: CREATE MATERIALIZED VIEW)" : "";
      throw cur.error(ErrorCode.SqlUnsupported, what, `CREATE ${what.value.toUpperCase()} is not supported${hint}`);
    }
    throw cur.expected("TABLE, SOURCE, MATERIALIZED VIEW or SINK after CREATE");
  }
  if (cur.takeKeyword("drop")) {
    const drop = parseDrop(cur);
    return parsed((catalog) => {
      const exists = drop.what === "sink" ? catalog.hasSink?.(drop.name) : catalog.columnsOf(drop.name) !== undefined;
      if (!drop.ifExists && exists !== true) {
        const what = drop.what === "sink" ? "sink" : "relation";
        throw src.error(ErrorCode.SqlName, drop.nameToken.start, `${what} "${drop.name}" does not exist`);
      }
      return { kind: "drop", what: drop.what, name: drop.name, ifExists: drop.ifExists };
    });
  }
  if (first.kind === "ident") {
    throw cur.error(
      ErrorCode.SqlUnsupported,
      first,
      `${first.value.toUpperCase()} statements are not supported (jetflow runs CREATE TABLE, CREATE SOURCE, CREATE MATERIALIZED VIEW and DROP)`,
    );
  }
  throw cur.expected("a statement (CREATE or DROP)");
}

interface ViewDraft {
  readonly name: string;
  readonly nameToken: Token;
  readonly ifNotExists: boolean;
  readonly select: SelectSource;
}

/** `[IF NOT EXISTS] name AS <select>`: the SELECT runs to the next `;` and goes to the PostgreSQL parser. */
function parseCreateView(cur: Cursor): ViewDraft {
  const ifNotExists = cur.takeKeywords("if", "not", "exists");
  const { name, token: nameToken } = cur.name("a view name");
  if (cur.isSymbol("(")) {
    throw cur.error(
      ErrorCode.SqlUnsupported,
      cur.peek(),
      "a column list on a materialized view is not supported; name the columns with AS in the SELECT",
    );
  }
  if (cur.isKeyword("with")) {
    throw cur.error(
      ErrorCode.SqlUnsupported,
      cur.peek(),
      "WITH (...) options on a materialized view are not supported",
    );
  }
  cur.expectKeyword("as", `after the view name "${name}"`);
  const first = cur.peek();
  if (first.kind === "eof" || cur.isSymbol(";")) throw cur.expected("a SELECT query after AS");
  let last = first;
  while (cur.peek().kind !== "eof" && !cur.isSymbol(";")) last = cur.next();
  return { name, nameToken, ifNotExists, select: parseSelect(cur.src, first.start, last.end) };
}

interface DropDraft {
  readonly what: "table" | "source" | "view" | "sink";
  readonly name: string;
  readonly nameToken: Token;
  readonly ifExists: boolean;
}

/** `{TABLE | SOURCE | MATERIALIZED VIEW} [IF EXISTS] name`. */
function parseDrop(cur: Cursor): DropDraft {
  let what: DropDraft["what"];
  if (cur.takeKeyword("table")) what = "table";
  else if (cur.takeKeyword("source")) what = "source";
  else if (cur.takeKeywords("materialized", "view")) what = "view";
  else if (cur.takeKeyword("sink")) what = "sink";
  else if (cur.isKeyword("view")) {
    throw cur.error(
      ErrorCode.SqlUnsupported,
      cur.peek(),
      "DROP VIEW is not supported (views are materialized: DROP MATERIALIZED VIEW)",
    );
  } else throw cur.expected("TABLE, SOURCE, MATERIALIZED VIEW or SINK after DROP");
  const ifExists = cur.takeKeywords("if", "exists");
  const { name, token: nameToken } = cur.name(`a ${what === "view" ? "view" : what} name`);
  if (cur.isKeyword("cascade") || cur.isKeyword("restrict")) {
    const t = cur.peek();
    throw cur.error(ErrorCode.SqlUnsupported, t, `DROP ... ${t.value.toUpperCase()} is not supported`);
  }
  return { what, name, nameToken, ifExists };
}

/**
 * Everything thrown while parsing or planning leaves as a SqlError: a stray internal error
 * (a bug, or an input the PostgreSQL parser chokes on) is wrapped at the statement's position
 * rather than escaping as something callers cannot place.
 */
function asSqlError(src: SourceText, e: unknown, offset: number): SqlError {
  if (e instanceof SqlError) return e;
  const reason = e instanceof RangeError ? "the statement is nested too deeply" : `internal error: ${String(e)}`;
  return src.error(ErrorCode.SqlUnsupported, offset, reason, e);
}

import { ErrorCode } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { SqlError } from "./errors.js";
import { parseSql, sqlFrontend } from "./parse-sql.js";
import { catalogOf, planOne, positionOf, sqlErrorOf } from "./testing.js";

const NATS = `connector = 'nats', server_url = 'localhost:4222', subject = 'e', stream = 'E', connect_mode = 'plain'`;

describe("a SQL file", () => {
  const file = `-- a pipeline
/* block comments /* nest */ too */
CREATE SOURCE events (id int, kind varchar, ts timestamptz) WITH (${NATS}) FORMAT PLAIN ENCODE JSON;;

CREATE MATERIALIZED VIEW by_kind AS
  SELECT kind, count(*) AS n -- per kind; the ';' in this comment is not an end
  FROM events WHERE kind <> ';' GROUP BY kind;
  DROP MATERIALIZED VIEW IF EXISTS by_kind;
DROP SOURCE events`;

  it("holds several statements, each with its line and column, planned one at a time", () => {
    const statements = parseSql(file);
    expect(statements.map((s) => [s.line, s.column])).toEqual([
      [3, 1],
      [5, 1],
      [8, 3],
      [9, 1],
    ]);
    const relations: Record<string, readonly string[]> = {};
    const planned = statements.map((s) => {
      const statement = s.plan(catalogOf(relations));
      if (statement.kind === "create_source")
        relations[statement.name] = ["id integer", "kind varchar", "ts timestamptz"];
      return statement;
    });
    expect(planned.map((s) => s.kind)).toEqual(["create_source", "create_view", "drop", "drop"]);
    expect(planned[1]).toEqual({
      kind: "create_view",
      name: "by_kind",
      ifNotExists: false,
      query: {
        kind: "aggregate",
        input: {
          kind: "filter",
          input: { kind: "scan", relation: "events" },
          predicate: {
            kind: "call",
            fn: "<>",
            args: [
              { kind: "column", name: "kind" },
              { kind: "literal", value: ";", type: undefined },
            ],
          },
        },
        groupBy: [{ name: "kind", expr: { kind: "column", name: "kind" } }],
        aggregates: [{ name: "n", fn: "count", arg: undefined, distinct: false }],
      },
    });
    expect(planned[2]).toEqual({ kind: "drop", what: "view", name: "by_kind", ifExists: true });
    expect(planned[3]).toEqual({ kind: "drop", what: "source", name: "events", ifExists: false });
  });

  it("is checked whole before anything is planned: a late syntax error fails the parse", () => {
    const sql = `${file};\nCREATE TABLE broken (a int`;
    const e = sqlErrorOf(() => parseSql(sql));
    expect(e.message).toBe(
      `${positionOf(`${sql}\u0000`, "\u0000")}: expected ')' or ',' after column definition, found end of input`,
    );
    expect([e.line, e.column, e.detail]).toEqual([
      10,
      27,
      "expected ')' or ',' after column definition, found end of input",
    ]);
  });

  it("may be empty, or only comments and semicolons", () => {
    expect(parseSql("")).toEqual([]);
    expect(parseSql(" -- nothing\n ; ; /* here */")).toEqual([]);
  });

  it("is what sqlFrontend.parse reads", () => {
    expect(sqlFrontend.parse("DROP TABLE t")[0]?.plan(catalogOf({ t: ["a integer"] }))).toEqual({
      kind: "drop",
      what: "table",
      name: "t",
      ifExists: false,
    });
  });

  it("reports a SELECT syntax error at PostgreSQL's position, in file coordinates (multi-byte text before it)", () => {
    const sql = `CREATE SOURCE s (a int) WITH (${NATS}) FORMAT PLAIN ENCODE JSON;
CREATE MATERIALIZED VIEW v AS SELECT 'héllo 😀' AS x,
  a +
  FROM s;`;
    const e = sqlErrorOf(() => parseSql(sql));
    expect([e.code, e.message]).toEqual([
      ErrorCode.SqlSyntax,
      `${positionOf(sql, "FROM")}: syntax error at or near "FROM"`,
    ]);
    const end = sqlErrorOf(() => parseSql("CREATE MATERIALIZED VIEW v AS SELECT a FROM s WHERE"));
    expect(end.message).toBe("line 1, column 52: syntax error at end of input");
  });

  it("reports a plan error in a view at the offending name, after multi-byte text", () => {
    const sql = "CREATE MATERIALIZED VIEW v AS SELECT 'ünïcødé 😀' AS x, nope FROM s";
    const e = sqlErrorOf(() => planOne(sql, catalogOf({ s: ["a integer"] })));
    expect([e.code, e.message]).toEqual([
      ErrorCode.SqlName,
      `${positionOf(sql, "nope")}: column "nope" does not exist (columns: a)`,
    ]);
  });
});

describe("statement errors", () => {
  const S = ErrorCode.SqlSyntax;
  const U = ErrorCode.SqlUnsupported;
  const N = ErrorCode.SqlName;
  const catalog = catalogOf({ t: ["a integer"] });
  it.each([
    [
      "SELECT 1",
      U,
      "SELECT",
      "SELECT statements are not supported (jetflow runs CREATE TABLE, CREATE SOURCE, CREATE MATERIALIZED VIEW and DROP)",
    ],
    [
      "INSERT INTO t VALUES (1)",
      U,
      "INSERT",
      "INSERT statements are not supported (jetflow runs CREATE TABLE, CREATE SOURCE, CREATE MATERIALIZED VIEW and DROP)",
    ],
    ["(SELECT 1)", S, "(", "expected a statement (CREATE or DROP), found '('"],
    [
      "CREATE VIEW v AS SELECT 1",
      U,
      "VIEW",
      "CREATE VIEW is not supported (jetflow keeps materialized views: CREATE MATERIALIZED VIEW)",
    ],
    ["CREATE SINK k", S, "", 'expected FROM relation or AS SELECT after the sink name "k", found end of input'],
    [
      "CREATE MATERIALIZED v AS SELECT a FROM t",
      S,
      "MATERIALIZED",
      "expected TABLE, SOURCE, MATERIALIZED VIEW or SINK after CREATE, found 'MATERIALIZED'",
    ],
    [
      "CREATE MATERIALIZED VIEW v SELECT a FROM t",
      S,
      "SELECT",
      "expected AS after the view name \"v\", found 'SELECT'",
    ],
    ["CREATE MATERIALIZED VIEW v AS", S, "", "expected a SELECT query after AS, found end of input"],
    ["CREATE MATERIALIZED VIEW v AS ;", S, ";", "expected a SELECT query after AS, found ';'"],
    [
      "CREATE MATERIALIZED VIEW v (x) AS SELECT a FROM t",
      U,
      "(",
      "a column list on a materialized view is not supported; name the columns with AS in the SELECT",
    ],
    [
      "CREATE MATERIALIZED VIEW v WITH (a = 1) AS SELECT a FROM t",
      U,
      "WITH",
      "WITH (...) options on a materialized view are not supported",
    ],
    [
      "CREATE MATERIALIZED VIEW v AS INSERT INTO t VALUES (1)",
      U,
      "INSERT",
      "a materialized view is defined by a SELECT, not INSERT",
    ],
    ["CREATE MATERIALIZED VIEW t AS SELECT a FROM t", N, "t AS", 'relation "t" already exists'],
    ["DROP", S, "", "expected TABLE, SOURCE, MATERIALIZED VIEW or SINK after DROP, found end of input"],
    ["DROP VIEW t", U, "VIEW", "DROP VIEW is not supported (views are materialized: DROP MATERIALIZED VIEW)"],
    ["DROP TABLE t CASCADE", U, "CASCADE", "DROP ... CASCADE is not supported"],
    ["DROP TABLE t, u", S, ",", "expected ';' after the statement, found ','"],
    ["DROP TABLE nope", N, "nope", 'relation "nope" does not exist'],
    ["DROP MATERIALIZED VIEW", S, "", "expected a view name, found end of input"],
  ])("%s", (sql, code, at, detail) => {
    const e = sqlErrorOf(() => planOne(sql, catalog));
    const where = at === "" ? positionOf(`${sql}\u0000`, "\u0000") : positionOf(sql, at);
    expect({ code: e.code, message: e.message }).toEqual({ code, message: `${where}: ${detail}` });
  });

  it("plans DROP IF EXISTS of a missing relation (the pipeline skips it)", () => {
    expect(planOne("DROP TABLE IF EXISTS nope")).toEqual({ kind: "drop", what: "table", name: "nope", ifExists: true });
  });

  it("raises SqlError, a JetflowError with code, line, column and detail", () => {
    const e = sqlErrorOf(() => parseSql("\n\n   DROP"));
    expect(e).toBeInstanceOf(SqlError);
    expect(e.name).toBe("SqlError");
    expect([e.code, e.line, e.column]).toEqual([ErrorCode.SqlSyntax, 3, 8]);
  });
});

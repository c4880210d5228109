import { ErrorCode } from "@jetflow/core";
import type { SqlFrontend } from "@jetflow/pipeline";
import { describe, expect, it } from "vitest";
import { SqlError } from "./errors.js";
import { sqlPipeline } from "./pipeline.js";

describe("sqlPipeline()", () => {
  it("plugs in the SQL front end, so .sql() reads DDL (and reports its errors)", () => {
    expect(() => sqlPipeline().sql("CREATE TABLE t (a int")).toThrow(SqlError);
    expect(() => sqlPipeline().sql("CREATE TABLE t (a int")).toThrow(
      "line 1, column 22: expected ')' or ',' after column definition, found end of input",
    );
  });

  it("keeps a front end passed explicitly", () => {
    const seen: string[] = [];
    const frontend: SqlFrontend = {
      parse: (text) => {
        seen.push(text);
        return [];
      },
    };
    sqlPipeline({ sql: frontend }).sql("anything");
    expect(seen).toEqual(["anything"]);
  });

  it("refuses FOR SYSTEM_TIME AS OF PROCTIME() over a source at start(), before connecting, at the relation", async () => {
    // Port 1: nothing listens there, so the error can only come from planning.
    const w = (s: string) =>
      `WITH (connector = 'nats', server_url = 'nats://127.0.0.1:1', subject = '${s}', stream = 'x', connect_mode = 'plain') FORMAT PLAIN ENCODE JSON`;
    const p = sqlPipeline({ checkpointIntervalMs: 0 }).sql(
      [
        `CREATE SOURCE orders (id integer, user_id integer) ${w("o")};`,
        `CREATE SOURCE users (user_id integer, name varchar) ${w("u")};`,
        "CREATE MATERIALIZED VIEW v AS SELECT o.id, u.name",
        "  FROM orders o JOIN users FOR SYSTEM_TIME AS OF PROCTIME() u ON o.user_id = u.user_id;",
      ].join("\n"),
    );
    const e = await p.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SqlError);
    expect({ code: (e as SqlError).code, line: (e as SqlError).line, column: (e as SqlError).column }).toEqual({
      code: ErrorCode.SqlUnsupported,
      line: 4,
      column: 22, // "users"
    });
    expect((e as SqlError).detail).toMatch(/^FOR SYSTEM_TIME AS OF PROCTIME\(\) on source "users" is not supported/);
  });
});

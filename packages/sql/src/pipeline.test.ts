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
});

import type { SqlFrontend } from "@jetflow/pipeline";
import { describe, expect, it } from "vitest";
import { SqlError } from "./errors.js";
import { pipeline } from "./pipeline.js";

describe("pipeline()", () => {
  it("plugs in the SQL front end, so .sql() reads DDL (and reports its errors)", () => {
    expect(() => pipeline().sql("CREATE TABLE t (a int")).toThrow(SqlError);
    expect(() => pipeline().sql("CREATE TABLE t (a int")).toThrow(
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
    pipeline({ sql: frontend }).sql("anything");
    expect(seen).toEqual(["anything"]);
  });
});

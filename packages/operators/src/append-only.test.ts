import { describe, expect, it } from "vitest";
import { appendOnly } from "./append-only.js";
import { changeFrom, schemaFrom } from "./test-support.js";

const schema = schemaFrom({ id: "integer", name: "varchar", amount: "double precision", ts: "timestamptz" });

describe("appendOnly", () => {
  it("passes batches through", () => {
    const c = changeFrom(schema, [{ id: 1 }]);
    expect(appendOnly(schema).process(c)).toBe(c);
  });
});

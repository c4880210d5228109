import { sqlTypeOfField } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { decodeChange, encodeChange } from "./exchange-codec.js";
import { ALL_TYPES, allTypesChange } from "./testing/all-types.js";
import { changeRows, decodedChange } from "./testing/decoded-change.js";

describe("exchange messages", () => {
  it("round-trip every SQL type, NULLs and both ops, fields and SQL types as they were", async () => {
    const change = await allTypesChange(0, 40);
    const types = change.batch.schema.fields.map((f) => sqlTypeOfField(f));
    const [bytes, ...more] = encodeChange(change, types, 1_000_000);
    expect(more).toEqual([]);
    const back = decodeChange(bytes!);
    expect(back.batch.schema.fields.map((f) => [f.name, f.nullable, sqlTypeOfField(f)])).toEqual(
      change.batch.schema.fields.map((f) => [f.name, f.nullable, sqlTypeOfField(f)]),
    );
    expect(Object.keys(ALL_TYPES).length).toBe(types.length);
    const rows = changeRows(back);
    expect(rows).toEqual(changeRows(change));
    expect(rows.filter((r) => r[0] === -1).length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.includes("null")).length).toBeGreaterThan(0);
  });

  it("carries a change without ops as inserts", async () => {
    const change = await decodedChange({ a: "integer" }, [{ a: 1 }, { a: null }]);
    const back = decodeChange(encodeChange(change, [{ kind: "integer" }], 1_000_000)[0]!);
    expect([...back.ops!]).toEqual([1, 1]);
    expect(changeRows(back)).toEqual([
      [1, "1"],
      [1, "null"],
    ]);
  });

  it("splits a change into messages of at most maxBytes, rows in order", async () => {
    const change = await allTypesChange(0, 300);
    const types = change.batch.schema.fields.map((f) => sqlTypeOfField(f));
    const messages = encodeChange(change, types, 8_000);
    expect(messages.length).toBeGreaterThan(3);
    for (const m of messages) expect(m.length).toBeLessThanOrEqual(8_000);
    expect(messages.flatMap((m) => changeRows(decodeChange(m)))).toEqual(changeRows(change));
  });

  it("refuses bytes that are not an exchange message", async () => {
    const change = await decodedChange({ a: "integer" }, [{ a: 1 }]);
    const { RecordBatchStreamWriter } = await import("apache-arrow");
    const plain = RecordBatchStreamWriter.writeAll([change.batch]).toUint8Array(true);
    expect(() => decodeChange(plain)).toThrow(/not an exchange message/);
  });
});

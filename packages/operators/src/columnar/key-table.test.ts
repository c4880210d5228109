import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeyTable } from "./key-table.js";

describe("KeyTable", () => {
  it("gives each row the first row with its key, skipping excluded rows, batch after batch", () => {
    const table = new KeyTable();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("", "a", "b", "1,", "2,", "é", "ab", "ba"), fc.boolean()), { maxLength: 80 }),
        (rows) => {
          const keys = rows.map(([k]) => k);
          const skip = Uint8Array.from(rows.map(([, s]) => (s ? 1 : 0)));
          const seen = new Map<string, number>();
          const expected = keys.map((k, i) => {
            if (skip[i] === 1) return -1;
            if (!seen.has(k)) seen.set(k, i);
            return seen.get(k) as number;
          });
          expect([...table.firsts(keys, keys.length, skip).subarray(0, keys.length)]).toEqual(expected);
          const all = keys.map((k) => keys.indexOf(k));
          expect([...table.firsts(keys, keys.length).subarray(0, keys.length)]).toEqual(all);
        },
      ),
    );
  });

  it("handles many distinct keys (the table grows)", () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => `${i % 20_000},`);
    const first = new KeyTable().firsts(keys, keys.length);
    for (let i = 0; i < keys.length; i++) expect(first[i]).toBe(i % 20_000);
  });

  it("groups a column of strings by value, NULLs as one group, the same as by key text", () => {
    const table = new KeyTable();
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.constantFrom("", "a", "b", "é", "ab", "ba", "a".repeat(20)), { nil: null }), {
          maxLength: 80,
        }),
        (values) => {
          const n = values.length;
          const strings = values.map((v) => v ?? "");
          const valid = Uint8Array.from(values.map((v) => (v === null ? 0 : 1)));
          const keys = values.map((v) => (v === null ? "~" : `${v.length}:${v}`));
          const expected = [...table.firsts(keys, n).subarray(0, n)];
          expect([...table.firstsOfStrings(strings, valid, n).subarray(0, n)]).toEqual(expected);
        },
      ),
    );
  });
});

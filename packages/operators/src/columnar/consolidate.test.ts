import { RETRACT } from "@jetflow/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sqlTypesOf } from "../expr/compile.js";
import { changeFrom, rowsOf, rowText, schemaFrom } from "../test-support.js";
import { consolidate } from "./consolidate.js";

const schema = schemaFrom({ k: "varchar", v: "numeric", n: "bigint" });
const types = sqlTypesOf(schema);

/** The net weight of each distinct row of a change (rows whose weight nets to 0 left out). */
function netOf(change: Parameters<typeof rowsOf>[0]): Map<string, number> {
  const net = new Map<string, number>();
  for (const { _op, ...row } of rowsOf(change)) {
    const k = rowText(row);
    const w = (net.get(k) ?? 0) + (_op as number);
    if (w === 0) net.delete(k);
    else net.set(k, w);
  }
  return net;
}

describe("consolidate", () => {
  it("nets equal rows out: the same weights per row, each row with one op, retractions first when any cancelled", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            k: fc.constantFrom("a", "b", null),
            // 1.0 and 1.00 are different rows (row identity keeps numeric text)
            v: fc.constantFrom("1.0", "1.00", "2"),
            n: fc.constantFrom(1n, 2n),
            op: fc.constantFrom(1, RETRACT),
          }),
          { maxLength: 60 },
        ),
        (rows) => {
          const change = changeFrom(
            schema,
            rows.map(({ op: _op, ...r }) => r),
            rows.map((r) => r.op),
          );
          const out = consolidate(change, schema, types);
          expect(netOf(out)).toEqual(netOf(change));
          const ops = new Map<string, Set<unknown>>();
          let insertSeen = false;
          for (const { _op, ...row } of rowsOf(out)) {
            const k = rowText(row);
            ops.set(k, (ops.get(k) ?? new Set()).add(_op));
            if (_op === 1) insertSeen = true;
            else if (out !== change) expect(insertSeen, "retractions come before inserts").toBe(false);
          }
          for (const set of ops.values()) expect(set.size).toBe(1);
        },
      ),
    );
  });

  it("passes a change without retractions, or with nothing to cancel, through as it is", () => {
    const inserts = changeFrom(schema, [{ k: "a", v: "1", n: 1n }]);
    expect(consolidate(inserts, schema, types)).toBe(inserts);
    const nothing = changeFrom(
      schema,
      [
        { k: "a", v: "1", n: 1n },
        { k: "b", v: "1", n: 1n },
      ],
      [RETRACT, 1],
    );
    expect(consolidate(nothing, schema, types)).toBe(nothing);
  });

  it("keeps a group's first old row and last new row of an epoch", () => {
    const change = changeFrom(
      schema,
      [
        { k: "a", v: "1", n: 1n },
        { k: "a", v: "2", n: 2n },
        { k: "a", v: "2", n: 2n },
        { k: "a", v: "3", n: 3n },
      ],
      [RETRACT, 1, RETRACT, 1],
    );
    expect(rowsOf(consolidate(change, schema, types))).toEqual([
      { _op: RETRACT, k: "a", v: "1", n: 1n },
      { _op: 1, k: "a", v: "3", n: 3n },
    ]);
  });
});

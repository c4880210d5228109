import { RETRACT, type SqlType, schemaOf } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { changeFrom, rowsOf } from "../test-support.js";
import { type Col, fromArrow } from "./col.js";
import { ColumnsChange, columnAsIs, columnOf, madeCol, rowsIn } from "./columns-change.js";

const t = (kind: string) => ({ kind }) as SqlType;
const schema = schemaOf([
  { name: "region", type: t("varchar") },
  { name: "amount", type: t("double precision") },
  { name: "unread", type: t("bigint") },
]);
const types = [t("varchar"), t("double precision"), t("bigint")];

describe("ColumnsChange", () => {
  const regions: Col = { type: t("varchar"), length: 3, values: ["eu", "", "us"], valid: Uint8Array.from([1, 0, 1]) };
  const source = changeFrom(schema, [
    { region: "x", amount: 1.5, unread: 1n },
    { region: "y", amount: 2.5, unread: 2n },
    { region: "z", amount: null, unread: 3n },
  ]);
  const amounts = source.batch.data.children[1];

  it("hands its columns on as made and builds the Arrow batch (unread columns NULL) only when asked", () => {
    const ops = Int8Array.from([1, RETRACT, 1]);
    const change = new ColumnsChange(schema, types, [regions, amounts, undefined], 3, ops);
    expect(rowsIn(change)).toBe(3);
    expect(columnOf(change, 0, t("varchar"))).toBe(regions);
    expect(madeCol(change, 0)).toBe(regions);
    expect(madeCol(change, 1)).toBeUndefined(); // Arrow, passed through
    expect(madeCol(change, 2)).toBeUndefined(); // not read
    expect(columnAsIs(change, 1)).toBe(amounts);
    expect(columnOf(change, 1, t("double precision")).valid).toEqual(Uint8Array.from([1, 1, 0]));
    expect(columnOf(change, 2, t("bigint")).valid).toEqual(Uint8Array.from([0, 0, 0]));
    expect(rowsOf(change)).toEqual([
      { region: "eu", amount: 1.5, unread: null, _op: 1 },
      { region: null, amount: 2.5, unread: null, _op: RETRACT },
      { region: "us", amount: null, unread: null, _op: 1 },
    ]);
    expect(change.batch).toBe(change.batch);
  });

  it("reads an Arrow change's columns the same way", () => {
    expect(rowsIn(source)).toBe(3);
    expect(columnAsIs(source, 1)).toBe(amounts);
    expect(madeCol(source, 0)).toBeUndefined();
    expect(columnOf(source, 0, t("varchar")).values).toEqual(
      fromArrow(source.batch.data.children[0] as never, t("varchar")).values,
    );
  });
});

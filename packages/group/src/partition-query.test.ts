import { describe, expect, it } from "vitest";
import { decodeQuery, decodeReply, encodeQuery, partitionQuerySubject } from "./partition-query.js";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("the partition query protocol", () => {
  it("names one subject per group and partition", () => {
    expect(partitionQuerySubject("orders", 3)).toBe("jf.q.orders.3");
    expect(() => partitionQuerySubject("a.b", 0)).toThrow(
      'group name "a.b" may only hold letters, digits, "-" and "_"',
    );
    expect(() => partitionQuerySubject("orders", -1)).toThrow("partition must be a whole number >= 0, got -1");
  });

  it("carries a relation and its column equalities as JSON, both ways", () => {
    const q = { relation: "by_region", equal: { region: "eu", n: 5, none: null } };
    expect(decodeQuery(bytes(encodeQuery(q)))).toEqual(q);
    expect(decodeQuery(bytes('{"relation":"t"}'))).toEqual({ relation: "t" });
  });

  it.each([
    ["not json", "a partition query is a JSON object, and this is not JSON"],
    ["[1]", 'a partition query is a JSON object {"relation": NAME, "equal"?: {COLUMN: VALUE}}'],
    ['{"equal":{}}', "a partition query names its relation: relation must be a non-empty string"],
    ['{"relation":""}', "a partition query names its relation: relation must be a non-empty string"],
    ['{"relation":"t","equal":[1]}', "equal must be an object of column equalities, {COLUMN: VALUE}"],
  ])("refuses the request %s", (text, message) => {
    expect(() => decodeQuery(bytes(text))).toThrow(new TypeError(message));
  });

  it("reads a reply: rows, or an error with its code", () => {
    const rows = { columns: ["region", "orders"], rows: [["eu", 3]] };
    expect(decodeReply(bytes(JSON.stringify({ ok: true, rows })))).toEqual({ ok: true, rows });
    expect(decodeReply(bytes('{"ok":false,"error":"no"}'))).toEqual({ ok: false, error: "no" });
    expect(decodeReply(bytes('{"ok":false,"error":"no","code":"UNKNOWN_RELATION"}'))).toEqual({
      ok: false,
      error: "no",
      code: "UNKNOWN_RELATION",
    });
    expect(() => decodeReply(bytes('{"ok":true}'))).toThrow(TypeError);
    expect(() => decodeReply(bytes("<html>"))).toThrow("a partition query reply is JSON, and this is not");
  });
});

import { describe, expect, it } from "vitest";
import { LastPerKey } from "./last-per-key.js";
import { change, columns } from "./test-support.js";

describe("LastPerKey", () => {
  it("keeps the last change per key, in the order of the last writes, across batches, and empties", () => {
    const cols = columns({ id: "integer" });
    const first = change(cols, [[1], [2], [3]]).batch.data.children;
    const second = change(cols, [[4]]).batch.data.children;
    const last = new LastPerKey();
    last.batch(first);
    last.set("a", 0, false);
    last.set("b", 1, false);
    last.set("a", 2, true);
    last.batch(second);
    last.set("b", 0, false);
    expect(last.size).toBe(2);
    const seen: [unknown, number, boolean][] = [];
    last.drain((datas, row, retract) => seen.push([datas === first ? "first" : "second", row, retract]));
    expect(seen).toEqual([
      ["first", 2, true],
      ["second", 0, false],
    ]);
    expect(last.size).toBe(0);
    last.drain(() => expect.unreachable());
  });
});

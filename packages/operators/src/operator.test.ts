import { type ChangeBatch, RETRACT } from "@jetflow/core";
import { Subject } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import { call, col, lit } from "./expr/expr.js";
import { filter } from "./filter.js";
import { groupAggregate } from "./group-aggregate.js";
import { MaterializedView } from "./materialized-view.js";
import { asOperatorFunction } from "./operator.js";
import { changeFrom, rowsOf, schemaFrom } from "./test-support.js";
import { tumble } from "./tumble.js";
import { upsert } from "./upsert.js";

const schema = schemaFrom({ id: "integer", v: "integer", ts: "timestamptz" });

describe("asOperatorFunction", () => {
  it("emits one batch per input batch with output, skips empty results, passes completion", () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const a = changeFrom(schema, [{ id: 1, v: 5 }]);
      const b = changeFrom(schema, [{ id: 2, v: 50 }]);
      const source = cold("-a-b-|", { a, b });
      const out = source.pipe(asOperatorFunction(filter(schema, call(">", col("v"), lit(10)))));
      expectObservable(out).toBe("---b-|", { b });
    });
  });

  it("emits a global aggregate's initial row on subscribe, before any input", () => {
    const op = groupAggregate(schema, [], [{ name: "n", fn: "count", arg: undefined, distinct: false }], { id: "g" });
    const input = new Subject<ChangeBatch>();
    const values: unknown[] = [];
    input.pipe(asOperatorFunction(op)).subscribe((c) => values.push(rowsOf(c).map((r) => [r._op, r.n])));
    expect(values).toEqual([[[1, 0n]]]);
    input.next(changeFrom(schema, [{ id: 1 }]));
    expect(values).toEqual([
      [[1, 0n]],
      [
        [-1, 0n],
        [1, 1n],
      ],
    ]);
  });

  it("forwards an operator's exception as an error notification", () => {
    const input = new Subject<ChangeBatch>();
    const errors: unknown[] = [];
    const broken = {
      schema,
      stores: [],
      process: () => {
        throw new Error("boom");
      },
    };
    input.pipe(asOperatorFunction(broken)).subscribe({ error: (e) => errors.push(e) });
    input.next(changeFrom(schema, [{ id: 1 }]));
    expect(String(errors[0])).toMatch(/boom/);
  });

  it("chains table -> filter -> tumble -> aggregate -> view, and a view feeds another view", () => {
    const input = new Subject<ChangeBatch>();
    const table = upsert(schema, ["id"], { id: "t" });
    const positive = filter(schema, call(">", col("v"), lit(0)));
    const windows = tumble(schema, "ts", 10);
    const agg = groupAggregate(
      windows.schema,
      [{ name: "window_start", expr: col("window_start") }],
      [
        { name: "n", fn: "count", arg: undefined, distinct: false },
        { name: "total", fn: "sum", arg: col("v"), distinct: false },
      ],
      { id: "agg" },
    );
    const view = new MaterializedView("per_window", agg.schema, { id: "view" });
    input
      .pipe(
        asOperatorFunction(table),
        asOperatorFunction(positive),
        asOperatorFunction(windows),
        asOperatorFunction(agg),
      )
      .subscribe((c) => view.apply(c));
    const big = groupAggregate(view.schema, [], [{ name: "m", fn: "max", arg: col("total"), distinct: false }], {
      id: "m",
    });
    const second = new MaterializedView("max_total", big.schema, { id: "view2" });
    view.stream$.pipe(asOperatorFunction(big)).subscribe((c) => second.apply(c));

    input.next(
      changeFrom(schema, [
        { id: 1, v: 5, ts: 1n },
        { id: 2, v: 7, ts: 12n },
        { id: 3, v: -1, ts: 3n },
      ]),
    );
    input.next(
      changeFrom(schema, [
        { id: 1, v: 6, ts: 1n },
        { id: 3, v: 4, ts: 15n },
      ]),
    );
    expect(view.rows().sort((x, y) => (String(x.window_start) < String(y.window_start) ? -1 : 1))).toEqual([
      { window_start: "1970-01-01T00:00:00.000000Z", n: 1n, total: 6n },
      { window_start: "1970-01-01T00:00:00.000010Z", n: 2n, total: 11n },
    ]);
    expect(second.rows()).toEqual([{ m: 11n }]);
    input.next(changeFrom(schema, [{ id: 3 }], [RETRACT]));
    expect(second.rows()).toEqual([{ m: 7n }]);
  });
});

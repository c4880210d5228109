import { type ChangeBatch, type ColumnDef, columnsOf } from "@jetflow/core";
import type { ChangeFeed, FeedChange } from "@jetflow/pipeline";
import { describe, expect, it, vi } from "vitest";
import { exchangeFeed } from "./exchange-feed.js";
import { ExchangeSink } from "./exchange-sink.js";
import { allTypesChange } from "./testing/all-types.js";
import { changeRows } from "./testing/decoded-change.js";
import { useServer } from "./testing/server-fixture.js";

const fx = useServer();
let attempt = 0;
const fresh = () => `xf${++attempt}`;
const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();

/**
 * Writes each change as an epoch of its own through an ExchangeSink with one target partition
 * (so each epoch is one message on partition 0 of edge `e`).
 */
async function writeEpochs(group: string, changes: readonly ChangeBatch[]): Promise<void> {
  const sink = new ExchangeSink(fx.js, { group, edge: "e", partition: 0, partitions: 1, key: [] });
  sink.restored();
  sink.bind({
    name: "all",
    columns: columnsOf((changes[0] as ChangeBatch).batch.schema),
    key: undefined,
    appendOnly: false,
  });
  await sink.open();
  for (const c of changes) {
    sink.onChange(c);
    sink.seal();
  }
  sink.committed();
  await sink.drained();
  await sink.close();
}

/** What a feed delivers, as the pipeline would see it: each change with `lag()` while applying it. */
function collect(feed: ChangeFeed) {
  const got: (FeedChange & { lag: number })[] = [];
  let failed: unknown;
  const sub = feed.changes$.subscribe({
    next: (c) => got.push({ ...c, lag: feed.lag() }),
    error: (e) => (failed = e),
  });
  const until = (n: number) =>
    vi.waitFor(
      () => {
        if (failed !== undefined) throw failed;
        if (got.length < n) throw new Error(`${got.length} of ${n} changes`);
      },
      { timeout: 15_000, interval: 20 },
    );
  return { got, until, failed: () => failed, sub };
}

const specOf = (group: string, columns: readonly ColumnDef[]) =>
  exchangeFeed(fx.js, { group, edge: "e", partition: 0, kind: "view", columns, key: ["id"] });

describe("exchangeFeed", () => {
  it("delivers each message as a change with its sequence as offset, and reopens after an offset", async () => {
    const group = fresh();
    const changes = [await allTypesChange(0, 20), await allTypesChange(20, 20), await allTypesChange(40, 20)];
    await writeEpochs(group, changes);
    const columns = columnsOf((changes[0] as ChangeBatch).batch.schema);
    const spec = specOf(group, columns);
    expect([spec.kind, spec.columns, spec.key]).toEqual(["view", columns, ["id"]]);

    const feed = await spec.open(undefined);
    const read = collect(feed);
    await read.until(3);
    await feed.caughtUp();
    expect(read.got.map((c) => c.offset)).toEqual([1, 2, 3]);
    expect(read.got.map((c) => c.lag)).toEqual([2, 1, 0]);
    expect(read.got.map((c) => sorted(changeRows(c.change)))).toEqual(changes.map((c) => sorted(changeRows(c))));
    await feed.close();
    expect(feed.lag()).toBe(0);

    const reopened = await spec.open(1);
    const rest = collect(reopened);
    await rest.until(2);
    await reopened.caughtUp();
    await new Promise((r) => setTimeout(r, 200));
    expect(rest.got.map((c) => c.offset)).toEqual([2, 3]);
    await reopened.close();
  });

  it("caughtUp() resolves once the last message there at open was applied, at once when there is none", async () => {
    const group = fresh();
    const empty = await specOf(group, columnsOf((await allTypesChange(0, 1)).batch.schema)).open(undefined);
    await empty.caughtUp(); // the stream was created by open(); nothing to read
    await empty.close();

    const changes = [await allTypesChange(0, 5), await allTypesChange(5, 5)];
    await writeEpochs(group, changes);
    const spec = specOf(group, columnsOf((changes[0] as ChangeBatch).batch.schema));
    const after = await spec.open(2); // opened after the last one
    await after.caughtUp();
    await after.close();

    const feed = await spec.open(undefined);
    const events: string[] = [];
    void feed.caughtUp().then(() => events.push("caught up"));
    await new Promise((r) => setTimeout(r, 200));
    expect(events).toEqual([]); // not subscribed: nothing applied
    const sub = feed.changes$.subscribe((c) => events.push(`applied ${c.offset}`));
    await feed.caughtUp();
    expect(events).toEqual(["applied 1", "applied 2", "caught up"]);
    sub.unsubscribe();
    await feed.close();
  });
});

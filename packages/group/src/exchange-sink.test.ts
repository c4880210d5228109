import { type ChangeBatch, columnsOf, sqlTypeOfField } from "@jetflow/core";
import { describe, expect, it, vi } from "vitest";
import { ExchangeError } from "./errors.js";
import { ExchangeSink, type ExchangeSinkOptions } from "./exchange-sink.js";
import { ensureExchangeStream, exchangeStreamName } from "./exchange-stream.js";
import { partitionOfRow } from "./partition-key.js";
import { allTypesChange, allTypesRow } from "./testing/all-types.js";
import { changeRows } from "./testing/decoded-change.js";
import { readExchange } from "./testing/read-exchange.js";
import { useServer } from "./testing/server-fixture.js";

const N = 3;
const fx = useServer();
let attempt = 0;
const fresh = () => `xs${++attempt}`;

const storedIn = async (group: string) => (await fx.jsm.streams.info(exchangeStreamName(group))).state.messages;
const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();
/** Lets background publishing run: what it would publish too early would land meanwhile. */
const settle = () => new Promise((r) => setTimeout(r, 300));

/** A sink of partition 1 routing by `txt`, bound to the all-types relation, restored from `chunks` (fresh: none). */
async function openSink(
  group: string,
  change: ChangeBatch,
  chunks: Parameters<ExchangeSink["store"]["restore"]>[0] = [],
  options: Partial<ExchangeSinkOptions> = {},
): Promise<ExchangeSink> {
  const sink = new ExchangeSink(fx.js, { group, edge: "e", partition: 1, partitions: N, key: ["txt"], ...options });
  sink.store.restore(chunks);
  sink.restored();
  await sink.resetIfFresh();
  sink.bind({ name: "all", columns: columnsOf(change.batch.schema), key: undefined, appendOnly: false });
  await sink.open();
  return sink;
}

/** Every message on every partition of edge `e`, with its partition. */
async function readEdge(group: string) {
  const parts = await Promise.all(
    Array.from({ length: N }, async (_, q) => {
      const subject = `jf.x.${group}.e.${q}`;
      const info = await fx.jsm.streams.info(exchangeStreamName(group), { subjects_filter: subject });
      const got = await readExchange(
        fx.js,
        { group, edge: "e", partition: q, after: 0 },
        info.state.subjects?.[subject] ?? 0,
      );
      return got.map((c) => ({ ...c, q }));
    }),
  );
  return parts.flat();
}

describe("ExchangeSink", () => {
  it("publishes a sealed epoch only once committed() was called, each row to the partition of its key", async () => {
    const group = fresh();
    const change = await allTypesChange(0, 90);
    const sink = await openSink(group, change);
    sink.onChange({ batch: change.batch.slice(0, 50), ops: change.ops?.subarray(0, 50) });
    sink.onChange({ batch: change.batch.slice(50), ops: change.ops?.subarray(50) });
    expect(sink.pending).toBe(0); // the open epoch is not encoded yet
    sink.seal();
    const messages = sink.pending;
    expect(messages).toBeGreaterThanOrEqual(N);
    await settle();
    expect(await storedIn(group)).toBe(0);
    await sink.drained(); // nothing committed: nothing to wait for
    expect(await storedIn(group)).toBe(0);

    sink.committed();
    await sink.drained();
    expect(sink.pending).toBe(0);
    expect(await storedIn(group)).toBe(messages);
    expect([...sink.store.keys()]).toEqual(["meta"]);

    const read = await readEdge(group);
    const types = change.batch.schema.fields.map((f) => sqlTypeOfField(f));
    for (const { change: c, q, from, epoch } of read) {
      expect([from, epoch]).toEqual([1, 1]);
      for (const row of changeRows(c)) {
        const txt = allTypesRow(Number(row[1]))["txt"];
        expect(partitionOfRow([txt], [types[6]!], N)).toBe(q);
      }
    }
    expect(sorted(read.flatMap((r) => changeRows(r.change)))).toEqual(sorted(changeRows(change)));
    await sink.close();
  });

  it("a new owner restored from the checkpoint publishes its epochs again, stored once, and numbers on", async () => {
    const group = fresh();
    const [one, two, three] = [await allTypesChange(0, 40), await allTypesChange(40, 40), await allTypesChange(80, 40)];
    const first = await openSink(group, one);
    first.onChange(one);
    first.seal();
    first.committed();
    await first.drained();
    const afterOne = await storedIn(group);
    first.onChange(two);
    first.seal(); // the capture of a checkpoint
    const chunk = first.store.checkpoint(true);
    const twoMessages = first.pending;
    // The checkpoint committed, and the owner died before publishing epoch 2.
    await first.close();
    expect(await storedIn(group)).toBe(afterOne);

    const second = await openSink(group, one, [chunk]);
    expect(second.pending).toBe(twoMessages);
    await second.drained(); // open() published the restored epoch 2
    expect(await storedIn(group)).toBe(afterOne + twoMessages);
    await second.close();

    // That owner died too, after publishing: the next one restored from the same checkpoint
    // publishes epoch 2 again, and the stream stores none of it twice.
    const third = await openSink(group, one, [chunk]);
    await third.drained();
    expect(third.pending).toBe(0);
    expect(await storedIn(group)).toBe(afterOne + twoMessages);
    third.onChange(three);
    third.seal();
    const threeMessages = third.pending;
    third.committed();
    await third.drained();
    expect(await storedIn(group)).toBe(afterOne + twoMessages + threeMessages);
    await third.close();

    const read = await readEdge(group);
    const rows = (epoch: number) => sorted(read.filter((r) => r.epoch === epoch).flatMap((r) => changeRows(r.change)));
    expect([...new Set(read.map((r) => r.epoch))].sort()).toEqual([1, 2, 3]);
    expect([rows(1), rows(2), rows(3)]).toEqual([one, two, three].map((c) => sorted(changeRows(c))));
  });

  it("an epoch sealed by a checkpoint that failed goes with the next commit; one sealed after committed() waits", async () => {
    const group = fresh();
    const [one, two, three] = [await allTypesChange(0, 20), await allTypesChange(20, 20), await allTypesChange(40, 20)];
    const sink = await openSink(group, one);
    sink.onChange(one);
    sink.seal(); // its checkpoint fails: no committed()
    sink.onChange(two);
    sink.seal();
    const both = sink.pending;
    sink.committed();
    sink.onChange(three);
    sink.seal(); // captured by the next checkpoint, not committed yet
    const threeMessages = sink.pending - both;
    await sink.drained();
    await settle();
    expect(await storedIn(group)).toBe(both);
    expect(sink.pending).toBe(threeMessages);
    await sink.pendingAtMost(threeMessages); // at once
    sink.committed();
    await sink.pendingAtMost(0);
    expect(await storedIn(group)).toBe(both + threeMessages);
    const read = await readEdge(group);
    expect([...new Set(read.map((r) => r.epoch))].sort()).toEqual([1, 2, 3]);
    const rows = sorted(read.filter((r) => r.epoch === 3).flatMap((r) => changeRows(r.change)));
    expect(rows).toEqual(sorted(changeRows(three)));
    await sink.close();
  });

  it("takes no number for an epoch without rows, and one for an epoch whose rows cancel out", async () => {
    const group = fresh();
    const change = await allTypesChange(0, 10);
    const sink = await openSink(group, change);
    sink.seal(); // nothing: no epoch
    const inserts = { batch: change.batch, ops: new Int8Array(10).fill(1) };
    sink.onChange(inserts);
    sink.seal(); // epoch 1
    sink.onChange(inserts);
    sink.onChange({ batch: change.batch, ops: new Int8Array(10).fill(-1) });
    sink.seal(); // epoch 2: consolidated to nothing
    sink.seal();
    sink.onChange(inserts);
    sink.seal(); // epoch 3
    sink.committed();
    await sink.drained();
    const epochs = (await readEdge(group)).map((r) => r.epoch);
    expect([...new Set(epochs)].sort()).toEqual([1, 3]);
    await sink.close();
  });

  it("retries a failed publish after retryDelayMs, telling onError, until it lands", async () => {
    const group = fresh();
    const change = await allTypesChange(0, 30);
    const errors: ExchangeError[] = [];
    const sink = await openSink(group, change, [], { retryDelayMs: 50, onError: (e) => errors.push(e) });
    await fx.jsm.streams.delete(exchangeStreamName(group));
    sink.onChange(change);
    sink.seal();
    const messages = sink.pending;
    sink.committed();
    await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(2), { timeout: 15_000 });
    expect(errors[0]).toBeInstanceOf(ExchangeError);
    expect(errors[0]?.message).toMatch(/^edge "e" from 1: epoch 1 not published: /);
    await ensureExchangeStream(fx.jsm, group);
    await sink.drained();
    expect(await storedIn(group)).toBe(messages);
    await sink.close();
  });

  it("names a key column the relation does not have", async () => {
    const change = await allTypesChange(0, 1);
    const sink = new ExchangeSink(fx.js, { group: "g", edge: "e", partition: 0, partitions: N, key: ["id", "nope"] });
    expect(() =>
      sink.bind({ name: "all", columns: columnsOf(change.batch.schema), key: undefined, appendOnly: true }),
    ).toThrow(/^exchange edge "e" over "all": key column "nope" is not one of its columns \(id, i16, /);
  });

  it("close() stops retrying; what is unpublished stays in the store", async () => {
    const group = fresh();
    const change = await allTypesChange(0, 5);
    const errors: ExchangeError[] = [];
    const sink = await openSink(group, change, [], { retryDelayMs: 60_000, onError: (e) => errors.push(e) });
    await fx.jsm.streams.delete(exchangeStreamName(group));
    sink.onChange(change);
    sink.seal();
    sink.committed();
    await vi.waitFor(() => expect(errors.length).toBe(1), { timeout: 15_000 });
    const drained = sink.drained();
    await sink.close(); // does not wait out the minute
    await drained;
    expect([...sink.store.keys()].sort()).toEqual(["e.1", "meta"]);
  });
});

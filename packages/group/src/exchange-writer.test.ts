import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type ChangeBatch, sqlTypeOfField } from "@jetflow/core";
import { describe, expect, it, vi } from "vitest";
import { ExchangeError } from "./errors.js";
import { decodeChange } from "./exchange-codec.js";
import { useServer } from "./testing/server-fixture.js";
import { ensureExchangeStream, exchangeStreamName } from "./exchange-stream.js";
import { ExchangeWriter } from "./exchange-writer.js";
import { partitionOfRow } from "./partition-key.js";
import { allTypesChange, allTypesRow } from "./testing/all-types.js";
import { changeRows, decodedChange } from "./testing/decoded-change.js";
import { startExchangeProcess } from "./testing/member-process.js";
import { readExchange } from "./testing/read-exchange.js";

const N = 4;
const fx = useServer();
let attempt = 0;
const fresh = () => `g${++attempt}`;

const messagesOf = (sealed: { targets: readonly { messages: readonly unknown[] }[] }) =>
  sealed.targets.reduce((a, t) => a + t.messages.length, 0);
const storedIn = async (group: string) => (await fx.jsm.streams.info(exchangeStreamName(group))).state.messages;
const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();

/** Every row read back from every partition of an edge, with the partition it was read from. */
async function readAllPartitions(group: string, edge: string, messages: number) {
  const perPartition = await Promise.all(
    Array.from({ length: N }, async (_, q) => {
      const subject = `jf.x.${group}.${edge}.${q}`;
      const stored = (await fx.jsm.streams.info(exchangeStreamName(group), { subjects_filter: subject })).state
        .subjects;
      return { q, got: await readExchange(fx.js, { group, edge, partition: q, after: 0 }, stored?.[subject] ?? 0) };
    }),
  );
  expect(perPartition.reduce((a, p) => a + p.got.length, 0)).toBe(messages);
  return perPartition;
}

describe("ExchangeWriter", () => {
  it("routes each row to the partition partitionOfRow names, retractions and NULL keys included", async () => {
    const group = fresh();
    await ensureExchangeStream(fx.jsm, group);
    const writer = new ExchangeWriter(fx.js, { group, edge: "by_key", from: 2, partitions: N });
    const change = await allTypesChange(0, 200);
    const types = change.batch.schema.fields.map((f) => sqlTypeOfField(f));
    // Two adds (slices of one change) into one epoch: (txt, big) keys, NULL on every 5th row.
    for (const [from, to] of [
      [0, 120],
      [120, 200],
    ] as const) {
      writer.add({ batch: change.batch.slice(from, to), ops: change.ops!.subarray(from, to) }, [6, 2]);
    }
    const sealed = writer.seal(7);
    await writer.publish(sealed);

    const read = await readAllPartitions(group, "by_key", messagesOf(sealed));
    const ids: number[] = [];
    for (const { q, got } of read) {
      for (const { change: c, from, epoch } of got) {
        expect([from, epoch]).toEqual([2, 7]);
        for (const row of changeRows(c)) {
          const id = Number(row[1]);
          ids.push(id);
          const r = allTypesRow(id);
          const big = r["big"] === null ? null : BigInt(r["big"] as string);
          expect(partitionOfRow([r["txt"], big], [types[6]!, types[2]!], N), `row ${id}`).toBe(q);
        }
      }
    }
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(sorted(read.flatMap((p) => p.got.flatMap((g) => changeRows(g.change))))).toEqual(sorted(changeRows(change)));
  });

  it("sends an epoch consolidated: rows inserted and retracted within it do not cross", async () => {
    const writer = new ExchangeWriter(fx.js, { group: fresh(), edge: "e", from: 0, partitions: N });
    const inserted = await allTypesChange(0, 30);
    const batch = inserted.batch.slice(0, 20);
    writer.add({ batch, ops: new Int8Array(20).fill(1) }, [2]);
    writer.add({ batch, ops: new Int8Array(20).fill(-1) }, [2]);
    writer.add({ batch: inserted.batch.slice(20, 30), ops: new Int8Array(10).fill(1) }, [2]);
    const sealed = writer.seal(1);
    const rows = sealed.targets.flatMap((t) => t.messages.flatMap((m) => changeRows(decodeChange(m))));
    expect(rows.map((r) => Number(r[1])).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => 20 + i));
    expect(rows.every((r) => r[0] === 1)).toBe(true);
  });

  it("with lastPerKey, sends only each key's last row of an epoch (a keyed table's rows)", async () => {
    const writer = new ExchangeWriter(fx.js, { group: fresh(), edge: "e", from: 0, partitions: N, lastPerKey: true });
    const rows = await decodedChange({ id: "integer", v: "varchar" }, [
      { id: 1, v: "a" },
      { id: 2, v: "b" },
      { id: 1, v: "c" },
    ]);
    writer.add(rows, [0]);
    writer.add(await decodedChange({ id: "integer", v: "varchar" }, [{ id: 2, v: "d" }]), [0]);
    const sent = writer
      .seal(1)
      .targets.flatMap((t) => t.messages.flatMap((m) => changeRows(decodeChange(m))))
      .sort((a, b) => Number(a[1]) - Number(b[1]));
    expect(sent).toEqual([
      [1, "1", '"c"'],
      [1, "2", '"d"'],
    ]);
  });

  it("stores a sealed epoch once however often it is published; epochs go in order", async () => {
    const group = fresh();
    await ensureExchangeStream(fx.jsm, group);
    const writer = new ExchangeWriter(fx.js, { group, edge: "e", from: 0, partitions: N, maxMessageBytes: 4096 });
    writer.add(await allTypesChange(0, 100), [0]);
    const one = writer.seal(1);
    writer.add(await allTypesChange(100, 50), [0]);
    const two = writer.seal(2);
    expect(messagesOf(one)).toBeGreaterThan(N);
    await writer.publish(one);
    await writer.publish(one);
    await writer.publish(two);
    expect(await storedIn(group)).toBe(messagesOf(one) + messagesOf(two));
    // A new writer (a new owner after a crash) publishing the same sealed epoch: nothing new.
    await new ExchangeWriter(fx.js, { group, edge: "e", from: 0, partitions: N }).publish(two);
    expect(await storedIn(group)).toBe(messagesOf(one) + messagesOf(two));

    await expect(writer.publish(one)).rejects.toThrow('edge "e" from 0: epoch 1 published after epoch 2');
    expect(() => writer.seal(2)).toThrow("epoch must be a whole number above the last sealed (2), got 2");
    const other = new ExchangeWriter(fx.js, { group, edge: "e", from: 1, partitions: N });
    await expect(other.publish(two)).rejects.toBeInstanceOf(ExchangeError);
  });

  it("refuses a change whose columns differ from the first one's", async () => {
    const writer = new ExchangeWriter(fx.js, { group: "g", edge: "e", from: 0, partitions: N });
    const change = await allTypesChange(0, 3);
    writer.add(change, [0]);
    const narrower: ChangeBatch = { batch: change.batch.selectAt([0, 1]), ops: undefined };
    expect(() => writer.add(narrower, [0])).toThrow(`edge "e": a change's columns differ from the first change's`);
    expect(() => writer.add(change, [40])).toThrow("key column 40 is not a column of the change (it has 17)");
  });

  it("a writer killed with kill -9 mid-publish, its sealed epoch published again by a new process: every row once", async () => {
    const group = fresh();
    await ensureExchangeStream(fx.jsm, group);
    const rows = 3000;
    const exchange = {
      group,
      edge: "crash",
      file: path.join(mkdtempSync(path.join(tmpdir(), "jf-x-")), "sealed.bin"),
      rows,
      partitions: N,
    };
    const first = startExchangeProcess(fx.server.url, exchange, "seal");
    let total = 0;
    try {
      await vi.waitFor(
        () => {
          const sealed = first.lines.find((l) => l.type === "sealed");
          if (sealed === undefined) throw new Error(`not sealed yet: ${first.stderr()}`);
          total = sealed["messages"] as number;
        },
        { timeout: 15_000, interval: 10 },
      );
      await vi.waitFor(
        async () => {
          if ((await storedIn(group)) === 0) throw new Error("nothing published yet");
        },
        { timeout: 15_000, interval: 5 },
      );
    } finally {
      await first.kill();
    }
    const atKill = await storedIn(group);
    expect(first.lines.some((l) => l.type === "published")).toBe(false);
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(total);

    const second = startExchangeProcess(fx.server.url, exchange, "republish");
    try {
      await vi.waitFor(
        () => {
          if (!second.lines.some((l) => l.type === "published")) throw new Error(`not published: ${second.stderr()}`);
        },
        { timeout: 15_000, interval: 20 },
      );
    } finally {
      await second.kill();
    }
    expect(await storedIn(group)).toBe(total);
    const read = await readAllPartitions(group, "crash", total);
    const back = read.flatMap((p) => p.got.flatMap((g) => changeRows(g.change)));
    expect(back.length).toBe(rows);
    expect(sorted(back)).toEqual(sorted(changeRows(await allTypesChange(0, rows))));
  }, 30_000);
});

import { sqlTypeOfField } from "@jetflow/core";
import { firstValueFrom } from "rxjs";
import { describe, expect, it, vi } from "vitest";
import { ExchangeError } from "./errors.js";
import { useServer } from "./testing/server-fixture.js";
import { ExchangeReader } from "./exchange-reader.js";
import { ensureExchangeStream, exchangeStreamName, exchangeSubject } from "./exchange-stream.js";
import { ExchangeWriter, type SealedEpoch } from "./exchange-writer.js";
import { allTypesChange } from "./testing/all-types.js";
import { changeRows } from "./testing/decoded-change.js";
import { readExchange } from "./testing/read-exchange.js";

const fx = useServer();

describe("ExchangeReader", () => {
  it("gives back every SQL type with NULLs and both ops, in order, and resumes after a sequence", async () => {
    const group = "reader";
    await ensureExchangeStream(fx.jsm, group);
    // One target partition: every row of three epochs goes to q = 0, one message per epoch.
    const writer = new ExchangeWriter(fx.js, { group, edge: "all", from: 5, partitions: 1 });
    const sealed: SealedEpoch[] = [];
    const changes = [await allTypesChange(0, 30), await allTypesChange(30, 30), await allTypesChange(60, 30)];
    for (const [e, change] of changes.entries()) {
      writer.add(change, [0]);
      sealed.push(writer.seal(e + 1));
    }
    for (const s of sealed) await writer.publish(s);

    const at = { group, edge: "all", partition: 0 };
    const all = await readExchange(fx.js, { ...at, after: 0 }, 3);
    expect(all.map((c) => [c.from, c.epoch])).toEqual([
      [5, 1],
      [5, 2],
      [5, 3],
    ]);
    expect(all.map((c) => changeRows(c.change))).toEqual(changes.map(changeRows));
    const fields = (f: readonly { name: string; nullable: boolean }[]) =>
      f.map((x) => [x.name, x.nullable, sqlTypeOfField(x as never)]);
    expect(fields(all[0]!.change.batch.schema.fields)).toEqual(fields(changes[0]!.batch.schema.fields));

    // A new owner resumed from the sequence its checkpoint recorded sees exactly what follows.
    const resumed = await readExchange(fx.js, { ...at, after: all[0]!.seq }, 2);
    expect(resumed.map((c) => c.seq)).toEqual([all[1]!.seq, all[2]!.seq]);
    expect(resumed.map((c) => changeRows(c.change))).toEqual(changes.slice(1).map(changeRows));
    expect(await readExchange(fx.js, { ...at, after: all[2]!.seq }, 0)).toEqual([]);
  });

  it("errors with an ExchangeError on a message that is not an exchange message", async () => {
    const group = "bad";
    await ensureExchangeStream(fx.jsm, group);
    const ack = await fx.js.publish(exchangeSubject(group, "e", 0), "not arrow");
    const reader = new ExchangeReader(fx.js, { group, edge: "e", partition: 0, after: 0 });
    const failed = await firstValueFrom(reader.changes$).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ExchangeError);
    expect((failed as Error).message).toMatch(new RegExp(`^jf\\.x\\.bad\\.e\\.0 message ${ack.seq} does not decode: `));
    await reader.stop();
  });

  it("deletes its consumer when it stops and when a subscriber leaves (readers start at every rebalance)", async () => {
    const group = "tidy";
    await ensureExchangeStream(fx.jsm, group);
    const consumers = async () => (await fx.jsm.streams.info(exchangeStreamName(group))).state.consumer_count;
    const writer = new ExchangeWriter(fx.js, { group, edge: "e", from: 1, partitions: 1 });
    writer.add(await allTypesChange(0, 3), [0]);
    await writer.publish(writer.seal(1));
    const reader = new ExchangeReader(fx.js, { group, edge: "e", partition: 0, after: 0 });
    const kept = reader.changes$.subscribe();
    await firstValueFrom(reader.changes$); // a second read, ended by its subscriber after one change
    await vi.waitFor(async () => expect(await consumers()).toBe(1), { timeout: 5000 });
    await reader.stop();
    expect(await consumers()).toBe(0);
    kept.unsubscribe();
    for (let i = 0; i < 5; i++) await readExchange(fx.js, { group, edge: "e", partition: 0, after: 0 }, 1, 0);
    await vi.waitFor(async () => expect(await consumers()).toBe(0), { timeout: 5000 });
  });
});

import { InvalidOptionError } from "@jetflow/core";
import { Checkpointer, CheckpointError, KeyedStore } from "@jetflow/state";
import type { ObjectStore } from "@nats-io/obj";
import { describe, expect, it } from "vitest";
import { isPartitionPointer, openStateBucket, PartitionBackend, type PartitionPointer } from "./partition-backend.js";
import { useServer } from "./testing/server-fixture.js";

const fx = useServer();
let n = 0;
const freshBucket = () => openStateBucket(fx.nc, `pstate-${++n}`);
const GROUP = "orders";
const P = 3;

type Stores = KeyedStore<unknown>[];

function stores(): Stores {
  const a = new KeyedStore<unknown>("a");
  const b = new KeyedStore<unknown>("b");
  for (let i = 0; i < 200; i++) a.set(`k${i}`, [i, `v${i}`]);
  b.set("n", 0n);
  return [a, b];
}

function emptyStores(): Stores {
  return [new KeyedStore<unknown>("a"), new KeyedStore<unknown>("b")];
}

const contents = (s: Stores) => new Map(s.map((store) => [store.id, new Map(store.entries())]));

function backend(os: ObjectStore, owner: string, from?: PartitionPointer): PartitionBackend {
  return new PartitionBackend({ os, jsm: fx.jsm, group: GROUP, partition: P, owner, from });
}

/** One checkpoint through the gate as a partition task drives it: written, (fenced write), open. */
async function checkpointThrough(b: PartitionBackend, cp: Checkpointer, seq: number) {
  const written = b.written();
  const done = cp.checkpoint({ orders: { c1: seq } });
  const pointer = await written;
  b.open(pointer);
  return { pointer, result: await done };
}

/** A new owner's stores, restored from `pointer`. */
async function restoredFrom(os: ObjectStore, pointer: PartitionPointer, owner = "next") {
  const s = emptyStores();
  const b = backend(os, owner, pointer);
  const cp = new Checkpointer(b, () => s);
  const restored = await cp.restore();
  return { stores: s, backend: b, checkpointer: cp, restored };
}

const names = async (os: ObjectStore) => (await os.list()).map((i) => i.name).sort();

describe("PartitionBackend", () => {
  it("commits a full checkpoint and deltas through the gate; a new owner restores exactly that state", async () => {
    const os = await freshBucket();
    const s = stores();
    const b = backend(os, "A");
    const cp = new Checkpointer(b, () => s);
    expect(await cp.restore()).toBeUndefined();

    const first = await checkpointThrough(b, cp, 10);
    expect(first.result.kind).toBe("full");
    expect(first.pointer).toEqual({ v: 1, id: 1, chain: [`${GROUP}/p${P}/A/1`] });
    s[0]?.set("k1", "changed");
    s[0]?.delete("k2");
    s[1]?.set("n", 1n);
    const second = await checkpointThrough(b, cp, 20);
    s[0]?.set("new", { deep: [1, 2] });
    const third = await checkpointThrough(b, cp, 30);
    expect([second.result.kind, third.result.kind]).toEqual(["delta", "delta"]);
    expect(third.pointer).toEqual({
      v: 1,
      id: 3,
      chain: [`${GROUP}/p${P}/A/1`, `${GROUP}/p${P}/A/2`, `${GROUP}/p${P}/A/3`],
    });
    expect(isPartitionPointer(JSON.parse(JSON.stringify(third.pointer)))).toBe(true);

    const next = await restoredFrom(os, third.pointer);
    expect(next.restored?.id).toBe(3);
    expect(next.restored?.offsets).toEqual({ orders: { c1: 30 } });
    expect(contents(next.stores)).toEqual(contents(s));
    expect(await next.backend.newestId()).toBe(3);

    // The new owner's deltas extend the chain it restored.
    next.stores[1]?.set("n", 2n);
    const fourth = await checkpointThrough(next.backend, next.checkpointer, 40);
    expect(fourth.result).toMatchObject({ id: 4, kind: "delta" });
    expect(fourth.pointer.chain).toEqual([...third.pointer.chain, `${GROUP}/p${P}/next/4`]);
    expect(contents((await restoredFrom(os, fourth.pointer, "third")).stores)).toEqual(contents(next.stores));
  });

  it("resolves a commit only once its pointer is opened; refuse() rejects it and every later one", async () => {
    const os = await freshBucket();
    const s = stores();
    const b = backend(os, "A");
    const cp = new Checkpointer(b, () => s);
    expect(() => b.open()).toThrow(/no checkpoint is waiting/);

    let settled = false;
    const written = b.written();
    const done = cp.checkpoint({}).finally(() => {
      settled = true;
    });
    const pointer = await written;
    expect(await b.written()).toEqual(pointer); // the one waiting now
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    expect(() => b.open({ ...pointer, id: 99 })).toThrow(/no checkpoint 99 is waiting/);
    b.open(pointer);
    await done;

    s[0]?.set("k1", "x");
    const next = b.written();
    const refused = cp.checkpoint({});
    expect((await next).id).toBe(2);
    b.refuse("the fenced write of the pointer was refused");
    await expect(refused).rejects.toMatchObject({ name: "CheckpointError", reason: "conflict" });
    await expect(refused).rejects.toThrow(/partition 3 of group "orders": the fenced write/);
    await expect(cp.checkpoint({})).rejects.toMatchObject({ reason: "conflict" });
    await expect(b.written()).rejects.toBeInstanceOf(CheckpointError);
    await expect(b.load()).rejects.toMatchObject({ reason: "conflict" });
  });

  it("close() rejects the waiting commit with reason closed, and its watchers", async () => {
    const os = await freshBucket();
    const s = stores();
    const b = backend(os, "A");
    const cp = new Checkpointer(b, () => s);
    const written = b.written();
    const done = cp.checkpoint({});
    const pointer = await written;
    const watcher = b.written().then(() => b.written()); // waits for a next commit that never comes
    await b.close();
    await expect(done).rejects.toMatchObject({ reason: "closed" });
    await expect(watcher).rejects.toMatchObject({ reason: "closed" });
    // The object stays: a hand-over's release may commit the pointer the task returned.
    expect(await names(os)).toEqual(pointer.chain);
  });

  it("keeps two owners' checkpoints of the same ids apart; the committed pointer restores its owner's state", async () => {
    const os = await freshBucket();
    const base = stores();
    const b0 = backend(os, "first");
    const { pointer: p0 } = await checkpointThrough(b0, new Checkpointer(b0, () => base), 1);

    const a = await restoredFrom(os, p0, "A");
    const b = await restoredFrom(os, p0, "B");
    a.stores[0]?.set("k1", "written by A");
    b.stores[0]?.set("k1", "written by B");
    b.stores[0]?.set("k5", "written by B");
    const aWritten = a.backend.written();
    const bWritten = b.backend.written();
    const aDone = a.checkpointer.checkpoint({ orders: { c1: 2 } });
    const bDone = b.checkpointer.checkpoint({ orders: { c1: 3 } });
    const [pa, pb] = await Promise.all([aWritten, bWritten]);
    expect(pa.id).toBe(pb.id);
    expect(pa.chain).toEqual([...p0.chain, `${GROUP}/p${P}/A/2`]);
    expect(pb.chain).toEqual([...p0.chain, `${GROUP}/p${P}/B/2`]);
    a.backend.open(pa); // A's fenced write won
    b.backend.refuse("taken over");
    await aDone;
    await expect(bDone).rejects.toMatchObject({ reason: "conflict" });

    const restored = await restoredFrom(os, pa, "C");
    expect(restored.stores[0]?.get("k1")).toBe("written by A");
    expect(restored.stores[0]?.get("k5")).toEqual([5, "v5"]);
    expect(contents(restored.stores)).toEqual(contents(a.stores));
  });

  it("fails load() naming the partition and the object when a link of the chain is missing or corrupt", async () => {
    const os = await freshBucket();
    const s = stores();
    const b = backend(os, "A");
    const cp = new Checkpointer(b, () => s);
    await checkpointThrough(b, cp, 1);
    s[0]?.set("k1", 1);
    await checkpointThrough(b, cp, 2);
    s[0]?.set("k1", 2);
    const { pointer } = await checkpointThrough(b, cp, 3);
    const [full, middle] = pointer.chain as [string, string, string];

    await os.putBlob({ name: middle }, new TextEncoder().encode("not a checkpoint"));
    const corrupt = restoredFrom(os, pointer);
    await expect(corrupt).rejects.toMatchObject({ name: "CheckpointError", reason: "read" });
    await expect(corrupt).rejects.toThrow(`partition 3 of group "orders": checkpoint object "${middle}" is corrupt`);

    await os.delete(full);
    await expect(restoredFrom(os, pointer)).rejects.toThrow(
      `partition 3 of group "orders": checkpoint object "${full}" of the committed chain is missing`,
    );
  });

  it("fails load() when the pointer's objects do not form a chain", async () => {
    const os = await freshBucket();
    const s = stores();
    const b = backend(os, "A");
    const cp = new Checkpointer(b, () => s);
    const { pointer: p1 } = await checkpointThrough(b, cp, 1);
    s[0]?.set("k1", 1);
    const { pointer: p2 } = await checkpointThrough(b, cp, 2);
    const deltaFirst = { v: 1, id: 2, chain: [p2.chain[1] as string] } as const;
    await expect(restoredFrom(os, deltaFirst)).rejects.toThrow(/must start with a full checkpoint/);
    const wrongHead = { ...p1, id: 7 };
    await expect(restoredFrom(os, wrongHead)).rejects.toThrow(/the pointer names checkpoint 7/);
  });

  it("refuses a committed pointer of another shape, naming the partition", async () => {
    const os = await freshBucket();
    const old = { seq: 42 } as unknown as PartitionPointer;
    expect(() => backend(os, "A", old)).toThrow(/partition 3 of group "orders": the committed pointer \{"seq":42\}/);
    for (const bad of [
      null,
      7,
      { v: 2, id: 1, chain: ["x"] },
      { v: 1, id: 0, chain: ["x"] },
      { v: 1, id: 1, chain: [] },
    ]) {
      expect(isPartitionPointer(bad)).toBe(false);
    }
    expect(isPartitionPointer({ v: 1, id: 1, chain: ["x"] })).toBe(true);
    expect(
      () => new PartitionBackend({ os, jsm: fx.jsm, group: GROUP, partition: P, owner: "a/b", from: undefined }),
    ).toThrow(InvalidOptionError);
  });

  it("deletes the replaced chain, earlier owners' objects included, once a new full checkpoint is opened", async () => {
    const os = await freshBucket();
    const s = stores();
    const a = backend(os, "A");
    const cpA = new Checkpointer(a, () => s);
    await checkpointThrough(a, cpA, 1);
    s[0]?.set("k1", 1);
    const { pointer: pa } = await checkpointThrough(a, cpA, 2);

    const b = await restoredFrom(os, pa, "B");
    b.stores[0]?.set("k1", 2);
    const { pointer: delta } = await checkpointThrough(b.backend, b.checkpointer, 3);
    expect(delta.chain).toHaveLength(3);
    b.checkpointer.requestFull();
    const written = b.backend.written();
    const done = b.checkpointer.checkpoint({});
    const full = await written;
    expect(full.chain).toEqual([`${GROUP}/p${P}/B/4`]);
    expect(await names(os)).toEqual([...delta.chain, ...full.chain].sort()); // nothing deleted before the gate
    b.backend.open(full);
    await done;
    expect(await names(os)).toEqual(full.chain);
    expect(contents((await restoredFrom(os, full, "C")).stores)).toEqual(contents(b.stores));
  });

  it("reports a failed write as reason write, and the next checkpoint is full", async () => {
    const os = await freshBucket();
    const bucket = `pstate-${n}`;
    const s = stores();
    const b = backend(os, "A");
    const cp = new Checkpointer(b, () => s);
    await checkpointThrough(b, cp, 1);
    await fx.jsm.streams.delete(`OBJ_${bucket}`);
    s[0]?.set("k1", 1);
    const written = b.written();
    const failed = cp.checkpoint({});
    await expect(failed).rejects.toMatchObject({ name: "CheckpointError", reason: "write" });
    await expect(failed).rejects.toThrow(`could not write checkpoint 2 (object "${GROUP}/p${P}/A/2")`);
    await expect(written).rejects.toMatchObject({ reason: "write" });

    await openStateBucket(fx.nc, bucket); // the bucket is back
    const { pointer, result } = await checkpointThrough(b, cp, 3);
    expect(result.kind).toBe("full");
    expect(pointer.chain).toEqual([`${GROUP}/p${P}/A/3`]);
    expect(contents((await restoredFrom(os, pointer)).stores)).toEqual(contents(s));
  });
});

describe("openStateBucket", () => {
  it("creates the bucket, opens it again, and refuses a bad name naming --state-bucket", async () => {
    const os = await openStateBucket(fx.js, "pstate-open");
    await os.putBlob({ name: "x" }, new Uint8Array([1]));
    const again = await openStateBucket(fx.nc, "pstate-open");
    expect([...((await again.getBlob("x")) ?? [])]).toEqual([1]);
    const bad = () => openStateBucket(fx.nc, "no.dots");
    await expect(bad()).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(bad()).rejects.toMatchObject({ option: "state-bucket" });
    await expect(bad()).rejects.toThrow(/--state-bucket must be .* got "no.dots"/);
  });
});

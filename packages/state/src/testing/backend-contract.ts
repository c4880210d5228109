import { expect, it } from "vitest";
import type { CheckpointBackend, CheckpointRecord, RestoredCheckpoint } from "../checkpoint-backend.js";
import { CheckpointError } from "../errors.js";
import { KeyedStore } from "../keyed-store.js";

/** A backend under test and how to get a fresh instance on the same storage (a restart). */
export interface BackendFixture {
  readonly backend: CheckpointBackend;
  /** Closes `backend` and opens a new one on the same storage; undefined for the memory backend. */
  reopen?(): Promise<CheckpointBackend>;
  dispose(): Promise<void>;
}

/** Restores every store of a loaded checkpoint into fresh stores, as maps. */
export function contentsOf(r: RestoredCheckpoint): Map<string, Map<string, unknown>> {
  const out = new Map<string, Map<string, unknown>>();
  for (const [storeId, chain] of r.chunks) {
    const s = new KeyedStore<unknown>(storeId);
    s.restore(chain);
    out.set(storeId, new Map(s.entries()));
  }
  return out;
}

export function mapsOf(stores: readonly KeyedStore<unknown>[]): Map<string, Map<string, unknown>> {
  return new Map(stores.map((s) => [s.id, new Map(s.entries())]));
}

export function recordOf(
  id: number,
  stores: readonly KeyedStore<unknown>[],
  full: boolean,
  seq = id * 10,
): CheckpointRecord {
  return {
    id,
    offsets: { orders: { c1: seq, c2: seq + 1 }, users: { c3: seq * 2 } },
    chunks: stores.map((s) => s.checkpoint(full)),
    meta: { fingerprint: "fp-1", note: `checkpoint ${id}` },
  };
}

/**
 * The behaviour every backend shares: ids increasing, deltas replayed in order, tombstones,
 * restart (when the backend persists) and the commit preconditions.
 */
export function backendContract(make: () => Promise<BackendFixture>): void {
  it("starts empty", async () => {
    const f = await make();
    try {
      expect(await f.backend.load()).toBeUndefined();
      expect(await f.backend.newestId?.()).toBeUndefined();
    } finally {
      await f.dispose();
    }
  });

  it("round-trips a full checkpoint and the deltas after it, in order, with tombstones", async () => {
    const f = await make();
    try {
      const a = new KeyedStore<unknown>("table:orders");
      const b = new KeyedStore<unknown>("view:counts");
      const stores = [a, b];
      for (let i = 0; i < 1000; i++) a.set(`k${i}`, [i, `name${i}`, BigInt(i) * 1000n, new Uint8Array([i & 255])]);
      b.set("x", { count: 3n, sum: 1.5 });
      await f.backend.commit(recordOf(1, stores, true));
      a.set("k1", ["changed"]);
      a.delete("k2");
      b.delete("x");
      await f.backend.commit(recordOf(2, stores, false));
      a.set("k2", ["back"]);
      a.delete("k3");
      b.set("y", { count: 1n, sum: 0 });
      await f.backend.commit(recordOf(3, stores, false));
      expect(await f.backend.newestId?.()).toBe(3);

      const r = await f.backend.load();
      expect(r?.id).toBe(3);
      expect(r?.offsets).toEqual({ orders: { c1: 30, c2: 31 }, users: { c3: 60 } });
      expect(r?.meta).toEqual({ fingerprint: "fp-1", note: "checkpoint 3" });
      expect(r?.chunks.get("table:orders")?.map((c) => c.kind)).toEqual(["full", "delta", "delta"]);
      expect(contentsOf(r as RestoredCheckpoint)).toEqual(mapsOf(stores));
      expect(
        contentsOf(r as RestoredCheckpoint)
          .get("table:orders")
          ?.has("k3"),
      ).toBe(false);
    } finally {
      await f.dispose();
    }
  });

  it("a new full checkpoint starts a new chain", async () => {
    const f = await make();
    try {
      const s = new KeyedStore<unknown>("s");
      s.set("a", 1);
      await f.backend.commit(recordOf(1, [s], true));
      s.set("b", 2);
      await f.backend.commit(recordOf(2, [s], false));
      s.delete("a");
      await f.backend.commit(recordOf(3, [s], true));
      s.set("c", 3);
      await f.backend.commit(recordOf(4, [s], false));
      const r = (await f.backend.load()) as RestoredCheckpoint;
      expect(r.chunks.get("s")?.map((c) => c.kind)).toEqual(["full", "delta"]);
      expect(contentsOf(r)).toEqual(mapsOf([s]));
    } finally {
      await f.dispose();
    }
  });

  it("refuses a delta with nothing to extend, and ids that do not increase", async () => {
    const f = await make();
    try {
      const s = new KeyedStore<unknown>("s");
      s.set("a", 1);
      await expect(f.backend.commit(recordOf(1, [s], false))).rejects.toMatchObject({ reason: "chain" });
      await f.backend.commit(recordOf(5, [s], true));
      await expect(f.backend.commit(recordOf(5, [s], true))).rejects.toMatchObject({ reason: "id" });
      await expect(f.backend.commit(recordOf(3, [s], true))).rejects.toBeInstanceOf(CheckpointError);
      const dup = recordOf(6, [s], true);
      await expect(f.backend.commit({ ...dup, chunks: [...dup.chunks, ...dup.chunks] })).rejects.toMatchObject({
        reason: "duplicate-store",
      });
      expect((await f.backend.load())?.id).toBe(5);
    } finally {
      await f.dispose();
    }
  });

  it("survives a restart and extends the loaded chain with deltas", async () => {
    const f = await make();
    if (f.reopen === undefined) {
      await f.dispose();
      return;
    }
    try {
      const s = new KeyedStore<unknown>("s");
      for (let i = 0; i < 100; i++) s.set(`k${i}`, i);
      await f.backend.commit(recordOf(1, [s], true));
      s.delete("k5");
      await f.backend.commit(recordOf(2, [s], false));
      const second = await f.reopen();
      const r = (await second.load()) as RestoredCheckpoint;
      expect(r.id).toBe(2);
      expect(contentsOf(r)).toEqual(mapsOf([s]));
      // A fresh process restores, then writes deltas on top of what it loaded.
      const t = new KeyedStore<unknown>("s");
      t.restore(r.chunks.get("s") ?? []);
      t.set("k5", "again");
      t.delete("k6");
      await second.commit(recordOf(3, [t], false));
      const third = await f.reopen();
      const r3 = (await third.load()) as RestoredCheckpoint;
      expect(r3.id).toBe(3);
      expect(r3.chunks.get("s")?.map((c) => c.kind)).toEqual(["full", "delta", "delta"]);
      expect(contentsOf(r3)).toEqual(mapsOf([t]));
      expect(await third.newestId?.()).toBe(3);
    } finally {
      await f.dispose();
    }
  });

  it("fails clearly once closed", async () => {
    const f = await make();
    try {
      await f.backend.close();
      await expect(f.backend.load()).rejects.toMatchObject({ reason: "closed" });
    } finally {
      await f.dispose();
    }
  });
}

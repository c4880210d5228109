import { InvalidOptionError } from "@jetflow/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CheckpointBackend, CheckpointRecord } from "./checkpoint-backend.js";
import { Checkpointer } from "./checkpointer.js";
import { CheckpointError } from "./errors.js";
import { KeyedStore } from "./keyed-store.js";
import { memoryBackend } from "./memory-backend.js";
import { contentsOf, mapsOf } from "./testing/backend-contract.js";

type Stores = KeyedStore<unknown>[];

/** A backend that records commits and can be told to fail, before or after the inner commit. */
function flaky(inner: CheckpointBackend = memoryBackend()) {
  const commits: CheckpointRecord[] = [];
  const plan: ("before" | "after")[] = [];
  const backend: CheckpointBackend = {
    kind: inner.kind,
    load: () => inner.load(),
    newestId: () => inner.newestId?.() ?? Promise.resolve(undefined),
    close: () => inner.close(),
    async commit(record) {
      commits.push(record);
      const failure = plan.shift();
      if (failure === "before") throw new Error("disk on fire");
      await inner.commit(record);
      if (failure === "after") throw new Error("reply lost");
    },
  };
  return { backend, commits, failNext: (how: "before" | "after" = "before") => plan.push(how) };
}

/** A backend whose commits wait until released, to observe queuing. */
function gated(inner: CheckpointBackend = memoryBackend()) {
  const gates: (() => void)[] = [];
  const ids: number[] = [];
  let active = 0;
  let maxActive = 0;
  const backend: CheckpointBackend = {
    kind: inner.kind,
    load: () => inner.load(),
    newestId: () => inner.newestId?.() ?? Promise.resolve(undefined),
    close: () => inner.close(),
    async commit(record) {
      active++;
      maxActive = Math.max(maxActive, active);
      ids.push(record.id);
      await new Promise<void>((resolve) => gates.push(resolve));
      try {
        await inner.commit(record);
      } finally {
        active--;
      }
    },
  };
  return { backend, gates, ids, maxActive: () => maxActive };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

function bigStores(): Stores {
  const a = new KeyedStore<unknown>("a");
  const b = new KeyedStore<unknown>("b");
  for (let i = 0; i < 1000; i++) a.set(`k${i}`, [i, `v${i}`]);
  b.set("n", 0n);
  return [a, b];
}

/** Loads the backend's newest checkpoint into fresh stores. */
async function loaded(backend: CheckpointBackend) {
  const r = await backend.load();
  if (r === undefined) throw new Error("nothing committed");
  return { id: r.id, offsets: r.offsets, contents: contentsOf(r) };
}

describe("Checkpointer", () => {
  it("writes a full checkpoint first, then deltas, and a full one every fullEvery", async () => {
    const stores = bigStores();
    const backend = memoryBackend();
    const cp = new Checkpointer(backend, () => stores, { fullEvery: 3 });
    const kinds: string[] = [];
    for (let i = 1; i <= 7; i++) {
      stores[0]?.set(`k${i}`, ["changed", i]);
      const r = await cp.checkpoint({ src: { c: i } }, { fingerprint: "x" });
      expect(r.id).toBe(i);
      expect(r.bytes).toBeGreaterThan(0);
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
      kinds.push(r.kind);
    }
    expect(kinds).toEqual(["full", "delta", "delta", "full", "delta", "delta", "full"]);
    const l = await loaded(backend);
    expect(l.offsets).toEqual({ src: { c: 7 } });
    expect(l.contents).toEqual(mapsOf(stores));
  });

  it("goes full when the deltas since the last full one outweigh it, or most keys changed", async () => {
    const s = new KeyedStore<unknown>("s");
    const value = (n: number) => String(n).padStart(30, "0"); // every value the same size
    for (let i = 0; i < 10; i++) s.set(`k${i}`, value(i));
    const cp = new Checkpointer(memoryBackend(), () => [s]);
    expect((await cp.checkpoint({})).kind).toBe("full");
    const kinds: string[] = [];
    for (let round = 0; round < 6; round++) {
      // 4 of 10 keys: each delta is ~40% of a full one, so after three of them the next is full.
      for (let i = 0; i < 4; i++) s.set(`k${i}`, value(round * 100 + i));
      kinds.push((await cp.checkpoint({})).kind);
    }
    expect(kinds).toEqual(["delta", "delta", "delta", "full", "delta", "delta"]);
    for (let i = 0; i < 10; i++) s.set(`k${i}`, -i); // every key changed
    expect((await cp.checkpoint({})).kind).toBe("full");
  });

  it("goes full when the set of stores changes", async () => {
    const stores = bigStores();
    const backend = memoryBackend();
    const cp = new Checkpointer(backend, () => stores);
    await cp.checkpoint({});
    expect((await cp.checkpoint({})).kind).toBe("delta");
    const c = new KeyedStore<unknown>("c");
    c.set("x", 1);
    stores.push(c);
    expect((await cp.checkpoint({})).kind).toBe("full");
    expect((await cp.checkpoint({})).kind).toBe("delta");
    expect((await loaded(backend)).contents).toEqual(mapsOf(stores));
  });

  it("captures synchronously: later changes to the stores or the offsets object are not in the checkpoint", async () => {
    const stores = bigStores();
    const backend = memoryBackend();
    const cp = new Checkpointer(backend, () => stores);
    const offsets = { src: { c: 1 } };
    const expected = mapsOf(stores);
    const pending = cp.checkpoint(offsets);
    stores[0]?.set("k1", "after the call");
    stores[0]?.delete("k2");
    offsets.src.c = 999;
    await pending;
    const l = await loaded(backend);
    expect(l.contents).toEqual(expected);
    expect(l.offsets).toEqual({ src: { c: 1 } });
    // The changes made after the first capture are in the next delta.
    const second = await cp.checkpoint(offsets);
    expect(second.kind).toBe("delta");
    expect((await loaded(backend)).contents).toEqual(mapsOf(stores));
  });

  it("serializes concurrent calls: one write at a time, in call order, each with its own capture", async () => {
    const stores = bigStores();
    const g = gated();
    const cp = new Checkpointer(g.backend, () => stores);
    const snapshots: Map<string, Map<string, unknown>>[] = [];
    const calls = [1, 2, 3].map((i) => {
      stores[0]?.set(`k${i}`, `call ${i}`);
      stores[1]?.set("n", BigInt(i));
      snapshots.push(mapsOf(stores));
      return cp.checkpoint({ src: { c: i } });
    });
    for (let i = 0; i < 3; i++) {
      await tick();
      expect(g.gates.length).toBe(i + 1); // the next write starts only after the previous one finished
      g.gates[i]?.();
    }
    const results = await Promise.all(calls);
    expect(results.map((r) => [r.id, r.kind])).toEqual([
      [1, "full"],
      [2, "delta"],
      [3, "delta"],
    ]);
    expect(g.ids).toEqual([1, 2, 3]);
    expect(g.maxActive()).toBe(1);
    expect((await loaded(g.backend)).contents).toEqual(snapshots[2]);
  });

  it("after a failed write the next checkpoint is full, and queued deltas behind it are refused", async () => {
    const stores = bigStores();
    const f = flaky();
    const g = gated(f.backend);
    const cp = new Checkpointer(g.backend, () => stores);
    const first = cp.checkpoint({ src: { c: 1 } });
    await tick();
    g.gates[0]?.();
    await first;
    f.failNext();
    stores[0]?.set("k1", "lost?");
    const failing = cp.checkpoint({ src: { c: 2 } }); // delta, will fail
    stores[0]?.delete("k2");
    const queued = cp.checkpoint({ src: { c: 3 } }); // delta extending the failing one
    await tick();
    g.gates[1]?.();
    const err = await failing.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).reason).toBe("write");
    expect((err as CheckpointError).cause).toBeInstanceOf(Error);
    await expect(queued).rejects.toMatchObject({ reason: "chain" });
    expect(g.gates.length).toBe(2); // the refused delta never reached the backend
    stores[1]?.set("n", 42n);
    const next = cp.checkpoint({ src: { c: 4 } });
    await tick();
    g.gates[2]?.();
    const r = await next;
    expect(r.kind).toBe("full");
    expect(r.id).toBe(3); // ids of failed attempts are not reused
    const l = await loaded(g.backend);
    expect(l.contents).toEqual(mapsOf(stores)); // k1 and k2 changes are there
    expect(l.offsets).toEqual({ src: { c: 4 } });
  });

  it("a commit that landed but reported failure is superseded by the next full one", async () => {
    const stores = bigStores();
    const f = flaky();
    const cp = new Checkpointer(f.backend, () => stores);
    await cp.checkpoint({});
    f.failNext("after");
    stores[0]?.set("k5", 5);
    await expect(cp.checkpoint({})).rejects.toBeInstanceOf(CheckpointError);
    stores[0]?.set("k6", 6);
    const r = await cp.checkpoint({});
    expect([r.id, r.kind]).toEqual([3, "full"]);
    expect((await loaded(f.backend)).contents).toEqual(mapsOf(stores));
  });

  it("restores every store by id, clears stores without a chunk, and continues the chain with deltas", async () => {
    const backend = memoryBackend();
    const stores = bigStores();
    const writer = new Checkpointer(backend, () => stores);
    await writer.checkpoint({ src: { c: 1 } });
    stores[0]?.delete("k7");
    await writer.checkpoint({ src: { c: 2 } }, { fingerprint: "fp" });

    const a = new KeyedStore<unknown>("a");
    const b = new KeyedStore<unknown>("b");
    const extra = new KeyedStore<unknown>("extra");
    extra.set("stale", true);
    const reader = new Checkpointer(backend, () => [b, a, extra]);
    const r = await reader.restore();
    expect(r).toEqual({ id: 2, offsets: { src: { c: 2 } }, meta: { fingerprint: "fp" } });
    expect(mapsOf([a, b])).toEqual(mapsOf(stores));
    expect(extra.size).toBe(0);
    // A store without a chunk needs a full capture; after that, deltas.
    expect((await reader.checkpoint({})).kind).toBe("full");
    a.set("new", 1);
    expect((await reader.checkpoint({})).kind).toBe("delta");
    expect((await loaded(backend)).contents).toEqual(mapsOf([a, b, extra]));
  });

  it("continues with a delta right after restoring the same stores", async () => {
    const backend = memoryBackend();
    const stores = bigStores();
    await new Checkpointer(backend, () => stores).checkpoint({});
    const again = bigStores().map((s) => new KeyedStore<unknown>(s.id));
    const cp = new Checkpointer(backend, () => again);
    await cp.restore();
    again[0]?.set("k1", "x");
    const r = await cp.checkpoint({});
    expect([r.id, r.kind]).toEqual([2, "delta"]);
  });

  it("refuses a checkpoint holding a store the pipeline lacks, before touching any store", async () => {
    const backend = memoryBackend();
    await new Checkpointer(backend, () => bigStores()).checkpoint({});
    const a = new KeyedStore<unknown>("a");
    a.set("mine", 1);
    const err = await new Checkpointer(backend, () => [a]).restore().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).reason).toBe("unknown-store");
    expect((err as Error).message).toContain('"b"');
    expect(a.get("mine")).toBe(1);
  });

  it("returns undefined with nothing to restore and leaves the stores alone", async () => {
    const stores = bigStores();
    expect(await new Checkpointer(memoryBackend(), () => stores).restore()).toBeUndefined();
    expect(stores[0]?.size).toBe(1000);
  });

  it("numbers above what the backend holds when it did not restore", async () => {
    const backend = memoryBackend();
    const stores = bigStores();
    const first = new Checkpointer(backend, () => stores);
    for (let i = 0; i < 4; i++) await first.checkpoint({});
    const second = new Checkpointer(backend, () => stores);
    const r = await second.checkpoint({});
    expect([r.id, r.kind]).toEqual([5, "full"]);
    // Without newestId (a wrapper), it asks load().
    const bare: CheckpointBackend = {
      kind: "memory",
      load: () => backend.load(),
      commit: (x) => backend.commit(x),
      close: () => backend.close(),
    };
    const third = new Checkpointer(bare, () => stores);
    expect((await third.checkpoint({})).id).toBe(6);
  });

  it("rejects duplicate store ids and bad options", async () => {
    const cp = new Checkpointer(memoryBackend(), () => [new KeyedStore("x"), new KeyedStore("x")]);
    await expect(cp.checkpoint({})).rejects.toMatchObject({ reason: "duplicate-store" });
    expect(() => new Checkpointer(memoryBackend(), () => [], { fullEvery: 0 })).toThrow(InvalidOptionError);
  });

  it("property: with random failures and overlapping calls, the newest commit always restores its capture", async () => {
    const step = fc.oneof(
      fc.record({ t: fc.constant("set" as const), k: fc.integer({ min: 0, max: 30 }), v: fc.integer() }),
      fc.record({ t: fc.constant("delete" as const), k: fc.integer({ min: 0, max: 30 }) }),
      fc.record({
        t: fc.constant("checkpoint" as const),
        fail: fc.constantFrom(undefined, "before", "after"),
        wait: fc.boolean(),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), async (steps, fullEvery) => {
        const s = new KeyedStore<unknown>("s");
        const f = flaky();
        const cp = new Checkpointer(f.backend, () => [s], { fullEvery });
        const captured = new Map<number, Map<string, Map<string, unknown>>>(); // by offset
        const results: Promise<unknown>[] = [];
        let committedSeq = 0;
        let seq = 0;
        for (const st of steps) {
          if (st.t === "set") s.set(`k${st.k}`, st.v);
          else if (st.t === "delete") s.delete(`k${st.k}`);
          else {
            const at = ++seq;
            captured.set(at, mapsOf([s]));
            if (st.fail !== undefined) f.failNext(st.fail);
            const p = cp.checkpoint({ src: { c: at } }).then(
              () => {
                committedSeq = Math.max(committedSeq, at);
              },
              (e: unknown) => {
                if (!(e instanceof CheckpointError)) throw e;
              },
            );
            results.push(p);
            if (st.wait) await p;
          }
        }
        await Promise.all(results);
        const r = await f.backend.load();
        if (committedSeq === 0) return;
        const c = r?.offsets["src"]?.["c"] as number;
        // A commit reported as failed may still have landed ("after"): it is newer, and equally consistent.
        expect(c).toBeGreaterThanOrEqual(committedSeq);
        expect(contentsOf(r as NonNullable<typeof r>)).toEqual(captured.get(c));
      }),
      { numRuns: 150 },
    );
  });
});

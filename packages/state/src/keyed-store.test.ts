import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkChain, joinChunks, KeyedStore, type StateChunk } from "./keyed-store.js";

function restored<V>(id: string, chunks: readonly StateChunk[]): KeyedStore<V> {
  const s = new KeyedStore<V>(id);
  s.restore(chunks);
  return s;
}

function asMap<V>(s: KeyedStore<V>): Map<string, V> {
  return new Map(s.entries());
}

const VALUES: Record<string, unknown> = {
  int: 42,
  negative: -2147483649,
  float: 0.1,
  maxSafe: 2 ** 53 - 1,
  nan: Number.NaN,
  inf: Number.NEGATIVE_INFINITY,
  smallBig: 5n,
  hugeBig: 2n ** 70n + 1n,
  negBig: -(2n ** 63n),
  zeroBig: 0n,
  empty: "",
  unicode: "héllo ✓ 🚀",
  yes: true,
  no: false,
  nil: null,
  undef: undefined,
  bytes: new Uint8Array([0, 1, 255]),
  noBytes: new Uint8Array(0),
  interval: [1, 2, 3_000_000_000n],
  nested: { a: [1, { b: null, c: "x" }], d: new Uint8Array([9]), e: { f: [[1n, 2n], []] } },
  list: [null, 1, "two", [3]],
};

describe("KeyedStore", () => {
  it("round-trips every kind of plain value through a full chunk", () => {
    const s = new KeyedStore<unknown>("values");
    for (const [k, v] of Object.entries(VALUES)) s.set(k, v);
    const chunk = s.checkpoint(true);
    expect(chunk.storeId).toBe("values");
    expect(chunk.kind).toBe("full");
    const r = restored<unknown>("values", [chunk]);
    expect(asMap(r)).toEqual(new Map(Object.entries(VALUES)));
    expect(typeof r.get("smallBig")).toBe("bigint");
    expect(typeof r.get("maxSafe")).toBe("number");
    expect(r.get("bytes")).toBeInstanceOf(Uint8Array);
    expect(r.dirtyCount).toBe(0);
  });

  it("revives values as the store's reviver rebuilds them (a Map comes back from MessagePack as an object)", () => {
    const s = new KeyedStore<Map<string, number[]>>("m");
    s.set("a", new Map([["x,", [1, 2]]]));
    const chunk = s.checkpoint(true);
    expect(restored<unknown>("m", [chunk]).get("a")).toEqual({ "x,": [1, 2] });
    const revive = (v: unknown) => new Map(Object.entries(v as Record<string, number[]>));
    const back = new KeyedStore<Map<string, number[]>>("m", undefined, revive);
    back.restore([chunk], (_key, value) => value instanceof Map);
    expect(back.get("a")).toEqual(new Map([["x,", [1, 2]]]));
  });

  it("writes only changed keys in a delta, with tombstones for deletes", () => {
    const s = new KeyedStore<number>("s");
    for (let i = 0; i < 100; i++) s.set(`k${i}`, i);
    const full = s.checkpoint(true);
    s.set("k1", 1001);
    s.delete("k2");
    s.set("new", 7);
    s.delete("absent"); // never existed: not dirty
    expect(s.dirtyCount).toBe(3);
    const delta = s.checkpoint(false);
    expect(delta.kind).toBe("delta");
    expect(delta.bytes.length).toBeLessThan(full.bytes.length / 10);
    expect(s.dirtyCount).toBe(0);
    const r = restored<number>("s", [full, delta]);
    expect(asMap(r)).toEqual(asMap(s));
    expect(r.has("k2")).toBe(false);
    expect(r.get("k1")).toBe(1001);
  });

  it("replays several deltas in order (later writes win, delete then re-set)", () => {
    const s = new KeyedStore<string>("s");
    s.set("a", "1");
    const c0 = s.checkpoint(true);
    s.delete("a");
    const c1 = s.checkpoint(false);
    s.set("a", "3");
    s.set("b", "x");
    const c2 = s.checkpoint(false);
    s.delete("b");
    const c3 = s.checkpoint(false);
    expect(asMap(restored("s", [c0, c1]))).toEqual(new Map());
    expect(asMap(restored("s", [c0, c1, c2]))).toEqual(
      new Map([
        ["a", "3"],
        ["b", "x"],
      ]),
    );
    expect(asMap(restored("s", [c0, c1, c2, c3]))).toEqual(new Map([["a", "3"]]));
  });

  it("a key set and deleted between two checkpoints leaves a harmless tombstone", () => {
    const s = new KeyedStore<number>("s");
    const c0 = s.checkpoint(true);
    s.set("tmp", 1);
    s.delete("tmp");
    const c1 = s.checkpoint(false);
    expect(asMap(restored("s", [c0, c1]))).toEqual(new Map());
  });

  it("includes a value mutated in place only after touch()", () => {
    const s = new KeyedStore<{ n: number }>("s");
    s.set("a", { n: 1 });
    s.set("b", { n: 1 });
    const c0 = s.checkpoint(true);
    (s.get("a") as { n: number }).n = 2;
    s.touch("a");
    (s.get("b") as { n: number }).n = 2; // not touched: not in the delta
    const c1 = s.checkpoint(false);
    const r = restored<{ n: number }>("s", [c0, c1]);
    expect(r.get("a")).toEqual({ n: 2 });
    expect(r.get("b")).toEqual({ n: 1 });
  });

  it("restores only the entries keep() accepts: shards of a store split by key add up to it", () => {
    const s = new KeyedStore<{ k: string; n: number }>("s");
    for (let i = 0; i < 50; i++) s.set(`k${i}`, { k: `k${i}`, n: i });
    const c0 = s.checkpoint(true);
    for (let i = 0; i < 50; i += 3) s.delete(`k${i}`);
    s.set("k1", { k: "k1", n: 100 });
    const c1 = s.checkpoint(false);
    const whole = asMap(restored<{ k: string; n: number }>("s", [c0, c1]));
    const shards = [0, 1, 2].map((shard) => {
      const part = new KeyedStore<{ k: string; n: number }>("s");
      // Keyed by the value's field, as a shard routes a group by its group key.
      part.restore([c0, c1], (key, value) => {
        expect(value.k).toBe(key);
        return Number(key.slice(1)) % 3 === shard;
      });
      return asMap(part);
    });
    expect(shards.map((m) => m.size).reduce((a, b) => a + b)).toBe(whole.size);
    expect(new Map(shards.flatMap((m) => [...m]))).toEqual(whole);
    for (const [k] of shards[2] as Map<string, unknown>) expect(Number(k.slice(1)) % 3).toBe(2);
  });

  it("joins chunks of stores that split the keys into one chunk of the whole; refuses a mix of kinds or stores", () => {
    const a = new KeyedStore<number>("s");
    const b = new KeyedStore<number>("s");
    a.set("x", 1);
    b.set("y", 2);
    b.set("z", 3);
    const joined = joinChunks([a.checkpoint(true), b.checkpoint(true)]);
    expect(joined.kind).toBe("full");
    expect(asMap(restored("s", [joined]))).toEqual(
      new Map([
        ["x", 1],
        ["y", 2],
        ["z", 3],
      ]),
    );
    b.delete("z");
    const mixed = [a.checkpoint(true), b.checkpoint(false)];
    expect(() => joinChunks(mixed)).toThrow('joinChunks: a delta chunk of "s" with a full chunk of "s"');
    expect(() => joinChunks([a.checkpoint(true), new KeyedStore("t").checkpoint(true)])).toThrow(TypeError);
    expect(() => checkChain("s", [mixed[1] as StateChunk])).toThrow('state of "s" must start with a full chunk');
    expect(() => checkChain("t", [joined])).toThrow('chunk of store "s" given to "t"');
  });

  it("clear() writes a tombstone per key", () => {
    const s = new KeyedStore<number>("s");
    s.set("a", 1);
    s.set("b", 2);
    const c0 = s.checkpoint(true);
    s.clear();
    s.set("c", 3);
    expect(s.size).toBe(1);
    const c1 = s.checkpoint(false);
    expect(asMap(restored("s", [c0, c1]))).toEqual(new Map([["c", 3]]));
  });

  it("handles stores spanning many packed segments, full and delta", () => {
    const s = new KeyedStore<[number, string, bigint]>("big");
    for (let i = 0; i < 20_000; i++) s.set(`key-${i}`, [i, `v${i % 7}`, BigInt(i) * 3n]);
    const c0 = s.checkpoint(true);
    for (let i = 0; i < 20_000; i += 2) s.delete(`key-${i}`);
    for (let i = 1; i < 20_000; i += 3) s.set(`key-${i}`, [-i, "changed", -1n]);
    const c1 = s.checkpoint(false);
    expect(asMap(restored("big", [c0, c1]))).toEqual(asMap(s));
  });

  it("an empty store round-trips, and restore([]) empties a store", () => {
    const empty = new KeyedStore<number>("e");
    const c = empty.checkpoint(true);
    expect(restored("e", [c]).size).toBe(0);
    const s = new KeyedStore<number>("e");
    s.set("x", 1);
    s.restore([]);
    expect(s.size).toBe(0);
    expect(s.dirtyCount).toBe(0);
  });

  it("restore replaces earlier contents and clears the dirty set", () => {
    const src = new KeyedStore<number>("s");
    src.set("a", 1);
    const c = src.checkpoint(true);
    const dst = new KeyedStore<number>("s");
    dst.set("zzz", 9);
    dst.restore([c]);
    expect(asMap(dst)).toEqual(new Map([["a", 1]]));
    expect(dst.dirtyCount).toBe(0);
    expect(dst.checkpoint(false).kind).toBe("delta");
  });

  it("chunk bytes stay unchanged after later checkpoints", () => {
    const s = new KeyedStore<string>("s");
    s.set("a", "first");
    const c0 = s.checkpoint(true);
    const copy = Uint8Array.from(c0.bytes);
    for (let i = 0; i < 50; i++) {
      s.set(`k${i}`, "x".repeat(1000));
      s.checkpoint(i % 2 === 0);
    }
    expect(Uint8Array.from(c0.bytes)).toEqual(copy);
  });

  it("restored byte values are copies, independent of the chunk", () => {
    const s = new KeyedStore<Uint8Array>("s");
    s.set("b", new Uint8Array([1, 2, 3]));
    const c = s.checkpoint(true);
    const bytes = Uint8Array.from(c.bytes);
    const r = restored<Uint8Array>("s", [{ ...c, bytes }]);
    bytes.fill(0);
    expect(r.get("b")).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("rejects chunks of another store and chains that do not start full", () => {
    const s = new KeyedStore<number>("a");
    s.set("x", 1);
    const full = s.checkpoint(true);
    const delta = s.checkpoint(false);
    const other = new KeyedStore<number>("b");
    other.set("keep", 1);
    expect(() => other.restore([full])).toThrow(/chunk of store "a" given to "b"/);
    expect(other.get("keep")).toBe(1); // validation happens before anything changes
    expect(() => restored("a", [delta])).toThrow(/must start with a full chunk/);
  });

  it("property: random operations with checkpoints at random points restore to the map at each checkpoint", () => {
    const key = fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h");
    const value = fc.oneof(
      fc.integer(),
      fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
      fc.string(),
      fc.constant(null),
      fc.boolean(),
      fc.uint8Array({ maxLength: 8 }),
      fc.array(fc.oneof(fc.integer(), fc.string(), fc.bigInt()), { maxLength: 4 }),
      fc.record({ n: fc.integer(), s: fc.string(), l: fc.array(fc.bigInt(), { maxLength: 3 }) }),
    );
    const op = fc.oneof(
      fc.record({ t: fc.constant("set" as const), k: key, v: value }),
      fc.record({ t: fc.constant("delete" as const), k: key }),
      fc.record({ t: fc.constant("mutate" as const), k: key, v: fc.integer() }),
      fc.record({ t: fc.constant("clear" as const) }),
      fc.record({ t: fc.constant("checkpoint" as const), full: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const s = new KeyedStore<unknown>("p");
        const model = new Map<string, unknown>();
        const chunks: StateChunk[] = [];
        const expected: Map<string, unknown>[] = [];
        const chainAt: number[] = []; // index in `chunks` of the last full chunk at each checkpoint
        // Start with a full chunk so every later delta has a base.
        chunks.push(s.checkpoint(true));
        let lastFull = 0;
        for (const o of ops) {
          switch (o.t) {
            case "set":
              s.set(o.k, o.v);
              model.set(o.k, o.v);
              break;
            case "delete":
              s.delete(o.k);
              model.delete(o.k);
              break;
            case "mutate": {
              // In-place mutation of a container value, announced with touch().
              const v = s.get(o.k);
              if (v !== null && typeof v === "object" && !(v instanceof Uint8Array) && !Array.isArray(v)) {
                (v as { n: number }).n = o.v;
                s.touch(o.k);
                model.set(o.k, structuredClone(v));
              }
              break;
            }
            case "clear":
              s.clear();
              model.clear();
              break;
            case "checkpoint":
              chunks.push(s.checkpoint(o.full));
              if (o.full) lastFull = chunks.length - 1;
              chainAt.push(lastFull);
              expected.push(structuredClone(model));
              break;
          }
        }
        expected.forEach((want, i) => {
          // chunks[0] is the initial full chunk, so checkpoint i is chunks[i + 1].
          const chain = chunks.slice(chainAt[i], i + 2);
          expect(asMap(restored("p", chain))).toEqual(want);
        });
        // And the whole history from the first full chunk gives the same result as the last chain.
        if (expected.length > 0) expect(asMap(restored("p", chunks))).toEqual(expected[expected.length - 1]);
      }),
      { numRuns: 300 },
    );
  });
});

describe("KeyedStore change tracking", () => {
  it("remembers no changed keys while off, and then checkpoints in full", () => {
    const s = new KeyedStore<number>("untracked");
    s.tracksChanges = false;
    for (let i = 0; i < 100; i++) s.set(`k${i % 10}-${i}`, i);
    s.delete("k0-0");
    expect(s.dirtyCount).toBe(0);
    const chunk = s.checkpoint(false);
    expect(chunk.kind).toBe("full");
    const copy = new KeyedStore<number>("untracked");
    copy.restore([chunk]);
    expect([...copy.entries()]).toEqual([...s.entries()]);
  });

  it("after tracking is turned back on, the first checkpoint is full and the next a delta", () => {
    const s = new KeyedStore<number>("retracked");
    s.tracksChanges = false;
    s.set("a", 1);
    s.tracksChanges = true;
    s.set("b", 2);
    expect(s.checkpoint(false).kind).toBe("full");
    s.set("c", 3);
    const delta = s.checkpoint(false);
    expect(delta.kind).toBe("delta");
    expect(s.dirtyCount).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import { newestValidChain, prunable, type RecordInfo } from "./chain.js";
import type { StateChunk } from "./keyed-store.js";
import type { StoredRecord } from "./record-codec.js";

const bytes = new Uint8Array(0);
function rec(id: number, base: number | undefined, chunks: [string, "full" | "delta"][]): StoredRecord {
  return {
    id,
    base,
    offsets: { s: { c: id } },
    meta: {},
    chunks: chunks.map(([storeId, kind]): StateChunk => ({ storeId, kind, bytes })),
  };
}

function reader(records: StoredRecord[], missing: number[] = []) {
  const byId = new Map(records.map((r) => [r.id, r]));
  return {
    ids: records.map((r) => r.id),
    read: async (id: number) => (missing.includes(id) ? undefined : byId.get(id)),
  };
}

function kinds(chunks: ReadonlyMap<string, readonly StateChunk[]> | undefined, store: string) {
  return chunks?.get(store)?.map((c) => c.kind);
}

describe("newestValidChain", () => {
  const records = [
    rec(1, undefined, [
      ["a", "full"],
      ["b", "full"],
    ]),
    rec(2, 1, [
      ["a", "delta"],
      ["b", "delta"],
    ]),
    rec(3, undefined, [
      ["a", "full"],
      ["b", "full"],
    ]),
    rec(4, 3, [
      ["a", "delta"],
      ["b", "delta"],
    ]),
    rec(5, 4, [
      ["a", "delta"],
      ["b", "delta"],
    ]),
  ];

  it("follows base links back to the full chunk of every store", async () => {
    const { ids, read } = reader(records);
    const r = await newestValidChain(ids, read);
    expect(r?.restored.id).toBe(5);
    expect(kinds(r?.restored.chunks, "a")).toEqual(["full", "delta", "delta"]);
    expect(r?.restored.offsets).toEqual({ s: { c: 5 } });
  });

  it("falls back to the newest head whose chain is intact", async () => {
    expect((await newestValidChain(reader(records, [5]).ids, reader(records, [5]).read))?.restored.id).toBe(4);
    // A missing delta in the middle breaks 4 and 5; 3 stands alone.
    expect((await newestValidChain(reader(records, [4]).ids, reader(records, [4]).read))?.restored.id).toBe(3);
    // A missing full breaks its whole chain; the older chain is used.
    expect((await newestValidChain(reader(records, [3]).ids, reader(records, [3]).read))?.restored.id).toBe(2);
    expect(await newestValidChain(reader(records, [1, 3]).ids, reader(records, [1, 3]).read)).toBeUndefined();
  });

  it("never bridges a gap: a delta extends exactly its recorded base", async () => {
    // 11 was torn; 12 was written after restoring 10, so its base is 10, not 11.
    const rs = [rec(10, undefined, [["a", "full"]]), rec(11, 10, [["a", "delta"]]), rec(12, 10, [["a", "delta"]])];
    const { ids, read } = reader(rs, [11]);
    const r = await newestValidChain(ids, read);
    expect(r?.restored.id).toBe(12);
    expect(kinds(r?.restored.chunks, "a")).toEqual(["full", "delta"]);
  });

  it("handles stores with chains of different lengths and rejects a base that lacks a store", async () => {
    const rs = [
      rec(1, undefined, [["a", "full"]]),
      rec(2, 1, [
        ["a", "delta"],
        ["b", "full"],
      ]),
      rec(3, 2, [
        ["a", "delta"],
        ["b", "delta"],
      ]),
    ];
    const r = await newestValidChain(reader(rs).ids, reader(rs).read);
    expect(kinds(r?.restored.chunks, "a")).toEqual(["full", "delta", "delta"]);
    expect(kinds(r?.restored.chunks, "b")).toEqual(["full", "delta"]);
    const broken = [
      rec(1, undefined, [["a", "full"]]),
      rec(2, 1, [
        ["a", "delta"],
        ["b", "delta"],
      ]),
    ];
    const rb = await newestValidChain(reader(broken).ids, reader(broken).read);
    expect(rb?.restored.id).toBe(1);
  });

  it("reports every record it verified", async () => {
    const { ids, read } = reader(records, [5]);
    const r = await newestValidChain(ids, read);
    expect(r?.verified.map((i) => i.id).sort()).toEqual([3, 4]);
  });
});

describe("prunable", () => {
  const infos: RecordInfo[] = [
    { id: 1, base: undefined, full: true },
    { id: 2, base: 1, full: false },
    { id: 3, base: undefined, full: true },
    { id: 4, base: 3, full: false },
    { id: 5, base: undefined, full: true },
    { id: 6, base: 5, full: false },
  ];

  it("keeps the newest K full chains", () => {
    expect(prunable(infos, 1)).toEqual([1, 2, 3, 4]);
    expect(prunable(infos, 2)).toEqual([1, 2]);
    expect(prunable(infos, 3)).toEqual([]);
    expect(prunable(infos, 10)).toEqual([]);
  });

  it("keeps what a kept checkpoint still needs", () => {
    const odd: RecordInfo[] = [...infos, { id: 7, base: 2, full: false }];
    expect(prunable(odd, 1).sort()).toEqual([3, 4]);
  });

  it("deletes unverified ids only below the cutoff", () => {
    expect(prunable(infos, 2, [0, 4.5, 99])).toEqual([1, 2, 0]);
  });
});

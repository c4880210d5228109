import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { InvalidOptionError } from "@jetflow/core";
import { afterAll, describe, expect, it } from "vitest";
import type { CheckpointBackend, RestoredCheckpoint } from "./checkpoint-backend.js";
import { Checkpointer } from "./checkpointer.js";
import { CheckpointError } from "./errors.js";
import { filesystemBackend } from "./filesystem-backend.js";
import { KeyedStore } from "./keyed-store.js";
import { backendContract, contentsOf, mapsOf, recordOf } from "./testing/backend-contract.js";
import { startWriter } from "./testing/child.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-fs-backend-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => path.join(root, `state-${++n}`);

const fileOf = (dir: string, id: number) => path.join(dir, `checkpoint-${String(id).padStart(12, "0")}.jfck`);
const ids = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".jfck"))
    .map((f) => Number(f.slice(11, 23)))
    .sort((a, b) => a - b);

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

/** Commits 1F 2D 3D 4F 5D 6D and returns the stores' contents after each. */
async function sixCheckpoints(backend: CheckpointBackend): Promise<Map<string, Map<string, unknown>>[]> {
  const s = new KeyedStore<unknown>("s");
  const after: Map<string, Map<string, unknown>>[] = [new Map()];
  for (let id = 1; id <= 6; id++) {
    for (let i = 0; i < 20; i++) s.set(`k${(id * 13 + i) % 50}`, [id, i]);
    s.delete(`k${id}`);
    await backend.commit(recordOf(id, [s], id % 3 === 1));
    after.push(mapsOf([s]));
  }
  return after;
}

describe("filesystemBackend", () => {
  backendContract(async () => {
    const dir = freshDir();
    let current = filesystemBackend(dir);
    return {
      backend: current,
      async reopen() {
        await current.close();
        current = filesystemBackend(dir);
        return current;
      },
      async dispose() {
        await current.close();
      },
    };
  });

  it("falls back past a torn newest file (truncated)", async () => {
    const dir = freshDir();
    const backend = filesystemBackend(dir);
    const after = await sixCheckpoints(backend);
    await backend.close();
    const file = fileOf(dir, 6);
    fs.truncateSync(file, fs.statSync(file).size - 7);
    const again = filesystemBackend(dir);
    const r = (await again.load()) as RestoredCheckpoint;
    expect(r.id).toBe(5);
    expect(contentsOf(r)).toEqual(after[5]);
    await again.close();
  });

  it("falls back past a corrupt file (one flipped byte) and past a missing delta", async () => {
    const dir = freshDir();
    const backend = filesystemBackend(dir);
    const after = await sixCheckpoints(backend);
    await backend.close();
    const bytes = fs.readFileSync(fileOf(dir, 6));
    const mid = Math.floor(bytes.length / 2);
    bytes[mid] = (bytes[mid] as number) ^ 0x40;
    fs.writeFileSync(fileOf(dir, 6), bytes);
    let b = filesystemBackend(dir);
    expect((await b.load())?.id).toBe(5);
    await b.close();
    // Without delta 5, checkpoint 6 (if intact) could not be replayed either; 4 is a full one.
    fs.rmSync(fileOf(dir, 5));
    b = filesystemBackend(dir);
    let r = (await b.load()) as RestoredCheckpoint;
    expect(r.id).toBe(4);
    expect(contentsOf(r)).toEqual(after[4]);
    await b.close();
    // Without the full checkpoint 4, the whole newer chain is gone: the previous chain ends at 3.
    fs.rmSync(fileOf(dir, 4));
    b = filesystemBackend(dir);
    r = (await b.load()) as RestoredCheckpoint;
    expect(r.id).toBe(3);
    expect(contentsOf(r)).toEqual(after[3]);
    expect(r.chunks.get("s")?.map((c) => c.kind)).toEqual(["full", "delta", "delta"]);
    // New checkpoints continue above every id on disk, extending what was loaded.
    expect(await b.newestId?.()).toBe(6);
    const s = new KeyedStore<unknown>("s");
    s.restore(r.chunks.get("s") ?? []);
    s.set("new", 1);
    await b.commit(recordOf(7, [s], false));
    await b.close();
    b = filesystemBackend(dir);
    r = (await b.load()) as RestoredCheckpoint;
    expect(r.id).toBe(7);
    expect(contentsOf(r)).toEqual(mapsOf([s]));
    await b.close();
  });

  it("with a Checkpointer: restores past a torn newest checkpoint and continues above its id", async () => {
    const dir = freshDir();
    const backend = filesystemBackend(dir);
    const after = await sixCheckpoints(backend);
    await backend.close();
    fs.truncateSync(fileOf(dir, 6), 100);
    const s = new KeyedStore<unknown>("s");
    const reopened = filesystemBackend(dir);
    const cp = new Checkpointer(reopened, () => [s]);
    expect((await cp.restore())?.id).toBe(5);
    expect(mapsOf([s])).toEqual(after[5]);
    s.set("next", 1);
    const r = await cp.checkpoint({});
    expect([r.id, r.kind]).toEqual([7, "delta"]);
    await reopened.close();
    const last = filesystemBackend(dir);
    const loaded = (await last.load()) as RestoredCheckpoint;
    expect(loaded.id).toBe(7);
    expect(contentsOf(loaded)).toEqual(mapsOf([s]));
    await last.close();
  });

  it("returns undefined when nothing is intact", async () => {
    const dir = freshDir();
    const backend = filesystemBackend(dir);
    await sixCheckpoints(backend);
    await backend.close();
    for (const id of [1, 4]) fs.writeFileSync(fileOf(dir, id), "garbage");
    const b = filesystemBackend(dir);
    expect(await b.load()).toBeUndefined();
    await b.close();
  });

  it("keeps the last K full chains", async () => {
    const dir = freshDir();
    const keep1 = filesystemBackend(dir, { keep: 1 });
    await sixCheckpoints(keep1);
    expect(ids(dir)).toEqual([4, 5, 6]);
    await keep1.close();

    const dir2 = freshDir();
    const keep2 = filesystemBackend(dir2, { keep: 2 });
    await sixCheckpoints(keep2);
    expect(ids(dir2)).toEqual([1, 2, 3, 4, 5, 6]);
    const s = new KeyedStore<unknown>("s");
    s.set("z", 1);
    await keep2.commit(recordOf(7, [s], true));
    expect(ids(dir2)).toEqual([4, 5, 6, 7]);
    await keep2.close();
    // The default keeps 3; files a previous process left (never loaded) are pruned too.
    const dflt = filesystemBackend(dir2);
    for (let id = 8; id <= 10; id++) await dflt.commit(recordOf(id, [s], true));
    expect(ids(dir2)).toEqual([8, 9, 10]);
    await dflt.close();
  });

  it("never prunes a chain on the strength of a torn full file", async () => {
    const dir = freshDir();
    const b = filesystemBackend(dir, { keep: 1 });
    const s = new KeyedStore<unknown>("s");
    s.set("a", 1);
    await b.commit(recordOf(1, [s], true));
    await b.close();
    // A newer full checkpoint whose header is intact but whose body is torn.
    const full2 = fs.readFileSync(fileOf(dir, 1));
    fs.writeFileSync(fileOf(dir, 2), full2.subarray(0, full2.length - 10));
    const again = filesystemBackend(dir, { keep: 1 });
    const r = await again.load();
    expect(r?.id).toBe(1);
    s.set("b", 2);
    await again.commit(recordOf(3, [s], false));
    expect(ids(dir)).toContain(1);
    await again.close();
    const last = filesystemBackend(dir, { keep: 1 });
    expect(contentsOf((await last.load()) as RestoredCheckpoint)).toEqual(mapsOf([s]));
    await last.close();
  });

  it("removes temp files of commits that never reached their rename", async () => {
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "checkpoint-9.12345.tmp"), "partial");
    const b = filesystemBackend(dir);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(await b.load()).toBeUndefined();
    await b.close();
  });

  it("a failed write is reported, and only a full checkpoint may follow", async () => {
    const dir = freshDir();
    const b = filesystemBackend(dir);
    const s = new KeyedStore<unknown>("s");
    s.set("a", 1);
    await b.commit(recordOf(1, [s], true));
    // A directory where the temp file should go makes the open fail.
    fs.mkdirSync(path.join(dir, `checkpoint-2.${process.pid}.tmp`));
    const err = await b.commit(recordOf(2, [s], false)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).reason).toBe("write");
    expect((err as CheckpointError).message).toContain(dir);
    await expect(b.commit(recordOf(3, [s], false))).rejects.toMatchObject({ reason: "chain" });
    await b.commit(recordOf(4, [s], true));
    expect((await b.load())?.id).toBe(4);
    await b.close();
  });

  it("validates keep", () => {
    expect(() => filesystemBackend(freshDir(), { keep: 0 })).toThrow(InvalidOptionError);
    expect(() => filesystemBackend(freshDir(), { keep: 1.5 })).toThrow(/keep must be an integer/);
  });

  describe("lock", () => {
    it("a second backend on one directory in the same process fails until the first closes", async () => {
      const dir = freshDir();
      const first = filesystemBackend(dir);
      const err = thrown(() => filesystemBackend(`${dir}/./`));
      expect(err).toBeInstanceOf(CheckpointError);
      expect((err as CheckpointError).reason).toBe("locked");
      expect((err as Error).message).toContain(dir);
      await first.close();
      const second = filesystemBackend(dir);
      await second.close();
      expect(fs.existsSync(path.join(dir, "LOCK"))).toBe(false);
    });

    it("another live process holding the directory makes it fail, naming the directory and the pid", async () => {
      const dir = freshDir();
      const child = startWriter(dir, "hold");
      try {
        await child.waitFor(/^locked$/);
        const err = thrown(() => filesystemBackend(dir));
        expect(err).toBeInstanceOf(CheckpointError);
        expect((err as CheckpointError).reason).toBe("locked");
        expect((err as Error).message).toContain(dir);
        expect((err as Error).message).toContain(String(child.proc.pid));
      } finally {
        await child.kill();
      }
      // Killed without releasing: the stale lock is taken over.
      const b = filesystemBackend(dir);
      await b.close();
    });

    it("takes over a lock whose owner no longer exists", async () => {
      const dir = freshDir();
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "LOCK"), "999999999\n");
      const b = filesystemBackend(dir);
      expect(fs.readFileSync(path.join(dir, "LOCK"), "utf8").trim()).toBe(String(process.pid));
      await b.close();
    });
  });
});

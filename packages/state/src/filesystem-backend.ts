import { InvalidOptionError, messageOf } from "@jetflow/core";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { baseForCommit, infoOf, newestValidChain, prunable, type RecordInfo } from "./chain.js";
import type { CheckpointBackend, CheckpointRecord, RestoredCheckpoint } from "./checkpoint-backend.js";
import { DirLock } from "./dir-lock.js";
import { CheckpointError } from "./errors.js";
import { CorruptRecordError, decodeRecord, encodeRecord, type StoredRecord } from "./record-codec.js";

/** Options of {@link filesystemBackend}. */
export interface FilesystemBackendOptions {
  /**
   * How many full chains to keep: the newest `keep` full checkpoints and the deltas after each.
   * More than one lets a restart fall back when the newest chain turns out damaged.
   * @default 3
   */
  keep?: number;
}

interface ResolvedFilesystemOptions {
  readonly keep: number;
}

/** Applies defaults and validates; errors name the option and the accepted values. */
export function resolveFilesystemOptions(opts: FilesystemBackendOptions = {}): ResolvedFilesystemOptions {
  const keep = opts.keep ?? 3;
  if (!Number.isSafeInteger(keep) || keep < 1) {
    throw new InvalidOptionError("keep", `keep must be an integer of at least 1 (full chains to keep), got ${keep}`);
  }
  return { keep };
}

const FILE = /^checkpoint-(\d{1,15})\.jfck$/;
const TEMP = /^checkpoint-\d+\.\d+\.tmp$/;

function fileName(id: number): string {
  return `checkpoint-${String(id).padStart(12, "0")}.jfck`;
}

/**
 * Checkpoints in a state directory, one file per checkpoint. A commit writes a temp file, fsyncs
 * it, renames it into place and fsyncs the directory, so a crash leaves either the new file or
 * none; a torn or corrupt file (checksum) is skipped by `load()`, which falls back to the newest
 * intact chain. A `LOCK` file makes a second process on the same directory fail with an error
 * naming it (a lock left by a killed process is taken over).
 *
 * @throws CheckpointError `locked` when the directory is in use; InvalidOptionError for a bad `keep`
 * @example
 * ```ts
 * const backend = filesystemBackend("./state", { keep: 2 });
 * const checkpointer = new Checkpointer(backend, () => stores);
 * const restored = await checkpointer.restore();
 * ```
 */
export function filesystemBackend(dir: string, opts?: FilesystemBackendOptions): CheckpointBackend {
  const resolved = resolveFilesystemOptions(opts);
  return new FilesystemBackend(dir, resolved, DirLock.acquire(dir));
}

class FilesystemBackend implements CheckpointBackend {
  readonly kind = "filesystem" as const;
  /** Ids of the checkpoint files in the directory (intact or not). */
  private readonly onDisk = new Set<number>();
  /** Checkpoints known intact: committed by this backend or verified by `load()`. */
  private readonly verified = new Map<number, RecordInfo>();
  private lastCommitted: number | undefined;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly opts: ResolvedFilesystemOptions,
    private readonly lock: DirLock,
  ) {
    try {
      for (const name of fs.readdirSync(dir)) {
        const m = FILE.exec(name);
        if (m !== null) this.onDisk.add(Number(m[1]));
        // A temp file is a commit that never reached its rename.
        else if (TEMP.test(name)) fs.rmSync(path.join(dir, name), { force: true });
      }
    } catch (e) {
      lock.release();
      throw new CheckpointError("read", `cannot list the state directory ${dir}: ${messageOf(e)}`, { cause: e });
    }
  }

  async load(): Promise<RestoredCheckpoint | undefined> {
    this.check();
    const found = await newestValidChain(this.onDisk, (id) => this.read(id));
    for (const info of found?.verified ?? []) this.verified.set(info.id, info);
    this.lastCommitted = found?.restored.id;
    return found?.restored;
  }

  async commit(record: CheckpointRecord): Promise<void> {
    this.check();
    const base = baseForCommit(record, this.lastCommitted, await this.newestId(), this.dir);
    // Until this commit is known durable, the next delta has no trustworthy base.
    this.lastCommitted = undefined;
    this.onDisk.add(record.id);
    const file = path.join(this.dir, fileName(record.id));
    const tmp = path.join(this.dir, `checkpoint-${record.id}.${process.pid}.tmp`);
    try {
      const { parts } = encodeRecord(record, base);
      const fh = await fsp.open(tmp, "w");
      try {
        for (const part of parts) await writeAll(fh, part);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, file);
      await syncDir(this.dir);
    } catch (e) {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw new CheckpointError("write", `could not write checkpoint ${record.id} to ${this.dir}: ${messageOf(e)}`, {
        cause: e,
      });
    }
    this.lastCommitted = record.id;
    this.verified.set(record.id, infoOf({ id: record.id, base, chunks: record.chunks }));
    await this.prune();
  }

  async newestId(): Promise<number | undefined> {
    let max: number | undefined;
    for (const id of this.onDisk) if (max === undefined || id > max) max = id;
    return max;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lock.release();
  }

  private async read(id: number): Promise<StoredRecord | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await fsp.readFile(path.join(this.dir, fileName(id)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new CheckpointError("read", `cannot read checkpoint ${id} in ${this.dir}: ${messageOf(e)}`, { cause: e });
    }
    try {
      const r = decodeRecord(bytes);
      return r.id === id ? r : undefined;
    } catch (e) {
      if (e instanceof CorruptRecordError) return undefined;
      throw e;
    }
  }

  /** Deletes what is older than the newest `keep` full chains. Best effort: the commit already happened. */
  private async prune(): Promise<void> {
    const unverified = [...this.onDisk].filter((id) => !this.verified.has(id));
    for (const id of prunable([...this.verified.values()], this.opts.keep, unverified)) {
      try {
        await fsp.rm(path.join(this.dir, fileName(id)), { force: true });
        this.onDisk.delete(id);
        this.verified.delete(id);
      } catch {
        // Left for the next prune.
      }
    }
  }

  private check(): void {
    if (this.closed) throw new CheckpointError("closed", `the checkpoint backend of ${this.dir} is closed`);
  }
}

async function writeAll(fh: fsp.FileHandle, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    const { bytesWritten } = await fh.write(bytes, at, bytes.length - at);
    at += bytesWritten;
  }
}

/** Makes a rename in `dir` durable. Windows cannot open a directory; its renames are journaled. */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === "win32") return;
  const d = await fsp.open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

import { baseForCommit, infoOf, newestValidChain, prunable } from "./chain.js";
import type { CheckpointBackend, CheckpointRecord, RestoredCheckpoint } from "./checkpoint-backend.js";
import { CheckpointError } from "./errors.js";
import type { StoredRecord } from "./record-codec.js";

/**
 * The default backend: checkpoints live in this process only (nothing survives a restart). It keeps
 * the newest full chain, so `load()` works the same as with the durable backends.
 *
 * @example
 * ```ts
 * const checkpointer = new Checkpointer(memoryBackend(), () => stores);
 * ```
 */
export function memoryBackend(): CheckpointBackend {
  return new MemoryBackend();
}

class MemoryBackend implements CheckpointBackend {
  readonly kind = "memory" as const;
  private readonly records = new Map<number, StoredRecord>();
  private lastCommitted: number | undefined;
  private newest: number | undefined;
  private closed = false;

  async load(): Promise<RestoredCheckpoint | undefined> {
    this.check();
    const found = await newestValidChain(this.records.keys(), async (id) => this.records.get(id));
    this.lastCommitted = found?.restored.id;
    return found?.restored;
  }

  async commit(record: CheckpointRecord): Promise<void> {
    this.check();
    const base = baseForCommit(record, this.lastCommitted, this.newest, "the memory backend");
    const stored: StoredRecord = {
      id: record.id,
      base,
      offsets: structuredClone(record.offsets),
      meta: { ...record.meta },
      chunks: [...record.chunks],
    };
    this.records.set(record.id, stored);
    this.lastCommitted = record.id;
    this.newest = record.id;
    for (const id of prunable([...this.records.values()].map(infoOf), 1)) this.records.delete(id);
  }

  async newestId(): Promise<number | undefined> {
    return this.newest;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.records.clear();
  }

  private check(): void {
    if (this.closed) throw new CheckpointError("closed", "the memory checkpoint backend is closed");
  }
}

import { messageOf, wholeNumberOption } from "@jetflow/core";
import type { CheckpointBackend } from "./checkpoint-backend.js";
import { CheckpointError } from "./errors.js";
import type { KeyedStore, StateChunk } from "./keyed-store.js";

/** Options of {@link Checkpointer}. */
export interface CheckpointerOptions {
  /**
   * The longest chain: after `fullEvery - 1` deltas the next checkpoint is full (1: always full).
   * Independently, a checkpoint is full when the deltas since the last full one add up to at least its
   * size, or when as many keys changed as the stores hold.
   * @default 100
   */
  fullEvery?: number;
}

interface ResolvedCheckpointerOptions {
  readonly fullEvery: number;
}

/** Applies defaults and validates; errors name the option and the accepted values. */
export function resolveCheckpointerOptions(opts: CheckpointerOptions = {}): ResolvedCheckpointerOptions {
  return { fullEvery: wholeNumberOption("fullEvery", opts.fullEvery, 100, 1) };
}

/** What one committed checkpoint reports. */
export interface CheckpointResult {
  readonly id: number;
  readonly kind: "full" | "delta";
  /** Total size of the store chunks. */
  readonly bytes: number;
  /** From the call (the capture) to the commit. */
  readonly durationMs: number;
}

/** What {@link Checkpointer.restore} returns. */
export interface RestoreResult {
  readonly id: number;
  readonly offsets: Record<string, Record<string, number>>;
  readonly meta: Record<string, string>;
}

/**
 * Decides full vs delta and drives a backend. The pipeline calls `checkpoint()` between batches.
 *
 * - The capture is synchronous: every store's chunk and a copy of the offsets are taken in the
 *   call itself, before it returns its promise, so they describe the same instant. The write is
 *   asynchronous and batches may keep flowing meanwhile; the next capture is a delta relative to
 *   this one.
 * - Concurrent calls are serialized, never coalesced: each call captures at once (its offsets must
 *   match its state) and its write waits for the writes before it, in call order.
 * - A failed write: that call rejects with a {@link CheckpointError}; any delta captured after it
 *   (queued behind it) rejects too, since its base never committed; and the next capture is FULL,
 *   so the keys whose changes those deltas carried are never lost.
 *
 * @example
 * ```ts
 * const checkpointer = new Checkpointer(filesystemBackend("./state"), () => [table, counts]);
 * const restored = await checkpointer.restore(); // resume sources after restored?.offsets
 * // ... between two batches:
 * const { id, kind } = await checkpointer.checkpoint({ orders: { c1: 1042 } }, { fingerprint });
 * ```
 */
export class Checkpointer {
  private readonly opts: ResolvedCheckpointerOptions;
  /** The next capture must be full: nothing committed yet, a write failed, or the stores changed. */
  private needFull = true;
  private storeIds: readonly string[] = [];
  private deltasSinceFull = 0;
  private lastFullBytes = 0;
  private deltaBytesSinceFull = 0;
  /** Highest id used or seen; undefined until the backend was asked. */
  private lastId: number | undefined;
  /** Whether the newest write in order committed (a delta after a failed write cannot). */
  private lastWriteOk = true;
  /** The tail of the write queue. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly backend: CheckpointBackend,
    private readonly stores: () => Iterable<KeyedStore<unknown>>,
    opts?: CheckpointerOptions,
  ) {
    this.opts = resolveCheckpointerOptions(opts);
  }

  /** Makes the next checkpoint full (e.g. after the caller replaced the stores' contents itself). */
  requestFull(): void {
    this.needFull = true;
  }

  /**
   * Captures every store's chunk synchronously (the state between two batches), then writes it
   * after the writes already queued. Resolves when committed.
   * @throws CheckpointError when the write fails, or (reason `chain`) when this is a delta whose base failed
   */
  checkpoint(
    offsets: Record<string, Record<string, number>>,
    meta: Record<string, string> = {},
  ): Promise<CheckpointResult> {
    const started = performance.now();
    let chunks: StateChunk[];
    let full: boolean;
    try {
      const stores = this.uniqueStores();
      full = this.decideFull(stores);
      chunks = stores.map((s) => s.checkpoint(full));
    } catch (e) {
      return Promise.reject(e);
    }
    const record = { offsets: copyOffsets(offsets), meta: { ...meta }, chunks };
    const bytes = chunks.reduce((n, c) => n + c.bytes.length, 0);
    this.account(full, bytes, chunks);
    const write = this.tail.then(async (): Promise<CheckpointResult> => {
      if (!full && !this.lastWriteOk) {
        this.needFull = true;
        throw new CheckpointError("chain", "delta checkpoint skipped: the checkpoint it extends failed to commit");
      }
      const id = (await this.newestId()) + 1;
      this.lastId = id;
      try {
        await this.backend.commit({ id, ...record });
      } catch (e) {
        this.lastWriteOk = false;
        this.needFull = true;
        throw e instanceof CheckpointError
          ? e
          : new CheckpointError("write", `checkpoint ${id} failed: ${messageOf(e)}`, { cause: e });
      }
      this.lastWriteOk = true;
      return { id, kind: full ? "full" : "delta", bytes, durationMs: performance.now() - started };
    });
    this.tail = write.catch(() => undefined);
    return write;
  }

  /**
   * Loads the newest valid checkpoint into the stores (by store id) and returns its offsets and meta,
   * or undefined when the backend has none (the stores are then left as they are). Stores without a
   * chunk are cleared. Waits for queued writes first.
   * @throws CheckpointError `unknown-store` when the checkpoint holds a store id the pipeline lacks
   */
  restore(): Promise<RestoreResult | undefined> {
    const run = this.tail.then(async (): Promise<RestoreResult | undefined> => {
      const r = await this.backend.load();
      if (r === undefined) return undefined;
      const stores = this.uniqueStores();
      const ids = new Set(stores.map((s) => s.id));
      for (const storeId of r.chunks.keys()) {
        if (!ids.has(storeId)) {
          throw new CheckpointError(
            "unknown-store",
            `checkpoint ${r.id} holds state for "${storeId}", which this pipeline does not have (the pipeline changed)`,
          );
        }
      }
      for (const s of stores) s.restore(r.chunks.get(s.id) ?? []);
      // Newer but unusable checkpoints (torn, broken chain) may exist: number above them too.
      this.lastId = Math.max(this.lastId ?? 0, r.id, (await this.backend.newestId?.()) ?? 0);
      this.lastWriteOk = true;
      // Deltas may extend the restored chain; a store that had no chunk needs a full capture.
      this.needFull = stores.some((s) => !r.chunks.has(s.id));
      this.storeIds = stores.map((s) => s.id);
      this.lastFullBytes = 0;
      this.deltaBytesSinceFull = 0;
      this.deltasSinceFull = 0;
      for (const chain of r.chunks.values()) {
        chain.forEach((c, i) => {
          if (i === 0) this.lastFullBytes += c.bytes.length;
          else this.deltaBytesSinceFull += c.bytes.length;
        });
        this.deltasSinceFull = Math.max(this.deltasSinceFull, chain.length - 1);
      }
      return { id: r.id, offsets: r.offsets, meta: r.meta };
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private uniqueStores(): KeyedStore<unknown>[] {
    const stores = [...this.stores()];
    const seen = new Set<string>();
    for (const s of stores) {
      if (seen.has(s.id)) throw new CheckpointError("duplicate-store", `two state stores share the id "${s.id}"`);
      seen.add(s.id);
    }
    return stores;
  }

  private decideFull(stores: readonly KeyedStore<unknown>[]): boolean {
    if (this.needFull) return true;
    if (this.deltasSinceFull + 1 >= this.opts.fullEvery) return true;
    if (this.deltaBytesSinceFull >= this.lastFullBytes && this.deltasSinceFull > 0) return true;
    if (
      !sameIds(
        stores.map((s) => s.id),
        this.storeIds,
      )
    )
      return true;
    let dirty = 0;
    let size = 0;
    for (const s of stores) {
      dirty += s.dirtyCount;
      size += s.size;
    }
    return dirty > 0 && dirty >= size;
  }

  private account(full: boolean, bytes: number, chunks: readonly StateChunk[]): void {
    this.needFull = false;
    this.storeIds = chunks.map((c) => c.storeId);
    if (full) {
      this.lastFullBytes = bytes;
      this.deltaBytesSinceFull = 0;
      this.deltasSinceFull = 0;
    } else {
      this.deltaBytesSinceFull += bytes;
      this.deltasSinceFull++;
    }
  }

  /** The highest id the backend stores (asked once), so new ids continue above it. */
  private async newestId(): Promise<number> {
    if (this.lastId === undefined) {
      const newest =
        this.backend.newestId !== undefined ? await this.backend.newestId() : (await this.backend.load())?.id;
      this.lastId = newest ?? 0;
    }
    return this.lastId;
  }
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(b);
  return a.every((id) => set.has(id));
}

function copyOffsets(offsets: Record<string, Record<string, number>>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [source, perConsumer] of Object.entries(offsets)) out[source] = { ...perConsumer };
  return out;
}

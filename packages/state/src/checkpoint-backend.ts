import type { StateChunk } from "./keyed-store.js";

/**
 * What one checkpoint holds: the state of every store plus the source offsets it corresponds to.
 *
 * @example
 * ```ts
 * const record: CheckpointRecord = {
 *   id: 7,
 *   offsets: { orders: { "orders-consumer": 1042 } },
 *   chunks: [store.checkpoint(false)],
 *   meta: { fingerprint: "3f2a…" },
 * };
 * ```
 */
export interface CheckpointRecord {
  /** Increasing: every commit to a backend uses an id above all it stores. */
  id: number;
  /** Per source name, per consumer key, last processed stream sequence. */
  offsets: Record<string, Record<string, number>>;
  /** One chunk per store; kind full or delta relative to the previous checkpoint. */
  chunks: readonly StateChunk[];
  /** Free-form, e.g. a fingerprint of the pipeline definition so a changed SQL file is detected on restore. */
  meta: Record<string, string>;
}

/** A checkpoint as a backend loads it back: per store, the chunks to replay. */
export interface RestoredCheckpoint {
  id: number;
  offsets: Record<string, Record<string, number>>;
  meta: Record<string, string>;
  /** Per store id, the chain to replay: a full chunk followed by deltas, in order. */
  chunks: ReadonlyMap<string, readonly StateChunk[]>;
}

/**
 * Where checkpoints go. A delta chunk is relative to the checkpoint committed just before it
 * through the same backend (or the one `load()` returned): backends record that base, so a
 * chain is followed exactly and a gap (a missing or corrupt link) is detected, never bridged.
 *
 * Implementations: {@link memoryBackend}, {@link filesystemBackend}, {@link natsBackend}.
 *
 * @example
 * ```ts
 * const backend = filesystemBackend("./state");
 * const last = await backend.load(); // undefined on the first run
 * await backend.commit({ id: (last?.id ?? 0) + 1, offsets, chunks, meta: {} });
 * await backend.close();
 * ```
 */
export interface CheckpointBackend {
  readonly kind: "memory" | "filesystem" | "nats";
  /**
   * The newest valid checkpoint, or undefined. Torn/corrupt checkpoints are detected (checksums) and
   * skipped: the result is the newest checkpoint whose whole chain (last full + following deltas) is valid.
   * Later delta commits extend the checkpoint returned here.
   */
  load(): Promise<RestoredCheckpoint | undefined>;
  /**
   * Durable and atomic when it resolves: a crash after it restores this checkpoint, a crash during it the
   * previous. After a failed commit, the next commit must be full (the base is uncertain).
   * @throws CheckpointError `id` when the id is not above every stored one, `chain` for a delta without base
   */
  commit(record: CheckpointRecord): Promise<void>;
  /**
   * The highest checkpoint id stored (valid or not), so a new writer numbers above it; undefined when
   * empty. Optional so wrappers may omit it; the {@link Checkpointer} then relies on `load()`.
   */
  newestId?(): Promise<number | undefined>;
  /** Releases what the backend holds (a lock file); later calls fail with reason `closed`. */
  close(): Promise<void>;
}

import { InvalidOptionError, messageOf } from "@jetflow/core";
import { type JetStreamClient, type JetStreamManager, jetstream } from "@nats-io/jetstream";
import { type ObjectStore, Objm, setSha256Backend } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  baseForCommit,
  type CheckpointBackend,
  CheckpointError,
  type CheckpointRecord,
  decodeRecord,
  encodeRecordBytes,
  type RestoredCheckpoint,
  readObject,
  type StateChunk,
  type StoredRecord,
} from "@jetflow/state";
import { isNameToken } from "./group-keys.js";

/**
 * What a partition task commits (fenced) as its partition's pointer: the chain of checkpoint
 * objects to restore, in the group's state bucket. JSON-able, so it travels in the group's KV.
 *
 * @example
 * ```ts
 * const p: PartitionPointer = { v: 1, id: 12, chain: ["orders/p3/Xa9…/10", "orders/p3/Xa9…/11", "orders/p3/Xa9…/12"] };
 * ```
 */
export interface PartitionPointer {
  readonly v: 1;
  /** The newest checkpoint id of the chain (its last object). */
  readonly id: number;
  /** Object names: the full checkpoint first, then the deltas after it, in order. */
  readonly chain: readonly string[];
}

/** Whether `x` is a {@link PartitionPointer} (a pointer an older kind of task committed is not). */
export function isPartitionPointer(x: unknown): x is PartitionPointer {
  const p = x as Partial<Record<keyof PartitionPointer, unknown>>;
  return (
    typeof p === "object" &&
    p !== null &&
    p.v === 1 &&
    Number.isSafeInteger(p.id) &&
    (p.id as number) >= 1 &&
    Array.isArray(p.chain) &&
    p.chain.length > 0 &&
    p.chain.every((n: unknown) => typeof n === "string" && n.length > 0)
  );
}

/** What a {@link PartitionBackend} is built from. */
export interface PartitionBackendOptions {
  /** The group's state bucket (see {@link openStateBucket}). */
  readonly os: ObjectStore;
  /** Reads the bucket's objects (a message get per chunk: no consumer left behind, see `readObject`). */
  readonly jsm: JetStreamManager;
  /** The group name: letters, digits, `-`, `_`. */
  readonly group: string;
  readonly partition: number;
  /** Unique per task incarnation (a nuid): objects are named under it, so two owners never write one name. */
  readonly owner: string;
  /** The pointer last committed for the partition; undefined when there is none. */
  readonly from: PartitionPointer | undefined;
}

/** The commit waiting at the gate, and how to settle it. */
interface Waiting {
  readonly pointer: PartitionPointer;
  /** The offsets its record holds. */
  readonly offsets: CheckpointRecord["offsets"];
  readonly resolve: (replaced: PartitionPointer | undefined) => void;
  readonly reject: (e: CheckpointError) => void;
}

/** A caller of `written()` waiting for the next commit to reach the gate. */
interface Watcher {
  readonly resolve: (p: PartitionPointer) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * The checkpoints of one partition task, in the group's object store, committed only through the
 * partition's fenced pointer. Invariant: a checkpoint counts (later deltas extend it, older chains
 * are deleted) only once `open()` says its pointer was committed by the fenced write; so an owner
 * that was taken over never builds on, nor deletes, anything the committed pointer does not name.
 *
 * Each checkpoint is an object `<group>/p<partition>/<owner>/<id>` holding one encoded record; the
 * pointer lists the chain's objects. `commit()` writes the object, hands the new pointer to
 * `written()`, then waits at the gate: it resolves on `open()`, and rejects on `refuse()` or
 * `close()` (as does every later commit). After a full checkpoint is opened, the objects of the
 * chain it replaced are deleted (best effort). A failed write is reason `write`, so the
 * {@link Checkpointer} makes its next checkpoint full.
 *
 * @example
 * ```ts
 * const backend = new PartitionBackend({ os, group: "orders", partition: 3, owner: nuid.next(), from });
 * // PartitionTask.checkpoint(): start the pipeline's checkpoint, return the pointer it writes
 * const pointer = backend.written();
 * checkpointer.checkpoint(offsets).catch(() => {}); // a failure before the gate rejects `written()` too
 * return await pointer;
 * // PartitionTask.committed(): the fenced write of that pointer succeeded
 * backend.open();
 * ```
 */
export class PartitionBackend implements CheckpointBackend {
  readonly kind = "nats" as const;
  private readonly os: ObjectStore;
  private readonly jsm: JetStreamManager;
  private readonly group: string;
  private readonly partition: number;
  private readonly owner: string;
  /** The committed pointer: `from`, then each opened one. */
  private current: PartitionPointer | undefined;
  /** The checkpoint a delta may extend: the loaded or last opened one; undefined after a failed write. */
  private base: number | undefined;
  /** The highest id a commit used. */
  private reserved: number | undefined;
  private waiting: Waiting | undefined;
  private watchers: Watcher[] = [];
  /** The offsets of the last checkpoint opened (undefined before the first). */
  private opened: CheckpointRecord["offsets"] | undefined;
  /** Set by `refuse()` or `close()`: every later call fails with it. */
  private stopped: CheckpointError | undefined;

  /** @throws InvalidOptionError for a bad group, partition or owner; CheckpointError `read` for a `from` of another shape */
  constructor(options: PartitionBackendOptions) {
    const { group, partition, owner, from } = options;
    if (!isNameToken(group)) {
      throw new InvalidOptionError("group", `group name "${group}" may only hold letters, digits, "-" and "_"`);
    }
    if (!Number.isSafeInteger(partition) || partition < 0) {
      throw new InvalidOptionError("partition", `partition must be a whole number of at least 0, got ${partition}`);
    }
    if (!isNameToken(owner)) {
      throw new InvalidOptionError("owner", `owner "${owner}" may only hold letters, digits, "-" and "_" (a nuid)`);
    }
    this.os = options.os;
    this.jsm = options.jsm;
    this.group = group;
    this.partition = partition;
    this.owner = owner;
    if (from !== undefined && !isPartitionPointer(from)) {
      throw new CheckpointError(
        "read",
        `${this.where}: the committed pointer ${JSON.stringify(from)} is not a partition checkpoint pointer (v 1); was it written by another kind of task?`,
      );
    }
    this.current = from;
  }

  private get where(): string {
    return `partition ${this.partition} of group "${this.group}"`;
  }

  /** The name of checkpoint `id` written by this owner. */
  objectName(id: number): string {
    return `${this.group}/p${this.partition}/${this.owner}/${id}`;
  }

  /**
   * Reads every object of the committed chain. Never starts empty over a damaged chain.
   * @throws CheckpointError `read` naming the object when one is missing or corrupt, `chain` when the links do not match
   */
  async load(): Promise<RestoredCheckpoint | undefined> {
    this.check();
    const pointer = this.current;
    if (pointer === undefined) return undefined;
    const records = await Promise.all(pointer.chain.map((name) => this.read(name)));
    const restored = this.assemble(pointer, records);
    this.base = pointer.id;
    return restored;
  }

  async newestId(): Promise<number | undefined> {
    const ids = [this.current?.id, this.reserved].filter((id): id is number => id !== undefined);
    return ids.length === 0 ? undefined : Math.max(...ids);
  }

  /**
   * Writes the record, then waits at the gate: resolves once `open()` lets its pointer through.
   * @throws CheckpointError `write` when the object cannot be written, `chain` for a delta with
   *   nothing to extend, `conflict` after `refuse()`, `closed` after `close()`
   */
  async commit(record: CheckpointRecord): Promise<void> {
    let pointer: PartitionPointer;
    try {
      this.check();
      const base = baseForCommit(record, this.base, await this.newestId(), this.where);
      this.base = undefined;
      this.reserved = record.id;
      const name = this.objectName(record.id);
      try {
        await this.os.putBlob({ name }, encodeRecordBytes(record, base));
      } catch (e) {
        await this.os.delete(name).catch(() => undefined);
        throw new CheckpointError(
          "write",
          `${this.where}: could not write checkpoint ${record.id} (object "${name}"): ${messageOf(e)}`,
          { cause: e },
        );
      }
      this.check();
      const chain = base === undefined ? [name] : [...(this.current?.chain ?? []), name];
      pointer = { v: 1, id: record.id, chain };
    } catch (e) {
      this.settleWatchers((w) => w.reject(e));
      throw e;
    }
    const replaced = await new Promise<PartitionPointer | undefined>((resolve, reject) => {
      this.waiting = { pointer, offsets: record.offsets, resolve, reject };
      this.settleWatchers((w) => w.resolve(pointer));
    });
    if (pointer.chain.length === 1 && replaced !== undefined) {
      for (const name of replaced.chain) {
        if (!pointer.chain.includes(name)) await this.os.delete(name).catch(() => undefined);
      }
    }
  }

  /**
   * The pointer of the commit waiting at the gate, or of the next one to reach it. Rejects when
   * that commit fails before (its write, its chain) or the backend is refused or closed first.
   */
  written(): Promise<PartitionPointer> {
    if (this.stopped !== undefined) return Promise.reject(this.stopped);
    if (this.waiting !== undefined) return Promise.resolve(this.waiting.pointer);
    return new Promise((resolve, reject) => this.watchers.push({ resolve, reject }));
  }

  /**
   * The fenced write of the waiting commit's pointer succeeded: that commit resolves, and its
   * pointer becomes the committed one (later deltas extend it).
   * @param pointer when given, must be the waiting one (a guard against opening a stale pointer)
   * @throws CheckpointError `chain` when no commit (or another one) waits at the gate
   */
  open(pointer?: PartitionPointer): void {
    const waiting = this.waiting;
    if (waiting === undefined || (pointer !== undefined && !samePointer(pointer, waiting.pointer))) {
      const which = pointer === undefined ? "" : ` ${pointer.id}`;
      throw new CheckpointError("chain", `${this.where}: no checkpoint${which} is waiting to be opened`);
    }
    this.waiting = undefined;
    const replaced = this.current;
    this.current = waiting.pointer;
    this.opened = waiting.offsets;
    this.base = waiting.pointer.id;
    waiting.resolve(replaced);
  }

  /**
   * Per relation, per consumer key, the offsets of the last checkpoint `open()` let through: what
   * the partition's committed state has applied (undefined before the first).
   */
  get committedOffsets(): CheckpointRecord["offsets"] | undefined {
    return this.opened;
  }

  /** The fenced write was refused (the partition was taken over): the waiting commit and all later ones reject (`conflict`). */
  refuse(message: string): void {
    this.stop(new CheckpointError("conflict", `${this.where}: ${message}`));
  }

  /** Like `refuse()` with reason `closed`; the object store stays the caller's. */
  async close(): Promise<void> {
    this.stop(new CheckpointError("closed", `the checkpoint backend of ${this.where} is closed`));
  }

  private stop(e: CheckpointError): void {
    if (this.stopped !== undefined) return;
    this.stopped = e;
    this.waiting?.reject(e);
    this.waiting = undefined;
    this.settleWatchers((w) => w.reject(e));
  }

  private settleWatchers(settle: (w: Watcher) => void): void {
    const watchers = this.watchers;
    this.watchers = [];
    for (const w of watchers) settle(w);
  }

  private check(): void {
    if (this.stopped !== undefined) throw this.stopped;
  }

  private async read(name: string): Promise<StoredRecord> {
    let bytes: Uint8Array | null;
    try {
      bytes = await readObject(this.jsm, this.os, name);
    } catch (e) {
      throw new CheckpointError("read", `${this.where}: cannot read checkpoint object "${name}": ${messageOf(e)}`, {
        cause: e,
      });
    }
    if (bytes === null) {
      throw new CheckpointError("read", `${this.where}: checkpoint object "${name}" of the committed chain is missing`);
    }
    try {
      return decodeRecord(bytes);
    } catch (e) {
      throw new CheckpointError("read", `${this.where}: checkpoint object "${name}" is corrupt: ${messageOf(e)}`, {
        cause: e,
      });
    }
  }

  /**
   * Per store of the newest record, its chunks in chain order: its last full chunk and the deltas
   * after it. Each record must extend the one before it (its `base`), as the chain was written.
   */
  private assemble(pointer: PartitionPointer, records: readonly StoredRecord[]): RestoredCheckpoint {
    const chains = new Map<string, StateChunk[]>();
    records.forEach((r, i) => {
      const name = pointer.chain[i] as string;
      const prev = records[i - 1];
      const isFull = r.chunks.every((c) => c.kind === "full");
      if (prev === undefined ? !isFull : !isFull && r.base !== prev.id) {
        throw new CheckpointError(
          "chain",
          `${this.where}: checkpoint object "${name}" (id ${r.id}) does not extend ${prev === undefined ? "nothing: the chain must start with a full checkpoint" : `the object before it (id ${prev.id})`}`,
        );
      }
      const present = new Map<string, StateChunk[]>();
      for (const c of r.chunks) {
        const before = chains.get(c.storeId);
        if (c.kind === "full") present.set(c.storeId, [c]);
        else if (before !== undefined) present.set(c.storeId, [...before, c]);
        else {
          throw new CheckpointError(
            "chain",
            `${this.where}: checkpoint object "${name}" holds a delta of store "${c.storeId}", which the object before it lacks`,
          );
        }
      }
      // A store a record does not hold is not carried over: the chain of a store has no gaps.
      chains.clear();
      for (const [id, list] of present) chains.set(id, list);
    });
    const head = records[records.length - 1] as StoredRecord;
    if (head.id !== pointer.id) {
      throw new CheckpointError(
        "chain",
        `${this.where}: the pointer names checkpoint ${pointer.id}, but its last object "${pointer.chain[pointer.chain.length - 1]}" holds ${head.id}`,
      );
    }
    return { id: head.id, offsets: head.offsets, meta: head.meta, chunks: chains };
  }
}

function samePointer(a: PartitionPointer, b: PartitionPointer): boolean {
  return a.id === b.id && a.chain.length === b.chain.length && a.chain.every((n, i) => n === b.chain[i]);
}

/** How {@link openStateBucket} creates the bucket. */
export interface StateBucketOptions {
  /** Replicas when this call creates the bucket. @default 1 */
  readonly replicas?: number;
  /** How long one JetStream request (a chunk publish) may take, in ms, when given a connection. @default 5000 */
  readonly timeoutMs?: number;
}

/**
 * Opens the object store `bucket` where a group's partition tasks keep their checkpoints,
 * creating it when missing. Switches @nats-io/obj to its native SHA-256 (process-wide), as
 * `natsBackend` does.
 *
 * @throws InvalidOptionError `state-bucket` for a name that is not letters, digits, `-`, `_`;
 *   CheckpointError `read` when the bucket cannot be opened
 * @example
 * ```ts
 * const os = await openStateBucket(nc, "orders-state");
 * ```
 */
export async function openStateBucket(
  nc: NatsConnection | JetStreamClient,
  bucket: string,
  options: StateBucketOptions = {},
): Promise<ObjectStore> {
  if (typeof bucket !== "string" || !/^[-\w]+$/.test(bucket)) {
    throw new InvalidOptionError(
      "state-bucket",
      `--state-bucket must be a non-empty name of letters, digits, "-" and "_", got "${bucket}"`,
    );
  }
  const replicas = options.replicas ?? 1;
  if (!Number.isSafeInteger(replicas) || replicas < 1 || replicas > 5) {
    throw new InvalidOptionError("replicas", `replicas must be a whole number from 1 to 5, got ${replicas}`);
  }
  const timeout = options.timeoutMs ?? 5000;
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new InvalidOptionError("timeoutMs", `timeoutMs must be a positive number of milliseconds, got ${timeout}`);
  }
  setSha256Backend("native");
  const objm = new Objm("jetstreamManager" in nc ? nc : jetstream(nc, { timeout }));
  try {
    // create() also opens an existing bucket; open() covers one made with other settings.
    return await objm.create(bucket, { replicas }).catch(() => objm.open(bucket));
  } catch (e) {
    throw new CheckpointError("read", `cannot open the state bucket "${bucket}": ${messageOf(e)}`, { cause: e });
  }
}

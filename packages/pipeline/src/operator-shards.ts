import {
  type ChangeBatch,
  type ColumnDef,
  columnsOf,
  packRecordBatch,
  type SqlType,
  unpackRecordBatch,
} from "@jetflow/core";
import { concatChanges, type EvalWarnings, type JoinSide, rowsIn, sumWarnings, takeChange } from "@jetflow/operators";
import { checkChain, joinChunks, KeyedStore, type StateChunk } from "@jetflow/state";
import type { Schema } from "apache-arrow";
import type { OperatorThreads } from "./operator-threads.js";
import type { ProcessReply, ShardRequest, StatReply } from "./shard-protocol.js";
import { type ShardSpec, schemaOfColumns } from "./shard-spec.js";

/** One input of a sharded operator: the schema its rows are split against, and its column types. */
export interface ShardInput {
  readonly schema: Schema;
  readonly types: readonly SqlType[];
  /** A join's side (an aggregate's one input: undefined). */
  readonly side: JoinSide | undefined;
}

/**
 * The shards of one keyed operator, one in each operator thread (see `ShardedOperator`,
 * `ShardedJoin`): a batch is split by the shard of each row, every shard with rows gets its
 * part, the shards work in parallel while this thread waits, and their outputs are joined into
 * one change. Shards own disjoint keys, so the join is what one operator would emit (in another
 * row order).
 */
export class OperatorShards {
  readonly op: number;
  private readonly outputTypes: readonly SqlType[];
  /** Each shard's warnings so far, as its last reply gave them. */
  private readonly shardWarnings: (EvalWarnings | undefined)[];

  constructor(
    readonly threads: OperatorThreads,
    spec: ShardSpec,
    private readonly schema: Schema,
  ) {
    this.outputTypes = columnsOf(schema).map((c) => c.type);
    this.op = threads.newOperator();
    threads.all({ t: "create", op: this.op, spec });
    this.shardWarnings = new Array<EvalWarnings | undefined>(threads.size);
  }

  get warnings(): EvalWarnings {
    return sumWarnings(this.shardWarnings);
  }

  /** The sharded stores standing for the operator's `stores` (same ids, same order). */
  storesOf(stores: readonly KeyedStore<unknown>[]): ShardedStore[] {
    return stores.map((s, i) => new ShardedStore(s.id, this.threads, this.op, i));
  }

  /** Applies `change` of `input`, row i in shard `shardOf(n)[i]`: the shards' outputs joined. */
  process(change: ChangeBatch, input: ShardInput, shardOf: (shards: number) => Int32Array): ChangeBatch | undefined {
    const n = rowsIn(change);
    if (n === 0) return undefined;
    const size = this.threads.size;
    const shardOfRow = size === 1 ? new Int32Array(n) : shardOf(size);
    const counts = new Int32Array(size);
    for (let i = 0; i < n; i++) {
      const s = shardOfRow[i] as number;
      counts[s] = (counts[s] as number) + 1;
    }
    const posted: { thread: number; seen: number }[] = [];
    for (let s = 0; s < size; s++) {
      const m = counts[s] as number;
      if (m === 0) continue;
      let part = change;
      if (m < n) {
        const idx = new Int32Array(m);
        for (let i = 0, j = 0; i < n; i++) if (shardOfRow[i] === s) idx[j++] = i;
        part = takeChange(change, input.schema, input.types, idx);
      }
      const packed = packRecordBatch(part.batch);
      const request = { t: "process", op: this.op, side: input.side, packed, ops: part.ops } as const;
      const seen = this.threads.thread(s).post(request, [packed.bytes, packed.nodes.buffer as ArrayBuffer]);
      posted.push({ thread: s, seen });
    }
    return this.joined(
      this.threads.collect(posted) as ProcessReply[],
      posted.map((p) => p.thread),
    );
  }

  /** Asks every shard for rows of this operator (a request answered by a `ProcessReply`): their rows joined. */
  gather(request: (op: number) => ShardRequest): ChangeBatch | undefined {
    const replies = this.threads.all(request(this.op)) as ProcessReply[];
    return this.joined(
      replies,
      replies.map((_reply, thread) => thread),
    );
  }

  /** The rows of replies from `threads` as one change; each thread's warnings kept. */
  private joined(replies: readonly ProcessReply[], threads: readonly number[]): ChangeBatch | undefined {
    const outs: ChangeBatch[] = [];
    replies.forEach((reply, k) => {
      this.shardWarnings[threads[k] as number] = reply.warnings;
      if (reply.packed !== undefined)
        outs.push({ batch: unpackRecordBatch(this.schema, reply.packed), ops: reply.ops });
    });
    if (outs.length === 0) return undefined;
    return concatChanges(outs, this.schema, this.outputTypes);
  }

  /** Sends every shard a request about this operator; their replies, by shard. */
  all(request: (op: number) => ShardRequest): unknown[] {
    return this.threads.all(request(this.op));
  }

  restored(): void {
    this.threads.all({ t: "restored", op: this.op });
  }

  /** Frees the shards (the view was dropped). */
  close(): void {
    this.threads.all({ t: "drop", op: this.op });
  }
}

/** One input of a sharded operator, from its spec's columns. */
export function shardInput(columns: readonly ColumnDef[], side: JoinSide | undefined): ShardInput {
  return { schema: schemaOfColumns(columns), types: columns.map((c) => c.type), side };
}

/**
 * One store of a sharded operator: the union of its shards' stores, under the id the unsharded
 * store has. A checkpoint joins the shards' chunks (a chunk is a run of segments, so joined
 * chunks are one); a restore sends every shard the whole chain, and each keeps the entries whose
 * key it owns. Its entries live in the shards: reading or writing one here throws.
 */
export class ShardedStore extends KeyedStore<unknown> {
  constructor(
    id: string,
    private readonly threads: OperatorThreads,
    private readonly op: number,
    private readonly store: number,
  ) {
    super(id);
  }

  override get size(): number {
    return this.stats().reduce((a, s) => a + s.size, 0);
  }

  override get dirtyCount(): number {
    return this.stats().reduce((a, s) => a + s.dirty, 0);
  }

  override get tracksChanges(): boolean {
    return super.tracksChanges;
  }

  override set tracksChanges(on: boolean) {
    super.tracksChanges = on;
    this.threads.all({ t: "track", op: this.op, on });
  }

  override get(_key: string): never {
    return this.inShards("get");
  }

  override has(_key: string): never {
    return this.inShards("has");
  }

  override set(_key: string, _value: unknown): never {
    return this.inShards("set");
  }

  override delete(_key: string): never {
    return this.inShards("delete");
  }

  override clear(): never {
    return this.inShards("clear");
  }

  override touch(_key: string): never {
    return this.inShards("touch");
  }

  override keys(): never {
    return this.inShards("keys");
  }

  override values(): never {
    return this.inShards("values");
  }

  override entries(): never {
    return this.inShards("entries");
  }

  override checkpoint(full: boolean): StateChunk {
    const request = (full: boolean) => ({ t: "checkpoint", op: this.op, store: this.store, full }) as const;
    const chunks = this.threads.all(request(full)) as StateChunk[];
    // A shard may have to write in full (changes went untracked) while others wrote deltas: then all write in full.
    if (chunks.some((c) => c.kind === "full") && chunks.some((c) => c.kind === "delta")) {
      chunks.forEach((c, i) => {
        if (c.kind === "delta") chunks[i] = this.threads.thread(i).call(request(true)) as StateChunk;
      });
    }
    return joinChunks(chunks);
  }

  override restore(chunks: readonly StateChunk[]): void {
    checkChain(this.id, chunks);
    const shards = this.threads.size;
    this.threads.all((shard) => ({ t: "restore", op: this.op, store: this.store, chunks, shard, shards }));
  }

  private inShards(method: string): never {
    throw new TypeError(`store "${this.id}" lives in operator threads: ${method}() reads no entry here`);
  }

  private stats(): StatReply[] {
    return this.threads.all({ t: "stat", op: this.op, store: this.store }) as StatReply[];
  }
}

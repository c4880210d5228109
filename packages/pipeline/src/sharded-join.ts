import type { ChangeBatch } from "@jetflow/core";
import type { EvalWarnings, JoinOperator, JoinPartitioning, JoinSide } from "@jetflow/operators";
import type { Schema } from "apache-arrow";
import { OperatorShards, type ShardedStore, type ShardInput, shardInput } from "./operator-shards.js";
import type { OperatorThreads } from "./operator-threads.js";
import { joinOfSpec, type JoinShardSpec, partitioningOf } from "./shard-spec.js";

/**
 * A join that keeps both sides itself, run as shards, one in each operator thread
 * ({@link OperatorShards}): each side's batch is split by join key (`partitioning.shardsOf`), so
 * a row meets the other side's rows of its key in the shard that owns the key. Called as any join
 * is: synchronously, so views, checkpoints and lookups see no difference; its stores restore
 * into any number of shards, or none. A join that probes a table's own rows is not sharded (the
 * table lives on the main thread).
 *
 * @example
 * ```ts
 * const j = new ShardedJoin(threads, { kind: "join", id: "v/2-join", left, right, join: "inner", names, on, residual: undefined, temporal: false });
 * j.process("left", change); // the joined rows, computed in the threads
 * ```
 */
export class ShardedJoin implements JoinOperator {
  readonly schema: Schema;
  readonly stores: readonly ShardedStore[];
  readonly probesTable = false;
  private readonly keyed: JoinPartitioning;
  private readonly inputs: Readonly<Record<JoinSide, ShardInput>>;
  private readonly shards: OperatorShards;

  constructor(threads: OperatorThreads, spec: JoinShardSpec) {
    const local = joinOfSpec(spec);
    this.keyed = partitioningOf(local, spec.id);
    this.schema = local.schema;
    this.inputs = {
      left: shardInput(spec.left, "left"),
      right: shardInput(spec.right, "right"),
    };
    this.shards = new OperatorShards(threads, spec, this.schema);
    this.stores = this.shards.storesOf(local.stores);
  }

  get warnings(): EvalWarnings {
    return this.shards.warnings;
  }

  get sizes(): { left: number; right: number } {
    const all = this.shards.all((op) => ({ t: "sizes", op })) as { left: number; right: number }[];
    return all.reduce((a, s) => ({ left: a.left + s.left, right: a.right + s.right }), { left: 0, right: 0 });
  }

  emitOnly(columns: readonly string[] | undefined): void {
    this.shards.all((op) => ({ t: "emitOnly", op, columns }));
  }

  process(side: JoinSide, change: ChangeBatch): ChangeBatch | undefined {
    return this.shards.process(change, this.inputs[side], (n) => this.keyed.shardsOf(side, change, n));
  }

  restored(): void {
    this.shards.restored();
  }

  /** Frees the shards (the view was dropped). */
  close(): void {
    this.shards.close();
  }
}

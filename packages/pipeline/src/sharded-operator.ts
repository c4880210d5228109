import type { ChangeBatch } from "@jetflow/core";
import type { ChangeOperator, EvalWarnings, OperatorPartitioning } from "@jetflow/operators";
import type { Schema } from "apache-arrow";
import { OperatorShards, type ShardedStore, type ShardInput, shardInput } from "./operator-shards.js";
import type { OperatorThreads } from "./operator-threads.js";
import { type AggregateShardSpec, operatorOfSpec, partitioningOf } from "./shard-spec.js";

/**
 * A keyed operator (a GROUP BY with keys) run as shards, one in each operator thread
 * ({@link OperatorShards}): each batch is split by key (`partitioning.shardsOf`). Called as any
 * operator is: synchronously, so checkpoints, views, `changes$` and lookups see no difference.
 *
 * Its stores ({@link ShardedStore}) keep the unsharded ids and hold the union of the shards: a
 * checkpoint written with N shards restores into M, or into no shards at all.
 *
 * @example
 * ```ts
 * const op = new ShardedOperator(threads, { kind: "aggregate", id: "v/1-aggregate", input, groupBy, aggregates });
 * op.process(change); // the groups' changes, computed in the threads
 * ```
 */
export class ShardedOperator implements ChangeOperator {
  readonly schema: Schema;
  readonly stores: readonly ShardedStore[];
  private readonly keyed: OperatorPartitioning;
  private readonly input: ShardInput;
  private readonly shards: OperatorShards;

  constructor(threads: OperatorThreads, spec: AggregateShardSpec) {
    // A copy here gives the schema, the partitioning and the store ids; its stores stay empty.
    const local = operatorOfSpec(spec);
    this.keyed = partitioningOf(local, spec.id);
    this.schema = local.schema;
    this.input = shardInput(spec.input, undefined);
    this.shards = new OperatorShards(threads, spec, this.schema);
    this.stores = this.shards.storesOf(local.stores);
  }

  get warnings(): EvalWarnings {
    return this.shards.warnings;
  }

  process(change: ChangeBatch): ChangeBatch | undefined {
    return this.shards.process(change, this.input, (n) => this.keyed.shardsOf(change, n));
  }

  restored(): void {
    this.shards.restored();
  }

  /** Frees the shards (the view was dropped). */
  close(): void {
    this.shards.close();
  }
}

import type { ChangeBatch } from "@jetflow/core";
import type { ChangeOperator, EvalWarnings, OperatorPartitioning, TopNOperator } from "@jetflow/operators";
import { topN } from "@jetflow/operators";
import type { Schema } from "apache-arrow";
import { OperatorShards, type ShardedStore, type ShardInput, shardInput } from "./operator-shards.js";
import type { OperatorThreads } from "./operator-threads.js";
import { partitioningOf, schemaOfColumns, type TopNShardSpec, topNOfSpec } from "./shard-spec.js";

/** What a view's `ORDER BY ... LIMIT ... OFFSET ...` step is: its shards' spec, with the view's window. */
export type TopNQuery = Omit<TopNShardSpec, "kind" | "keep"> & { readonly limit: number; readonly offset: number };

/**
 * A top-N run as shards, in two phases (see `TopNOperator`): each operator thread keeps the rows
 * whose identity it owns and emits the changes of its own first offset + limit; this thread merges
 * them with a top-N of the view's limit and offset, whose state is at most shards x (offset +
 * limit) rows. Called as any operator is: synchronously, so views, checkpoints and lookups see no
 * difference. Its store keeps the unsharded id and holds every row, so a checkpoint restores into
 * any number of shards, or none; the merge is derived (rebuilt from the shards' windows by
 * `restored()`), never checkpointed.
 *
 * @example
 * ```ts
 * const top = new ShardedTopN(threads, { id: "v/1-topN", input, orderBy, limit: 10, offset: 0 });
 * top.process(change); // the window's changes
 * ```
 */
export class ShardedTopN implements ChangeOperator {
  readonly schema: Schema;
  readonly stores: readonly ShardedStore[];
  private readonly keyed: OperatorPartitioning;
  private readonly input: ShardInput;
  private readonly shards: OperatorShards;
  private merge: TopNOperator;

  constructor(
    threads: OperatorThreads,
    private readonly query: TopNQuery,
  ) {
    const spec: TopNShardSpec = {
      kind: "topN",
      id: query.id,
      input: query.input,
      orderBy: query.orderBy,
      keep: query.offset + query.limit,
      key: query.key,
    };
    const local = topNOfSpec(spec);
    this.keyed = partitioningOf(local, spec.id);
    this.schema = local.schema;
    this.input = shardInput(spec.input, undefined);
    this.shards = new OperatorShards(threads, spec, this.schema);
    this.stores = this.shards.storesOf(local.stores);
    this.merge = this.newMerge();
  }

  /** The shards' warnings (the merge evaluates the same order keys again, on rows already counted). */
  get warnings(): EvalWarnings {
    return this.shards.warnings;
  }

  process(change: ChangeBatch): ChangeBatch | undefined {
    const windows = this.shards.process(change, this.input, (n) => this.keyed.shardsOf(change, n));
    return windows === undefined ? undefined : this.merge.process(windows);
  }

  restored(): void {
    this.shards.restored();
    this.merge = this.newMerge();
    const windows = this.shards.gather((op) => ({ t: "window", op }));
    if (windows !== undefined) this.merge.process(windows);
  }

  /** Frees the shards (the view was dropped). */
  close(): void {
    this.shards.close();
  }

  private newMerge(): TopNOperator {
    const { id, input, orderBy, limit, offset, key } = this.query;
    const merge = topN(schemaOfColumns(input), orderBy, limit, offset, {
      id: `${id}:merge`,
      ...(key === undefined ? {} : { key }),
    });
    // Derived from the shards, never checkpointed: nothing to remember for a delta.
    for (const store of merge.stores) store.tracksChanges = false;
    return merge;
  }
}

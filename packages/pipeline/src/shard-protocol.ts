import type { PackedRecordBatch } from "@jetflow/core";
import type { EvalWarnings, JoinSide } from "@jetflow/operators";
import type { StateChunk } from "@jetflow/state";
import type { ShardSpec } from "./shard-spec.js";

// The messages between the main thread and an operator thread (`shard-thread.ts`): one request,
// one reply, in order; the main thread waits for each reply (see `OperatorThreads`).

/**
 * A request for operator `op` of an operator thread.
 * @example const r: ShardRequest = { t: "process", op: 3, side: undefined, packed, ops: undefined };
 */
export type ShardRequest =
  | { readonly t: "create"; readonly op: number; readonly spec: ShardSpec }
  | {
      readonly t: "process";
      readonly op: number;
      /** A join's input the rows are of (an aggregate's: undefined). */
      readonly side: JoinSide | undefined;
      readonly packed: PackedRecordBatch;
      readonly ops: Int8Array | undefined;
    }
  | { readonly t: "emitOnly"; readonly op: number; readonly columns: readonly string[] | undefined }
  | { readonly t: "sizes"; readonly op: number }
  /** A top-N shard's window, as a `ProcessReply`. */
  | { readonly t: "window"; readonly op: number }
  | { readonly t: "checkpoint"; readonly op: number; readonly store: number; readonly full: boolean }
  | { readonly t: "stat"; readonly op: number; readonly store: number }
  | { readonly t: "track"; readonly op: number; readonly on: boolean }
  | {
      readonly t: "restore";
      readonly op: number;
      readonly store: number;
      readonly chunks: readonly StateChunk[];
      /** This thread's shard of `shards`: it keeps the entries `shardOfKey` gives it. */
      readonly shard: number;
      readonly shards: number;
    }
  | { readonly t: "restored"; readonly op: number }
  | { readonly t: "drop"; readonly op: number };

/** What a shard's `process` gives back: its output rows (none: nothing changed) and its warnings so far. */
export interface ProcessReply {
  readonly packed: PackedRecordBatch | undefined;
  readonly ops: Int8Array | undefined;
  readonly warnings: EvalWarnings | undefined;
}

/** A store's figures, for the checkpointer's full-or-delta choice. */
export interface StatReply {
  readonly size: number;
  readonly dirty: number;
}

/** A reply: the request's result, or the error it threw (its name and message). */
export type ShardReply =
  | { readonly ok: unknown }
  | { readonly error: { readonly name: string; readonly message: string } };

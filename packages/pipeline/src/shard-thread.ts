/**
 * An operator thread: holds shards of keyed operators (`ShardSpec`), each fed the rows whose key
 * it owns, and answers the main thread's requests (`shard-protocol.ts`) one at a time. After each
 * reply it bumps the shared signal, on which the main thread waits (see `OperatorThreads`).
 * Loaded from the built module (`dist/shard-thread.js`).
 */
import { type MessagePort, workerData } from "node:worker_threads";
import { messageOf, packRecordBatch, unpackRecordBatch } from "@jetflow/core";
import { type ChangeOperator, rowsIn, shardOfKey } from "@jetflow/operators";
import type { Schema } from "apache-arrow";
import type { ShardReply, ShardRequest } from "./shard-protocol.js";
import { inputSchemaOf, operatorOfSpec } from "./shard-spec.js";

interface Shard {
  readonly op: ChangeOperator;
  /** The schema its input batches are unpacked against. */
  readonly input: Schema;
}

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };
const shards = new Map<number, Shard>();

function shardOf(op: number): Shard {
  const shard = shards.get(op);
  if (shard === undefined) throw new Error(`operator thread: no operator ${op}`);
  return shard;
}

/** The request's result, and what its reply may transfer. */
function handle(request: ShardRequest): { ok: unknown; transfer?: ArrayBuffer[] } {
  switch (request.t) {
    case "create": {
      shards.set(request.op, { op: operatorOfSpec(request.spec), input: inputSchemaOf(request.spec) });
      return { ok: null };
    }
    case "process": {
      const { op, input } = shardOf(request.op);
      const out = op.process({ batch: unpackRecordBatch(input, request.packed), ops: request.ops });
      if (out === undefined || rowsIn(out) === 0)
        return { ok: { packed: undefined, ops: undefined, warnings: op.warnings } };
      const packed = packRecordBatch(out.batch);
      return {
        ok: { packed, ops: out.ops, warnings: op.warnings },
        transfer: [packed.bytes, packed.nodes.buffer as ArrayBuffer],
      };
    }
    case "checkpoint": {
      // Copied with the reply, not transferred: the bytes may be a view of the packer's buffer.
      const chunk = storeOf(request.op, request.store).checkpoint(request.full);
      return { ok: chunk };
    }
    case "stat": {
      const store = storeOf(request.op, request.store);
      return { ok: { size: store.size, dirty: store.dirtyCount } };
    }
    case "track":
      for (const store of shardOf(request.op).op.stores) store.tracksChanges = request.on;
      return { ok: null };
    case "restore": {
      const { op } = shardOf(request.op);
      const entryKey = op.partitioning?.entryKeys[request.store];
      if (entryKey === undefined) throw new Error(`operator thread: operator ${request.op} does not split by key`);
      const { shard, shards: n } = request;
      storeOf(request.op, request.store).restore(
        request.chunks,
        (key, value) => shardOfKey(entryKey(key, value), n) === shard,
      );
      return { ok: null };
    }
    case "restored":
      shardOf(request.op).op.restored?.();
      return { ok: null };
    case "drop":
      shards.delete(request.op);
      return { ok: null };
  }
}

function storeOf(op: number, store: number) {
  const s = shardOf(op).op.stores[store];
  if (s === undefined) throw new Error(`operator thread: operator ${op} has no store ${store}`);
  return s;
}

port.on("message", (request: ShardRequest) => {
  try {
    const { ok, transfer } = handle(request);
    port.postMessage({ ok } satisfies ShardReply, transfer ?? []);
  } catch (e) {
    const name = e instanceof Error ? e.name : "Error";
    port.postMessage({ error: { name, message: messageOf(e) } } satisfies ShardReply);
  }
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});

/**
 * An operator thread: holds shards of keyed operators (`ShardSpec`), each fed the rows whose key
 * it owns, and answers the main thread's requests (`shard-protocol.ts`) one at a time. After each
 * reply it bumps the shared signal, on which the main thread waits (see `OperatorThreads`).
 * Loaded from the built module (`dist/shard-thread.js`).
 */
import { type MessagePort, workerData } from "node:worker_threads";
import { type ChangeBatch, messageOf, packRecordBatch } from "@jetflow/core";
import { type EvalWarnings, type JoinOperator, rowsIn, shardOfKey } from "@jetflow/operators";
import type { ProcessReply, ShardReply, ShardRequest } from "./shard-protocol.js";
import { type Shard, shardOfSpec } from "./shard-spec.js";

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
      shards.set(request.op, shardOfSpec(request.spec));
      return { ok: null };
    }
    case "process": {
      const shard = shardOf(request.op);
      return processReply(shard.process(request.side, request.packed, request.ops), shard.op.warnings);
    }
    case "window": {
      const op = shardOf(request.op).op;
      if (!("window" in op)) throw new Error(`operator thread: operator ${request.op} is not a top-N`);
      return processReply(op.window(), op.warnings);
    }
    case "emitOnly":
      joinOf(request.op).emitOnly(request.columns);
      return { ok: null };
    case "sizes":
      return { ok: joinOf(request.op).sizes };
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
      const entryKey = shardOf(request.op).partitioning.entryKeys[request.store];
      if (entryKey === undefined)
        throw new Error(`operator thread: operator ${request.op} has no store ${request.store}`);
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

/** A reply of rows: packed and transferred (none: nothing changed), with the shard's warnings so far. */
function processReply(
  out: ChangeBatch | undefined,
  warnings: EvalWarnings | undefined,
): { ok: ProcessReply; transfer?: ArrayBuffer[] } {
  if (out === undefined || rowsIn(out) === 0) return { ok: { packed: undefined, ops: undefined, warnings } };
  const packed = packRecordBatch(out.batch);
  return { ok: { packed, ops: out.ops, warnings }, transfer: [packed.bytes, packed.nodes.buffer as ArrayBuffer] };
}

function joinOf(op: number): JoinOperator {
  const shard = shardOf(op);
  if (!("emitOnly" in shard.op)) throw new Error(`operator thread: operator ${op} is not a join`);
  return shard.op;
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

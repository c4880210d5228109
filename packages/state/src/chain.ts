import type { CheckpointRecord, RestoredCheckpoint } from "./checkpoint-backend.js";
import { CheckpointError } from "./errors.js";
import type { StateChunk } from "./keyed-store.js";
import type { StoredRecord } from "./record-codec.js";

/** What pruning needs to know about one stored checkpoint. */
export interface RecordInfo {
  readonly id: number;
  readonly base: number | undefined;
  /** Every chunk is full: a chain can start here. */
  readonly full: boolean;
}

export function infoOf(r: { id: number; base: number | undefined; chunks: readonly StateChunk[] }): RecordInfo {
  return { id: r.id, base: r.base, full: r.chunks.every((c) => c.kind === "full") };
}

/** The newest valid chain, plus every record that was read and verified on the way. */
export interface ChainResult {
  readonly restored: RestoredCheckpoint;
  readonly verified: readonly RecordInfo[];
}

/**
 * Finds the newest checkpoint whose whole chain is readable: for each of its stores, the chunks back to
 * (and including) that store's last full chunk, following each record's `base`. A missing or corrupt
 * link disqualifies the head, and the next older head is tried.
 *
 * @param ids every stored id, any order
 * @param read the verified record, or undefined when it is missing or corrupt (other errors propagate)
 */
export async function newestValidChain(
  ids: Iterable<number>,
  read: (id: number) => Promise<StoredRecord | undefined>,
): Promise<ChainResult | undefined> {
  const cache = new Map<number, StoredRecord | undefined>();
  const get = async (id: number): Promise<StoredRecord | undefined> => {
    if (!cache.has(id)) cache.set(id, await read(id));
    return cache.get(id);
  };
  const verified = (): RecordInfo[] =>
    [...cache.values()].filter((r): r is StoredRecord => r !== undefined).map(infoOf);
  for (const id of [...ids].sort((a, b) => b - a)) {
    const head = await get(id);
    if (head === undefined) continue;
    const chunks = await chainOf(head, get);
    if (chunks !== undefined) {
      return { restored: { id: head.id, offsets: head.offsets, meta: head.meta, chunks }, verified: verified() };
    }
  }
  return undefined;
}

async function chainOf(
  head: StoredRecord,
  get: (id: number) => Promise<StoredRecord | undefined>,
): Promise<Map<string, StateChunk[]> | undefined> {
  const reversed = new Map<string, StateChunk[]>();
  const open = new Set<string>(); // stores whose full chunk is still ahead (further back)
  for (const c of head.chunks) {
    reversed.set(c.storeId, [c]);
    if (c.kind === "delta") open.add(c.storeId);
  }
  let cur = head;
  while (open.size > 0) {
    if (cur.base === undefined || cur.base >= cur.id) return undefined;
    const prev = await get(cur.base);
    if (prev === undefined) return undefined;
    const byStore = new Map(prev.chunks.map((c) => [c.storeId, c]));
    for (const storeId of open) {
      const c = byStore.get(storeId);
      if (c === undefined) return undefined;
      reversed.get(storeId)?.push(c);
      if (c.kind === "full") open.delete(storeId);
    }
    cur = prev;
  }
  for (const list of reversed.values()) list.reverse();
  return reversed;
}

/**
 * The ids to delete so that the newest `keep` full chains remain: everything older than the
 * `keep`-th newest full checkpoint, except what a kept checkpoint's chain still needs.
 * `unverified` ids (unreadable or not yet checked) are deleted only when older than that cutoff.
 */
export function prunable(infos: readonly RecordInfo[], keep: number, unverified: Iterable<number> = []): number[] {
  const fulls = infos
    .filter((i) => i.full)
    .map((i) => i.id)
    .sort((a, b) => b - a);
  const cutoff = fulls[keep - 1];
  if (cutoff === undefined) return [];
  const byId = new Map(infos.map((i) => [i.id, i]));
  const needed = new Set<number>();
  for (const i of infos) {
    if (i.id < cutoff) continue;
    for (let cur: RecordInfo | undefined = i; cur !== undefined && !cur.full && cur.base !== undefined; ) {
      needed.add(cur.base);
      cur = byId.get(cur.base);
    }
  }
  const out = infos.filter((i) => i.id < cutoff && !needed.has(i.id)).map((i) => i.id);
  for (const id of unverified) if (id < cutoff && !needed.has(id) && !byId.has(id)) out.push(id);
  return out;
}

/**
 * Checks a record against what a backend holds and returns the base of its delta chunks.
 * @param lastCommitted the checkpoint the next delta extends: the last committed or loaded one, or
 *   undefined when unknown (nothing yet, or the previous commit failed)
 * @param newest the highest id stored
 */
export function baseForCommit(
  record: CheckpointRecord,
  lastCommitted: number | undefined,
  newest: number | undefined,
  where: string,
): number | undefined {
  if (!Number.isSafeInteger(record.id) || record.id < 1) {
    throw new CheckpointError("id", `checkpoint id must be a positive integer, got ${record.id}`);
  }
  if (newest !== undefined && record.id <= newest) {
    throw new CheckpointError(
      "id",
      `checkpoint id ${record.id} is not above the newest stored checkpoint ${newest} in ${where}`,
    );
  }
  const seen = new Set<string>();
  for (const c of record.chunks) {
    if (seen.has(c.storeId))
      throw new CheckpointError("duplicate-store", `checkpoint ${record.id} holds store "${c.storeId}" twice`);
    seen.add(c.storeId);
  }
  if (record.chunks.every((c) => c.kind === "full")) return undefined;
  if (lastCommitted === undefined) {
    throw new CheckpointError(
      "chain",
      `checkpoint ${record.id} holds delta chunks but ${where} has no committed checkpoint to extend (commit a full one first)`,
    );
  }
  return lastCommitted;
}

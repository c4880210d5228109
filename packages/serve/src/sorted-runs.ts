import { setImmediate as nextTurn } from "node:timers/promises";
import { batchCells, type Cell, columnsOf, compareRows } from "@jetflow/core";
import type { Table } from "apache-arrow";

/**
 * The rows of a snapshot as cells in `--print` order (core's `compareRows`), `chunkRows` rows at
 * a time, without holding the event loop for the whole sort: runs of `chunkRows` rows are
 * formatted and sorted one per turn of the event loop, then merged (a heap of run heads) one
 * output chunk per step. Same order as `sortedCells`, same total work, no long pause: the
 * pipeline's batches run in between. The snapshot is immutable, so the rows stay of one instant.
 *
 * @example
 * ```ts
 * for await (const rows of sortedChunks(view.snapshot(), 2000)) write(rows);
 * ```
 */
export async function* sortedChunks(table: Table, chunkRows: number, limit = Infinity): AsyncGenerator<Cell[][]> {
  const columns = columnsOf(table.schema);
  const runs: Cell[][][] = [];
  for (const batch of table.batches) {
    for (let start = 0; start < batch.numRows; start += chunkRows) {
      const run = batchCells(batch.slice(start, Math.min(batch.numRows, start + chunkRows)), columns);
      runs.push(run.sort(compareRows));
      if (runs.length > 1 || start + chunkRows < batch.numRows) await nextTurn();
    }
  }
  if (runs.length <= 1) {
    const only = runs[0] ?? [];
    yield only.length > limit ? only.slice(0, limit) : only;
    return;
  }
  yield* merge(runs, chunkRows, limit);
}

/** A run's next row to merge: run index and position in it. */
interface Cursor {
  readonly run: number;
  at: number;
}

/** K-way merge of sorted runs through a binary heap of cursors, `chunkRows` rows per chunk. Ties go to the earlier run. */
function* merge(runs: readonly Cell[][][], chunkRows: number, limit: number): Generator<Cell[][]> {
  const heap: Cursor[] = runs.flatMap((r, run) => (r.length > 0 ? [{ run, at: 0 }] : []));
  const row = (c: Cursor): Cell[] => (runs[c.run] as Cell[][])[c.at] as Cell[];
  const before = (a: Cursor, b: Cursor): boolean => {
    const d = compareRows(row(a), row(b));
    return d < 0 || (d === 0 && a.run < b.run);
  };
  const down = (from: number): void => {
    let i = from;
    for (;;) {
      let m = i;
      for (const child of [2 * i + 1, 2 * i + 2]) {
        if (child < heap.length && before(heap[child] as Cursor, heap[m] as Cursor)) m = child;
      }
      if (m === i) return;
      const swap = heap[i] as Cursor;
      heap[i] = heap[m] as Cursor;
      heap[m] = swap;
      i = m;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  let emitted = 0;
  let chunk: Cell[][] = [];
  while (heap.length > 0 && emitted < limit) {
    const top = heap[0] as Cursor;
    chunk.push(row(top));
    emitted++;
    top.at++;
    if (top.at >= (runs[top.run] as Cell[][]).length) {
      const last = heap.pop() as Cursor;
      if (heap.length > 0) heap[0] = last;
    }
    down(0);
    if (chunk.length === chunkRows) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

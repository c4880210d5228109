import { setImmediate as nextTurn } from "node:timers/promises";
import { batchCells, type Cell, type ColumnDef, compareRows } from "@jetflow/core";
import type { Table } from "apache-arrow";

/** Rows in `--print` order: their cells, and where each one is in the table (row number over all its batches). */
export interface SortedChunk {
  readonly rows: Cell[][];
  readonly at: number[];
}

/** A sorted run: rows and their table positions, kept in step. */
interface Run {
  readonly rows: Cell[][];
  readonly at: number[];
}

/**
 * The rows of a snapshot as cells in `--print` order (core's `compareRows`), `chunkRows` rows at
 * a time, without holding the event loop for the whole sort: runs of `chunkRows` rows are
 * formatted and sorted one per turn of the event loop, then merged (a heap of run heads) one
 * output chunk per step. Same order as `sortedCells`, same total work, no long pause: the
 * pipeline's batches run in between. The snapshot is immutable, so the rows stay of one instant.
 * Each row comes with its position in `table`, so an Arrow answer can take the same rows.
 *
 * @example
 * ```ts
 * for await (const { rows } of sortedChunks(view.snapshot(), view.columns, 2000)) write(rows);
 * ```
 */
export async function* sortedChunks(
  table: Table,
  columns: readonly ColumnDef[],
  chunkRows: number,
  limit = Infinity,
): AsyncGenerator<SortedChunk> {
  const runs: Run[] = [];
  let offset = 0;
  for (const batch of table.batches) {
    for (let start = 0; start < batch.numRows; start += chunkRows) {
      const end = Math.min(batch.numRows, start + chunkRows);
      runs.push(sortedRun(batchCells(batch.slice(start, end), columns), offset + start));
      if (runs.length > 1 || end < batch.numRows) await nextTurn();
    }
    offset += batch.numRows;
  }
  if (runs.length <= 1) {
    const only = runs[0] ?? { rows: [], at: [] };
    yield only.rows.length > limit ? { rows: only.rows.slice(0, limit), at: only.at.slice(0, limit) } : only;
    return;
  }
  yield* merge(runs, chunkRows, limit);
}

/** Rows whose table positions start at `first`, sorted, their positions following them. */
function sortedRun(cells: Cell[][], first: number): Run {
  const order = Array.from(cells, (_, i) => i).sort((a, b) => compareRows(cells[a] as Cell[], cells[b] as Cell[]));
  return { rows: order.map((i) => cells[i] as Cell[]), at: order.map((i) => first + i) };
}

/** A run's next row to merge: run index and position in it. */
interface Cursor {
  readonly run: number;
  at: number;
}

/** K-way merge of sorted runs through a binary heap of cursors, `chunkRows` rows per chunk. Ties go to the earlier run. */
function* merge(runs: readonly Run[], chunkRows: number, limit: number): Generator<SortedChunk> {
  const heap: Cursor[] = runs.flatMap((r, run) => (r.rows.length > 0 ? [{ run, at: 0 }] : []));
  const row = (c: Cursor): Cell[] => (runs[c.run] as Run).rows[c.at] as Cell[];
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
  let chunk: SortedChunk = { rows: [], at: [] };
  while (heap.length > 0 && emitted < limit) {
    const top = heap[0] as Cursor;
    const run = runs[top.run] as Run;
    chunk.rows.push(run.rows[top.at] as Cell[]);
    chunk.at.push(run.at[top.at] as number);
    emitted++;
    top.at++;
    if (top.at >= run.rows.length) {
      const last = heap.pop() as Cursor;
      if (heap.length > 0) heap[0] = last;
    }
    down(0);
    if (chunk.rows.length === chunkRows) {
      yield chunk;
      chunk = { rows: [], at: [] };
    }
  }
  if (chunk.rows.length > 0) yield chunk;
}

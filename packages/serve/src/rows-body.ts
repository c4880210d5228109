import { setImmediate as nextTurn } from "node:timers/promises";
import { batchCells, type Cell, compareRows, plainCell, rowJson } from "@jetflow/core";
import type { KeyedLookup } from "@jetflow/pipeline";
import { type RecordBatch, RecordBatchStreamWriter, type Table, tableToIPC } from "apache-arrow";
import type { RowFormat } from "./row-format.js";
import { sortedChunks } from "./sorted-runs.js";

/**
 * The rows of a snapshot as the text of a JSON array, values and order exactly as `--print`
 * gives them (core's json-rows formatter), in pieces of `chunkRows` rows, sorted and formatted
 * a piece at a time ({@link sortedChunks}). The caller writes a piece, then lets other work (the
 * pipeline's next batch) run before asking for the next one: a large snapshot never holds the
 * event loop while it is sorted, formatted and sent.
 *
 * The rows are those of `table`, a snapshot taken at one instant, so a response reflects whole batches.
 */
export async function* jsonArrayChunks(
  table: Table,
  format: RowFormat,
  chunkRows: number,
  limit?: number,
): AsyncGenerator<string> {
  const { columns, keys } = format;
  let first = true;
  for await (const { rows } of sortedChunks(table, columns, chunkRows, limit)) {
    if (rows.length === 0) continue;
    yield `${first ? "[" : ","}${rows.map((row) => rowJson(keys, row)).join(",")}`;
    first = false;
  }
  yield first ? "[]" : "]";
}

/**
 * The JSON array text of {@link jsonArrayChunks} in one go, for a small snapshot (an index
 * probe's rows, at most a chunk): sorted and formatted at once, so it is sent in one write.
 */
export function jsonArrayText(table: Table, format: RowFormat, limit?: number): string {
  const { columns, keys } = format;
  const rows: Cell[][] = [];
  for (const batch of table.batches) batchCells(batch, columns, rows);
  return cellsJson(rows, keys, limit);
}

/**
 * {@link jsonArrayText} of the rows a probe by key found (`RelationHandle.lookupByKey`): their
 * plain values formatted by core's `plainCell`, the same text as the Arrow path, with no Arrow
 * table built for a row or two.
 */
export function keyedJsonText(found: KeyedLookup, format: RowFormat, limit?: number): string {
  const { columns, keys } = format;
  const rows = found.rows.map((row) => columns.map((c, i) => plainCell(row[i], c.type)));
  return cellsJson(rows, keys, limit);
}

function cellsJson(rows: Cell[][], keys: readonly string[], limit: number | undefined): string {
  if (rows.length > 1) rows.sort(compareRows);
  const n = Math.min(rows.length, limit ?? rows.length);
  let text = "[";
  for (let i = 0; i < n; i++) text += `${i > 0 ? "," : ""}${rowJson(keys, rows[i] as Cell[])}`;
  return `${text}]`;
}

/** The whole JSON array text (a NATS reply): at once when small, else piece by piece with turns between. */
export async function jsonArray(table: Table, format: RowFormat, chunkRows: number, limit?: number): Promise<string> {
  if (table.numRows <= chunkRows) return jsonArrayText(table, format, limit);
  let text = "";
  for await (const piece of jsonArrayChunks(table, format, chunkRows, limit)) text += piece;
  return text;
}

/** Where a body is written: `write` returns false when the reader is behind (wait for `drain`). */
export interface BodySink {
  write(chunk: string | Uint8Array): boolean;
  once(event: "drain" | "close", listener: () => void): unknown;
  readonly destroyed: boolean;
}

/** Writes pieces one per turn of the event loop, waiting for a slow reader instead of buffering. */
export async function writeChunks(
  out: BodySink,
  chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
): Promise<void> {
  for await (const chunk of chunks) {
    if (out.destroyed) return;
    if (!out.write(chunk)) await drained(out);
    await nextTurn();
  }
}

/**
 * Writes the rows of a snapshot as an Arrow IPC stream (Arrow's own stream writer), at most
 * `chunkRows` rows per record batch, one batch per turn of the event loop. Without a limit the
 * rows come in the snapshot's order (unordered, as Arrow readers expect: sort by the columns you
 * need); with `limit` they are the first `limit` rows of the JSON answer, in its order (`--print`
 * order: rows adjacent in the snapshot go out as one record batch).
 */
export async function writeArrowStream(
  out: BodySink,
  table: Table,
  format: RowFormat,
  chunkRows: number,
  limit?: number,
): Promise<void> {
  if (table.numRows === 0 || limit === 0) {
    out.write(tableToIPC(table.slice(0, 0), "stream"));
    return;
  }
  const writer = new RecordBatchStreamWriter();
  const pump = (async () => {
    for await (const chunk of writer) if (!out.destroyed && !out.write(chunk)) await drained(out);
  })();
  const pieces = limit === undefined ? storageOrder(table, chunkRows) : printOrder(table, format, chunkRows, limit);
  for await (const batch of pieces) {
    if (out.destroyed) break;
    writer.write(batch);
    await nextTurn();
  }
  writer.finish();
  await pump;
}

/** The snapshot's record batches, cut at `chunkRows` rows. */
function* storageOrder(table: Table, chunkRows: number): Generator<RecordBatch> {
  for (const batch of table.batches) {
    for (let start = 0; start < batch.numRows; start += chunkRows) {
      yield batch.slice(start, Math.min(batch.numRows, start + chunkRows));
    }
  }
}

/** The first `limit` rows in `--print` order, as slices of the snapshot's batches (one per run of adjacent rows). */
async function* printOrder(
  table: Table,
  format: RowFormat,
  chunkRows: number,
  limit: number,
): AsyncGenerator<RecordBatch> {
  const starts: number[] = [];
  let offset = 0;
  for (const batch of table.batches) {
    starts.push(offset);
    offset += batch.numRows;
  }
  let b = 0;
  for await (const { at } of sortedChunks(table, format.columns, chunkRows, limit)) {
    for (let i = 0; i < at.length; ) {
      const first = at[i] as number;
      b = batchAt(starts, first, b);
      const batch = table.batches[b] as RecordBatch;
      const end = (starts[b] as number) + batch.numRows;
      let next = first + 1;
      while (i + (next - first) < at.length && at[i + (next - first)] === next && next < end) next++;
      yield batch.slice(first - (starts[b] as number), next - (starts[b] as number));
      i += next - first;
    }
  }
}

/** The batch holding table row `row`, given the batches' first rows (searching from `hint`). */
function batchAt(starts: readonly number[], row: number, hint: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  if ((starts[hint] as number) <= row && (hint + 1 >= starts.length || (starts[hint + 1] as number) > row)) return hint;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= row) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function drained(out: BodySink): Promise<void> {
  return new Promise<void>((resolve) => {
    out.once("drain", resolve);
    out.once("close", resolve);
  });
}

import { setImmediate as nextTurn } from "node:timers/promises";
import { jsonKeys, rowJson } from "@jetflow/core";
import { RecordBatchStreamWriter, type Table, tableToIPC } from "apache-arrow";
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
export async function* jsonArrayChunks(table: Table, chunkRows: number, limit?: number): AsyncGenerator<string> {
  const keys = jsonKeys(table.schema.fields.map((f) => f.name));
  let first = true;
  for await (const rows of sortedChunks(table, chunkRows, limit)) {
    if (rows.length === 0) continue;
    yield `${first ? "[" : ","}${rows.map((row) => rowJson(keys, row)).join(",")}`;
    first = false;
  }
  yield first ? "[]" : "]";
}

/** The whole JSON array text of {@link jsonArrayChunks} (small answers: a NATS reply). */
export async function jsonArray(table: Table, limit?: number): Promise<string> {
  let text = "";
  for await (const piece of jsonArrayChunks(table, 10_000, limit)) text += piece;
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
 * Writes the rows of a snapshot as an Arrow IPC stream (Arrow's own stream writer), `chunkRows`
 * rows per record batch, one batch per turn of the event loop. Row order is the snapshot's
 * (unordered, as Arrow readers expect: sort by the columns you need); the rows are those the
 * JSON answer gives.
 */
export async function writeArrowStream(out: BodySink, table: Table, chunkRows: number, limit?: number): Promise<void> {
  const rows = limit === undefined ? table : table.slice(0, limit);
  if (rows.numRows === 0) {
    out.write(tableToIPC(rows, "stream"));
    return;
  }
  const writer = new RecordBatchStreamWriter();
  const pump = (async () => {
    for await (const chunk of writer) if (!out.destroyed && !out.write(chunk)) await drained(out);
  })();
  for (const batch of rows.batches) {
    for (let start = 0; start < batch.numRows && !out.destroyed; start += chunkRows) {
      writer.write(batch.slice(start, Math.min(batch.numRows, start + chunkRows)));
      await nextTurn();
    }
  }
  writer.finish();
  await pump;
}

function drained(out: BodySink): Promise<void> {
  return new Promise<void>((resolve) => {
    out.once("drain", resolve);
    out.once("close", resolve);
  });
}

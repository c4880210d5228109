import { setImmediate as nextTurn } from "node:timers/promises";
import { jsonKeys, rowJson, sortedCells } from "@jetflow/core";
import { RecordBatchStreamWriter, type Table, tableToIPC } from "apache-arrow";

/**
 * The rows of a snapshot as the text of a JSON array, values and order exactly as `--print`
 * gives them (core's json-rows formatter), in pieces of `chunkRows` rows. The caller writes a
 * piece, then lets other work (the pipeline's next batch) run before asking for the next one:
 * a large snapshot never holds the event loop while it is formatted and sent.
 *
 * The rows are those of `table`, a snapshot taken at one instant, so a response reflects whole batches.
 */
export function* jsonArrayChunks(table: Table, chunkRows: number, limit?: number): Generator<string> {
  const { names, rows } = sortedCells(table);
  const keys = jsonKeys(names);
  const n = Math.min(rows.length, limit ?? rows.length);
  if (n === 0) {
    yield "[]";
    return;
  }
  for (let start = 0; start < n; start += chunkRows) {
    const end = Math.min(n, start + chunkRows);
    const parts: string[] = [];
    for (let i = start; i < end; i++) parts.push(rowJson(keys, rows[i] as Parameters<typeof rowJson>[1]));
    yield `${start === 0 ? "[" : ","}${parts.join(",")}${end === n ? "]" : ""}`;
  }
}

/** The whole JSON array text of {@link jsonArrayChunks} at once (small answers: a NATS reply). */
export function jsonArray(table: Table, limit?: number): string {
  return [...jsonArrayChunks(table, Number.MAX_SAFE_INTEGER, limit)].join("");
}

/** Where a body is written: `write` returns false when the reader is behind (wait for `drain`). */
export interface BodySink {
  write(chunk: string | Uint8Array): boolean;
  once(event: "drain" | "close", listener: () => void): unknown;
  readonly destroyed: boolean;
}

/** Writes pieces one per turn of the event loop, waiting for a slow reader instead of buffering. */
export async function writeChunks(out: BodySink, chunks: Iterable<string | Uint8Array>): Promise<void> {
  for (const chunk of chunks) {
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

import type { ServerResponse } from "node:http";
import { type ChangeBatch, type ColumnDef, cellAt, columnsOf, jsonKeys, RETRACT, rowJson } from "@jetflow/core";
import type { ChangeFeed } from "./served-relations.js";
import type { Data } from "apache-arrow";
import { rowFormat } from "./row-format.js";
import { jsonArrayChunks, writeChunks } from "./rows-body.js";

/**
 * `GET /api/relations/NAME/changes`: Server-Sent Events.
 *
 * ```
 * event: snapshot
 * data: [{"region":"north","n":3}, ...]          <- the current rows, as GET /api/relations/NAME
 *
 * id: 1
 * event: change
 * data: [{"op":"-","row":{"region":"north","n":3}},{"op":"+","row":{"region":"north","n":4}}]
 * ```
 *
 * One `change` event per change batch, its rows in batch order (`-` retract, `+` insert; an
 * update is a retract then an insert). Applying them in order to the snapshot gives the
 * relation's rows. The snapshot and the subscription are taken at one instant, so no change is
 * missed or counted twice; changes arriving while the snapshot is sent are queued behind it.
 * A client whose unread bytes pass `maxBufferBytes` is disconnected (it can reconnect and start
 * from a new snapshot); the pipeline never waits for a client.
 */
export function streamChanges(
  res: ServerResponse,
  relation: ChangeFeed,
  opts: { chunkRows: number; maxBufferBytes: number; onDrop?: () => void },
): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  const snapshot = relation.snapshot();
  const queued: string[] = [];
  let queuedBytes = 0;
  let sendingSnapshot = true;
  let id = 0;
  const drop = () => {
    subscription.unsubscribe();
    clearInterval(ping);
    if (!res.destroyed) {
      opts.onDrop?.();
      res.destroy();
    }
  };
  const subscription = relation.changeEvents$.subscribe((data) => {
    const event = `id: ${++id}\nevent: change\ndata: ${data}\n\n`;
    if (sendingSnapshot) {
      queued.push(event);
      queuedBytes += event.length;
    } else res.write(event);
    if (queuedBytes + res.writableLength > opts.maxBufferBytes) drop();
  });
  // A comment now and then keeps proxies from closing an idle stream.
  const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
  ping.unref();
  res.once("close", () => {
    subscription.unsubscribe();
    clearInterval(ping);
  });
  const chunks = (async function* () {
    yield "event: snapshot\n";
    // A source keeps no rows: its snapshot is empty.
    const pieces =
      snapshot === undefined ? ["[]"] : jsonArrayChunks(snapshot, rowFormat(relation.columns), opts.chunkRows);
    for await (const piece of pieces) yield `data: ${piece}\n`;
    yield "\n";
  })();
  void writeChunks(res, chunks).then(() => {
    sendingSnapshot = false;
    if (res.destroyed) return;
    for (const event of queued) res.write(event);
    queued.length = 0;
    queuedBytes = 0;
  });
}

/** A change batch as the JSON array of `{"op", "row"}` a `change` event carries. */
export function changeFormatter(columns: readonly ColumnDef[]): (change: ChangeBatch) => string {
  const keys = jsonKeys(columns.map((c) => c.name));
  return (change) => {
    const types = columnsOf(change.batch.schema).map((c) => c.type);
    const datas = change.batch.data.children as Data[];
    const out: string[] = [];
    for (let i = 0; i < change.batch.numRows; i++) {
      const row = types.map((t, c) => cellAt(datas[c] as Data, i, t));
      const op = change.ops !== undefined && change.ops[i] === RETRACT ? "-" : "+";
      out.push(`{"op":"${op}","row":${rowJson(keys, row)}}`);
    }
    return `[${out.join(",")}]`;
  };
}

import { type ColumnDef, ErrorCode, formatSqlType } from "@jetflow/core";
import type { Pipeline } from "@jetflow/pipeline";
import { filter, map } from "rxjs";
import { RequestError } from "./errors.js";
import { changeFormatter } from "./sse.js";
import { Readiness } from "./readiness.js";
import type { RelationSource, RelationSummary, ServedRelation, ServedRelations } from "./served-relations.js";
import { StatusBoard } from "./status-board.js";

/**
 * The relations of one running pipeline, as {@link serve} and {@link natsService} serve them:
 * rows, probes by key and changes straight from the pipeline's relations; ready once every source
 * connected and caught up; its metrics.
 *
 * @example
 * ```ts
 * const server = await serveRelations(pipelineRelations(p), { port: 8080 }); // what serve(p) does
 * ```
 */
export function pipelineRelations(p: Pipeline): ServedRelations {
  const readiness = new Readiness(p);
  const board = new StatusBoard(p);
  const countDrop = p.metrics.counter(
    "jetflow_sse_clients_dropped_total",
    "SSE clients disconnected because they did not read (unread bytes past the bound)",
  );
  return {
    ...pipelineRelationSource(p),
    list: async () => relationList(p),
    get ready() {
      return readiness.ready;
    },
    status: () => board.read(),
    metricsText: () => p.metrics.render(),
    countDroppedClient: () => countDrop("", 1),
    close: () => {
      readiness.close();
      board.close();
    },
  };
}

/** A pipeline's relations to query (what its NATS service needs): names, rows, and relations `exec()` creates or drops. */
export function pipelineRelationSource(p: Pipeline): RelationSource {
  return {
    names: () => p.names(),
    relation: (name) => relation(p, name),
    events$: p.status$.pipe(
      filter((s) => s.type === "relation_created" || s.type === "relation_dropped"),
      map((s) => ({ type: s.type === "relation_created" ? "created" : "dropped", relation: s.relation })),
    ),
  };
}

function relation(p: Pipeline, name: string): ServedRelation {
  const sink = p.sinkList().find((s) => s.name === name);
  if (sink !== undefined) {
    throw new RequestError(
      404,
      ErrorCode.UnknownRelation,
      sink.input.name === name
        ? `"${name}" is a sink: it keeps no rows`
        : `"${name}" is a sink: it keeps no rows; read what it publishes from "${sink.input.name}"`,
    );
  }
  const r = p.relation(name);
  return {
    name,
    columns: r.columns,
    lookupByKey: (equal) => r.lookupByKey(equal),
    lookup: (equal) => r.lookup(equal),
    changeFeed: async () => {
      const format = changeFormatter(r.columns);
      return { columns: r.columns, snapshot: () => r.snapshot(), changeEvents$: r.changes$.pipe(map(format)) };
    },
  };
}

/** Relations, then sinks: a sink lists the columns it publishes and holds no rows. */
function relationList(p: Pipeline): RelationSummary[] {
  const relations = p.names().map((name) => {
    const r = p.relation(name);
    return { name, kind: r.kind, columns: columnList(r.columns), primaryKey: r.key, rows: r.size };
  });
  const sinks = p.sinkList().map((s) => ({
    name: s.name,
    kind: "sink",
    columns: columnList(s.input.columns),
    primaryKey: s.input.key,
    rows: 0,
  }));
  return [...relations, ...sinks];
}

/** Columns as `/api/relations` lists them: name and SQL type text. */
export function columnList(columns: readonly ColumnDef[]): RelationSummary["columns"] {
  return columns.map((c) => ({ name: c.name, type: formatSqlType(c.type) }));
}

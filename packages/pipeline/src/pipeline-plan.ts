import type { PipelinePlan, PlannedRelation } from "./extension.js";
import { IngestRelation } from "./ingest.js";
import type { RelationGraph } from "./relation-graph.js";
import type { SinkSet } from "./sink-set.js";
import { ViewRelation } from "./view.js";

/**
 * What `Pipeline.plan()` returns for resolved definitions: every relation in creation order, with
 * its CREATE (a source's or table's spec, a view's query), and the CREATE SINKs with their specs
 * (an AS SELECT keeps its query). Outputs are not listed: they come from outside.
 */
export function planOf(graph: RelationGraph, sinks: SinkSet): PipelinePlan {
  const relations = graph.all().map((r): PlannedRelation => {
    const planned = { name: r.name, kind: r.kind, columns: r.columns, key: r.key };
    if (r instanceof IngestRelation) return { ...planned, ingest: r.spec };
    if (r instanceof ViewRelation) return { ...planned, query: r.query };
    return planned;
  });
  const created = sinks
    .list()
    .flatMap(({ name, origin }) => (origin.kind === "sink" ? [{ name, spec: origin.spec }] : []));
  return { relations, sinks: created };
}

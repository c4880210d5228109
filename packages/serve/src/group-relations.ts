import { ErrorCode, wholeNumberOption } from "@jetflow/core";
import type { GroupPipeline } from "@jetflow/group";
import { RelationNameError } from "@jetflow/pipeline";
import { RequestError } from "./errors.js";
import { groupMetricsText } from "./group-metrics.js";
import { GroupChangePolls } from "./group-change-polls.js";
import { GroupReadiness } from "./group-readiness.js";
import { GroupStatusBoard } from "./group-status-board.js";
import type { GroupServeOptions } from "./options.js";
import { columnList } from "./pipeline-relations.js";
import type { RelationSource, RelationSummary, ServedRelation, ServedRelations } from "./served-relations.js";

/**
 * The relations of a group's pipeline as one member serves them ({@link serveGroup},
 * {@link groupNatsService}), each WHOLE whichever member is asked: the SQL's relations (none of
 * the hidden ones the group plan adds) with their kind, columns and primary key; rows gathered
 * from every partition's owner as Arrow tables (`GroupPipeline.lookupTable`), a lookup covering
 * the relation's placement columns sent to that partition alone. The rows are then formatted by
 * the same code as one pipeline's, so the answers are the same text.
 *
 * - `rows` in the listing is the whole relation's count: a gather per relation (it costs a scan);
 * - a partition's refusal (unknown column, bad value) answers as one pipeline's would (400, same body);
 * - `/changes`: the whole relation's changes found by polling it ({@link GroupChangePolls},
 *   every `changesPollMs`, default 1000); 501 for a source (it keeps no rows to compare);
 * - readiness: see {@link GroupReadiness}; status and metrics: the member's (see
 *   {@link GroupStatusBoard}, {@link groupMetricsText}).
 *
 * @example
 * ```ts
 * const server = await serveRelations(groupRelations(g), { port: 8080 }); // what serveGroup(g) does
 * ```
 */
export function groupRelations(
  g: GroupPipeline,
  options: Pick<GroupServeOptions, "changesPollMs"> = {},
): ServedRelations {
  const pollMs = wholeNumberOption("changesPollMs", options.changesPollMs, 1000, 10);
  const readiness = new GroupReadiness(g);
  const board = new GroupStatusBoard(g);
  const polls = new GroupChangePolls(g, pollMs);
  const countDrop = g.metrics.counter(
    "jetflow_sse_clients_dropped_total",
    "SSE clients disconnected because they did not read (unread bytes past the bound)",
  );
  return {
    ...groupRelationSource(g, polls),
    list: () => relationList(g),
    get ready() {
      return readiness.ready;
    },
    status: () => board.read(),
    metricsText: () => groupMetricsText(g),
    countDroppedClient: () => countDrop("", 1),
    close: () => {
      polls.close();
      readiness.close();
      board.close();
    },
  };
}

/** A group's relations to query (what its NATS service needs): the SQL's relations, whole. */
export function groupRelationSource(g: GroupPipeline, polls?: GroupChangePolls): RelationSource {
  const names = g.planned.relations.map((r) => r.name);
  return { names: () => names, relation: (name) => relation(g, name, names, polls) };
}

function relation(
  g: GroupPipeline,
  name: string,
  names: readonly string[],
  polls: GroupChangePolls | undefined,
): ServedRelation {
  const sink = g.planned.sinks.find((s) => s.name === name);
  if (sink !== undefined) {
    const from = sink.spec.from;
    throw new RequestError(
      404,
      ErrorCode.UnknownRelation,
      from.kind === "relation"
        ? `"${name}" is a sink: it keeps no rows; read what it publishes from "${from.name}"`
        : `"${name}" is a sink: it keeps no rows`,
    );
  }
  const r = g.planned.relations.find((x) => x.name === name);
  if (r === undefined) {
    throw new RelationNameError(`no relation "${name}"${names.length > 0 ? ` (known: ${names.join(", ")})` : ""}`);
  }
  return {
    name,
    columns: r.columns,
    // Every answer of a group comes as an Arrow table (formatted as one pipeline's lookup is).
    lookupByKey: async () => undefined,
    lookup: (equal) => g.lookupTable(name, equal),
    changeFeed: async () => {
      if (r.kind === "source" || polls === undefined) {
        throw new RequestError(
          501,
          ErrorCode.NotFound,
          r.kind === "source"
            ? `changes of source "${name}" are not served by a group member: a source keeps no rows to compare; read a table or view over it`
            : `changes of "${name}" are served by the HTTP server only; read the whole relation with jetflow.query.${name}`,
        );
      }
      return polls.feed(name, r.columns);
    },
  };
}

/** Relations (their whole row counts, gathered), then sinks. */
async function relationList(g: GroupPipeline): Promise<RelationSummary[]> {
  const relations = await Promise.all(
    g.planned.relations.map(async (r) => ({
      name: r.name,
      kind: r.kind,
      columns: columnList(r.columns),
      primaryKey: r.key,
      // A source keeps no rows, as on one pipeline.
      rows: r.kind === "source" ? 0 : (await g.table(r.name)).numRows,
    })),
  );
  const running = [...g.partitionPipelines().values()][0]?.sinkList();
  const sinks = g.planned.sinks.map((s) => {
    const from = s.spec.from;
    const input =
      from.kind === "relation"
        ? g.planned.relations.find((r) => r.name === from.name)
        : running?.find((x) => x.name === s.name)?.input;
    return {
      name: s.name,
      kind: "sink",
      columns: columnList(input?.columns ?? []),
      primaryKey: input?.key ?? [],
      rows: 0,
    };
  });
  return [...relations, ...sinks];
}

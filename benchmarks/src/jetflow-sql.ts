import { pathToFileURL } from "node:url";
import { type DatasetSpec, FILTER_MIN_V, PROTO_FILE, PROTO_MESSAGE, streamOf } from "./dataset.js";
import type { Shape, SinkSet } from "./scenario.js";

/** The relation every jetflow scenario reads its group-by view from. */
export const VIEW = "agg";
/** The projection view the latency scenario observes (it carries each row's publish time). */
export const LATENCY_VIEW = "seen";

/** The WITH (...) and FORMAT ... ENCODE ... clauses reading a dataset's stream. */
export function ingestClauses(url: string, dataset: DatasetSpec): string {
  const { stream, subject } = streamOf(dataset);
  // A partitioned dataset's subjects are `<subject>.<partition>`: token 3 is the partition.
  const subjects =
    dataset.partitions === undefined ? `subject='${subject}'` : `subject='${subject}.*', group.partition_token='3'`;
  const withClause =
    `WITH (connector='nats', server_url='${url}', ${subjects}, stream='${stream}', ` +
    `connect_mode='plain', scan.startup.mode='earliest')`;
  switch (dataset.encoding) {
    case "json":
      return `${withClause} FORMAT PLAIN ENCODE JSON`;
    case "msgpack":
      return `${withClause} FORMAT PLAIN ENCODE MSGPACK`;
    case "protobuf":
      return (
        `${withClause} FORMAT PLAIN ENCODE PROTOBUF ` +
        `(message = '${PROTO_MESSAGE}', schema.location = '${pathToFileURL(PROTO_FILE).href}')`
      );
  }
}

/**
 * `CREATE SINK` of the group-by view {@link VIEW} into a stream of its own (created when
 * missing), as upserts: what a "view with a sink" scenario adds to {@link scenarioSql}.
 */
export function sinkSql(url: string, sinks: SinkSet): string {
  if (sinks === "none") return "";
  const stream =
    `CREATE SINK ${VIEW}_out FROM ${VIEW} WITH (connector='nats', server_url='${url}', ` +
    "subject='bench.sink', connect_mode='plain', allow_create_stream='true', stream='BENCH_SINK') " +
    "FORMAT UPSERT ENCODE JSON;";
  const kv =
    `CREATE SINK ${VIEW}_kv FROM ${VIEW} WITH (connector='nats_kv', server_url='${url}', ` +
    "connect_mode='plain', bucket='bench_sink') FORMAT UPSERT ENCODE JSON;";
  return sinks === "stream" ? stream : stream + kv;
}

const COLUMNS = "k varchar, v double precision, ts double precision, pad varchar";

/**
 * The SQL of one scenario: a keyed table (or an append-only source) over the dataset and the
 * group-by view {@link VIEW}; with `latency`, also the projection view {@link LATENCY_VIEW},
 * declared after the group-by so its changes come out once the group-by has been updated.
 */
export function scenarioSql(url: string, dataset: DatasetSpec, shape: Shape, latency = false): string {
  const ingest = ingestClauses(url, dataset);
  const statements =
    shape !== "source-filter"
      ? [
          `CREATE TABLE t (id bigint PRIMARY KEY, ${COLUMNS}) ${ingest}`,
          shape === "table-join"
            ? // Each row of t matches its one key in \`keys\`: the view is the plain group-by's.
              `CREATE MATERIALIZED VIEW keys AS SELECT DISTINCT k FROM t;\n` +
              `CREATE MATERIALIZED VIEW ${VIEW} AS SELECT t.k, count(*) AS count, sum(t.v) AS sum ` +
              "FROM t JOIN keys ON t.k = keys.k GROUP BY t.k"
            : `CREATE MATERIALIZED VIEW ${VIEW} AS SELECT k, count(*) AS count, sum(v) AS sum` +
              `${shape === "table-distinct" ? ", min(v) AS low, max(v) AS high, count(DISTINCT v) AS values" : ""} FROM t GROUP BY k` +
              (shape === "table-top"
                ? ";\nCREATE MATERIALIZED VIEW top AS SELECT id, k, v FROM t ORDER BY v DESC LIMIT 10"
                : ""),
        ]
      : [
          `CREATE SOURCE t (id bigint, ${COLUMNS}) ${ingest}`,
          `CREATE MATERIALIZED VIEW ${VIEW} AS SELECT k, count(*) AS count, sum(v) AS sum FROM t ` +
            `WHERE v >= ${FILTER_MIN_V} GROUP BY k`,
        ];
  if (latency) statements.push(`CREATE MATERIALIZED VIEW ${LATENCY_VIEW} AS SELECT id, ts FROM t`);
  return `${statements.join(";\n")};`;
}
